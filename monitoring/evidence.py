"""Promotion gate CHALLENGER_EVIDENCE: a version replacing a production version must have
been compared with it on the same applicants (`monitoring.comparisons`), recently, on enough
outcomes, without a material loss of discrimination and without adverse impact.

Met when the latest comparison of this version against the current production version

* is at most `challenger_max_age_days` old,
* has at least `challenger_min_outcomes` outcomes,
* has the lower bound of the 95 % interval of `auc_difference` at or above
  `-challenger_auc_tolerance`,
* and every judged group's adverse impact ratio under the challenger is at least the
  policy's `adverse_impact_floor`

(all on the model's `MonitoringPolicy`). Otherwise a written waiver CHALLENGER_EVIDENCE lets
the promotion through, as for the fairness gate. A first promotion (nothing in production)
and a rollback do not need the gate. The workflow (`governance.services`) asks this module
and records what it answered in the promote transition; the model card shows it.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from governance.models import ModelVersion
from governance.workflow import CHALLENGER_EVIDENCE

from .models import Comparison
from .selectors import monitoring_policy

GATE = CHALLENGER_EVIDENCE


@dataclass(frozen=True)
class ChallengerEvidence:
    """What the gate found: `met`, why not (`reasons`), and the comparison it relied on."""

    champion_id: int
    comparison_id: int | None
    met: bool
    reasons: list[str]
    policy: dict[str, Any]

    @property
    def refusal(self) -> str:
        return "; ".join(self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "gate": GATE,
            "champion": self.champion_id,
            "comparison": self.comparison_id,
            "met": self.met,
            "reasons": self.reasons,
            "policy": self.policy,
        }


def challenger_evidence(*, version: ModelVersion, champion: ModelVersion) -> ChallengerEvidence:
    """Judge the latest comparison of `version` against `champion` by the model's policy."""
    policy = monitoring_policy(registered_model=version.registered_model)
    settings = {
        "challenger_max_age_days": policy.challenger_max_age_days,
        "challenger_min_outcomes": policy.challenger_min_outcomes,
        "challenger_auc_tolerance": policy.challenger_auc_tolerance,
        "adverse_impact_floor": policy.adverse_impact_floor,
    }
    comparison = Comparison.objects.filter(champion=champion, challenger=version).order_by("-created_at", "-id").first()
    if comparison is None:
        reasons = [f"{version} has no comparison against the production version {champion}"]
        return ChallengerEvidence(champion.pk, None, False, reasons, settings)
    reasons = []
    age = timezone.now() - comparison.created_at
    if age > timedelta(days=policy.challenger_max_age_days):
        reasons.append(
            f"its latest comparison (#{comparison.pk}) is {age.days} days old, more than "
            f"{policy.challenger_max_age_days}"
        )
    if comparison.n_outcomes < policy.challenger_min_outcomes:
        reasons.append(
            f"comparison #{comparison.pk} has {comparison.n_outcomes} outcomes, fewer than "
            f"{policy.challenger_min_outcomes}"
        )
    low = comparison.auc_difference_ci_low
    if low is None or low < -policy.challenger_auc_tolerance:
        shown = "no interval" if low is None else f"the AUC difference's 95 % interval starts at {low:.4f}"
        reasons.append(f"comparison #{comparison.pk} has {shown}, below -{policy.challenger_auc_tolerance} (tolerance)")
    ratio = comparison.min_adverse_impact_ratio_challenger
    if ratio is not None and ratio < policy.adverse_impact_floor:
        reasons.append(
            f"under the challenger a judged group's adverse impact ratio is {ratio:.3f}, below the floor "
            f"{policy.adverse_impact_floor}"
        )
    return ChallengerEvidence(champion.pk, comparison.pk, not reasons, reasons, settings)
