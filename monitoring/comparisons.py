"""Replay: a challenger scored on the decisions the production version (its champion) made
in a period, and the comparison stored from it.

The decisions are streamed as the drift job reads them (`selectors.decision_replay_vectors`:
encoded vectors, the champion's probability and verdict, the outcome), never as model
instances. Each chunk is re-encoded for the challenger and checked against its schema
(`challenger_inputs`); the applications it refuses are counted by field and left out, as are
decisions whose inputs retention removed. The challenger scores the rest in batch, and
`comparison_math` compares the two on the same decisions.

`comparison_request_check` turns a request (model name, challenger id, period) into what to
compare, or refuses it with a message per field; nothing is stored for a refused request.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.ml.baseline import bin_labels
from governance.ml.fairness import MISSING_GROUP
from governance.models import ModelVersion
from governance.selectors import model_version_scorer, production_version, registered_model_get

from . import comparison_math as cm
from .challenger_inputs import ChallengerInputs
from .errors import ComparisonRefused
from .models import Comparison, Trigger
from .selectors import NO_OUTCOME, decision_replay_vectors, decisions_inputs_removed, monitoring_policy
from .windows import Window

DEFAULT_PERIOD = timedelta(days=730)  # the last 24 months
OUTCOME_NOTE = (
    "Outcomes exist only for approved (funded) applications: the AUC, Brier and KS comparison is over the "
    "champion's approvals that have a recorded outcome. Applications only the challenger would approve have no "
    "outcome (reject inference is out of scope); they are counted in challenger_only_approvals_without_outcome."
)


@dataclass(frozen=True)
class ComparisonSubject:
    """What one comparison compares: a challenger against the production version, over a period."""

    champion: ModelVersion
    challenger: ModelVersion
    period: Window


def _refuse(field: str, message: str) -> ComparisonRefused:
    return ComparisonRefused(message, {field: message})


def comparison_request_check(
    *, model_name: str, challenger_id: Any, start: datetime | None, end: datetime | None, now: datetime | None = None
) -> ComparisonSubject:
    """The champion (the model's production version), the challenger and the period
    `[start, end)` (default: the 24 months ending now). Raises `ComparisonRefused` naming the
    field at fault: an unknown model or one without a production version, an unknown
    challenger, one of another model or the production version itself, a period without a
    time zone, empty or reversed, or ending in the future."""
    now = now or timezone.now()
    if not isinstance(model_name, str) or (registered := registered_model_get(name=model_name)) is None:
        raise _refuse("model", f"There is no registered model named {model_name!r}.")
    champion = production_version(model_name=registered.name)
    if champion is None:
        raise _refuse("model", f"No version of {registered.name} is in production: there is no champion to compare.")
    if type(challenger_id) is not int or (challenger := _version(challenger_id)) is None:
        raise _refuse("challenger", f"There is no model version with id {challenger_id!r}.")
    if challenger.registered_model_id != registered.pk:
        raise _refuse("challenger", f"Version {challenger_id} is {challenger}, not a version of {registered.name}.")
    if challenger.pk == champion.pk:
        raise _refuse("challenger", f"{challenger} is the production version; it cannot be its own challenger.")
    for field, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise _refuse(field, "Give a time zone (e.g. 2026-11-21T10:00:00Z).")
    end = end.astimezone(UTC) if end is not None else now.astimezone(UTC)
    start = start.astimezone(UTC) if start is not None else end - DEFAULT_PERIOD
    if end > now:
        raise _refuse("to", "The period ends in the future.")
    if start >= end:
        raise _refuse("from", "The period is empty or reversed: 'from' must be before 'to'.")
    return ComparisonSubject(champion=champion, challenger=challenger, period=Window(start, end))


def _version(version_id: int) -> ModelVersion | None:
    return ModelVersion.objects.select_related("registered_model").filter(pk=version_id).first()


class _Replay:
    """Accumulates, chunk by chunk, what the comparison needs: a few bytes per decision."""

    def __init__(self, champion: ModelVersion, challenger: ModelVersion) -> None:
        self.inputs = ChallengerInputs(champion.feature_schema, challenger.feature_schema)
        self.scorer = model_version_scorer(version=challenger)
        self.threshold = challenger.threshold
        names = [f["name"] for f in champion.feature_schema["fields"]]
        self.attributes = [a for a in champion.registered_model.protected_attributes if a in names]
        self.attribute_columns = [names.index(a) for a in self.attributes]
        self.errors: Counter[str] = Counter()
        self.refused = 0
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        features: np.ndarray,
        probability: np.ndarray,
        approved: np.ndarray,
        defaulted: np.ndarray,
        month: np.ndarray,
    ) -> None:
        converted = self.inputs.convert(features)
        self.errors.update(converted.errors)
        valid = converted.valid
        self.refused += int((~valid).sum())
        matrix = self.scorer.encoder.model_matrix(converted.encoded[valid])
        challenger = self.scorer.probabilities(matrix) if len(matrix) else np.zeros(0)
        # Category codes of the protected attributes in the champion's encoding; NaN (missing) -> -1.
        groups = np.nan_to_num(features[valid][:, self.attribute_columns], nan=-1).astype(np.int16)
        self.parts.append((probability[valid], challenger, approved[valid], defaulted[valid], month[valid], groups))

    def arrays(self) -> tuple[np.ndarray, ...]:
        empty = (np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, np.int8), np.zeros(0, "datetime64[M]"))
        columns = [np.concatenate(c) for c in zip(empty, *[p[:5] for p in self.parts], strict=False)]
        groups = np.concatenate([np.zeros((0, len(self.attributes)), np.int16), *[p[5] for p in self.parts]])
        return (*columns, groups)


def comparison_compute(*, subject: ComparisonSubject) -> dict[str, Any]:
    """Replay the challenger over the champion's decisions in the period and compare them:
    the JSON object the command prints and the comparison stores."""
    champion, challenger, period = subject.champion, subject.challenger, subject.period
    replay = _Replay(champion, challenger)
    decision_replay_vectors(version=champion, window=period, consume=replay.add)
    champion_p, challenger_p, champion_approved, defaulted, month, group_codes = replay.arrays()
    challenger_approved = challenger_p < challenger.threshold
    swaps = cm.swap_sets(champion_approved, challenger_approved)
    with_outcome = defaulted != NO_OUTCOME
    outcomes = cm.outcome_comparison(defaulted[with_outcome], champion_p[with_outcome], challenger_p[with_outcome])
    registered = champion.registered_model
    policy = monitoring_policy(registered_model=registered)
    fields = {f["name"]: f for f in champion.feature_schema["fields"]}
    groups = {}
    for k, attribute in enumerate(replay.attributes):
        labels = [*fields[attribute]["categories"], MISSING_GROUP]
        codes = np.where(group_codes[:, k] < 0, len(labels) - 1, group_codes[:, k])
        groups[attribute] = (codes, labels)
    fairness = cm.fairness_comparison(
        groups, champion_approved, challenger_approved, min_group_size=registered.fairness_min_group_size
    )
    n_outcomes = int(with_outcome.sum())
    # Outcome cohorts: the calendar month (UTC) each decision with an outcome was made in.
    months, cohort_codes = np.unique(month[with_outcome], return_inverse=True)
    cohorts = cm.cohort_comparison(
        cohort_codes,
        [str(m) for m in months],
        defaulted[with_outcome],
        champion_p[with_outcome],
        challenger_p[with_outcome],
    )
    return {
        "model": registered.name,
        "champion": {"id": champion.pk, "version": champion.version, "threshold": champion.threshold},
        "challenger": {"id": challenger.pk, "version": challenger.version, "threshold": challenger.threshold},
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "n_decisions": len(champion_p),
        "inputs_removed": decisions_inputs_removed(version=champion, window=period),
        "challenger_refused": replay.refused,
        "challenger_errors": dict(sorted(replay.errors.items())),
        "agreement_rate": cm.agreement_rate(champion_approved, challenger_approved),
        "champion_approve_challenger_decline": swaps.champion_approve_challenger_decline,
        "champion_decline_challenger_approve": swaps.champion_decline_challenger_approve,
        "both_approve": swaps.both_approve,
        "both_decline": swaps.both_decline,
        "score_psi": cm.score_psi(champion_p, challenger_p, champion.baseline["score"]) if len(champion_p) else None,
        "spearman": cm.spearman(champion_p, challenger_p),
        "score_bins": bin_labels(champion.baseline["score"]),
        "score_joint_counts": cm.joint_score_counts(champion_p, challenger_p, champion.baseline["score"]).tolist(),
        "n_outcomes": n_outcomes,
        "n_defaults": int(defaulted[with_outcome].sum()),
        "outcomes_sufficient": outcomes is not None and n_outcomes >= policy.challenger_min_outcomes,
        "min_outcomes": policy.challenger_min_outcomes,
        **cm.outcome_json(outcomes),
        "challenger_only_approvals_without_outcome": int(
            (~champion_approved & challenger_approved & ~with_outcome).sum()
        ),
        "outcome_note": OUTCOME_NOTE,
        "cohorts": cohorts,
        "cohort_min_outcomes": cm.COHORT_MIN_OUTCOMES,
        "cohort_min_each": cm.COHORT_MIN_EACH,
        "fairness": fairness,
        "fairness_min_group_size": registered.fairness_min_group_size,
    }


def comparison_find(*, subject: ComparisonSubject) -> Comparison | None:
    return Comparison.objects.filter(
        champion=subject.champion,
        challenger=subject.challenger,
        period_start=subject.period.start,
        period_end=subject.period.end,
    ).first()


def comparison_create(
    *, subject: ComparisonSubject, trigger: Trigger, requested_by: User | None = None, request_id: str = ""
) -> Comparison:
    """The stored comparison of `subject`, computed and stored now unless it already is.
    Safe to call twice, at once too: the unique period constraint keeps one."""
    existing = comparison_find(subject=subject)
    if existing is not None:
        return existing
    result = comparison_compute(subject=subject)
    ratios = [a["min_adverse_impact_ratio_challenger"] for a in result["fairness"].values()]
    known = [r for r in ratios if r is not None]
    ci = result["auc_difference_ci"]
    comparison = Comparison(
        champion=subject.champion,
        challenger=subject.challenger,
        period_start=subject.period.start,
        period_end=subject.period.end,
        trigger=trigger,
        requested_by=requested_by,
        request_id=request_id,
        n_decisions=result["n_decisions"],
        n_outcomes=result["n_outcomes"],
        auc_difference_ci_low=ci[0] if ci else None,
        min_adverse_impact_ratio_challenger=min(known) if known else None,
        result=result,
    )
    try:
        with transaction.atomic():
            comparison.save()
    except IntegrityError:
        found = comparison_find(subject=subject)
        if found is None:
            raise
        return found
    return comparison


def comparison_queue(
    *, subject: ComparisonSubject, requested_by: User | None = None, request_id: str = ""
) -> Comparison | None:
    """The stored comparison of `subject` if there is one; otherwise queue its computation
    once the transaction commits and return None."""
    existing = comparison_find(subject=subject)
    if existing is not None:
        return existing
    from .tasks import comparison_run

    kwargs = {
        "champion_id": subject.champion.pk,
        "challenger_id": subject.challenger.pk,
        "start": subject.period.start.isoformat(),
        "end": subject.period.end.isoformat(),
        "requested_by_id": requested_by.pk if requested_by else None,
        "request_id": request_id,
    }
    transaction.on_commit(lambda: comparison_run.delay(**kwargs))
    return None


def comparison_execute(
    *, champion_id: int, challenger_id: int, start: str, end: str, requested_by_id: int | None, request_id: str
) -> int:
    """The task's work: compute and store the comparison (if not stored yet); its id."""
    subject = ComparisonSubject(
        champion=ModelVersion.objects.select_related("registered_model").get(pk=champion_id),
        challenger=ModelVersion.objects.select_related("registered_model").get(pk=challenger_id),
        period=Window(datetime.fromisoformat(start), datetime.fromisoformat(end)),
    )
    requested_by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    trigger = Trigger.API if requested_by else Trigger.SCHEDULE
    return comparison_create(subject=subject, trigger=trigger, requested_by=requested_by, request_id=request_id).pk
