"""When a monitoring result opens an incident, and how severe it is.

P0 is the most severe. The rules (README "Monitoring: incidents"):

| kind | breach | severity |
|---|---|---|
| score drift | score PSI in the act band and chi-square significant | P1; P0 at twice the act threshold |
| data drift | a feature's PSI in the act band and significant | P2; P1 at twice the act threshold |
| fairness | lowest adverse impact ratio of a judged group below the floor (four-fifths) | P1 |
| fairness | equalized-odds gap above the bound (only when a bound is configured) | P2 |
| performance | cohort ROC-AUC more than the tolerance below the validation AUC | P2; P1 below the model's AUC floor |
| performance | cohort calibration error above the bound | P3; P2 at twice the bound |
| estimated performance | estimated ROC-AUC more than the tolerance below validation | P3; P2 at twice the tolerance |
| data quality | a field's refusal, missing, out-of-range or unseen-category share jumps past the bound | P2 |
| job failure | a monitoring job failed after its retries | P2 |
| review due | the periodic review is due within 30 days | P3; P2 from the due date; P1 30 days overdue |
| review failed | a periodic review found the version unsatisfactory | P1 |

A watch band opens no incident: it is recorded, charted and exported to Prometheus. The
score is what decisions are made on, so its drift ranks above any single input's.

No Django here: numbers in, breaches out.
"""

from dataclasses import dataclass, field
from typing import Any

P0, P1, P2, P3 = "P0", "P1", "P2", "P3"
SEVERITIES = (P0, P1, P2, P3)

DATA_DRIFT, SCORE_DRIFT, FAIRNESS, PERFORMANCE, ESTIMATED_PERFORMANCE, DATA_QUALITY, JOB_FAILURE = (
    "data_drift",
    "score_drift",
    "fairness",
    "performance",
    "estimated_performance",
    "data_quality",
    "job_failure",
)
REVIEW_DUE, REVIEW_FAILED = "review_due", "review_failed"
SCORE_SUBJECT = "score"
JOB_FAILURE_SEVERITY = P2
# Days around the periodic review's due date at which its incident opens and escalates.
REVIEW_NOTICE_DAYS, REVIEW_OVERDUE_DAYS = 30, 30


def more_severe(a: str, b: str) -> bool:
    """Whether severity `a` outranks `b` (P0 outranks P1)."""
    return SEVERITIES.index(a) < SEVERITIES.index(b)


@dataclass(frozen=True)
class Breach:
    """A crossed band or bound: what an incident is opened (or updated) for."""

    kind: str
    subject: str
    severity: str
    value: float | None
    higher_is_worse: bool
    summary: str
    snapshot: dict[str, Any] = field(default_factory=dict)


def drift_breach(*, subject: str, psi: float, alerting: bool, act: float) -> Breach | None:
    if not alerting:
        return None
    severe = psi >= 2 * act
    if subject == SCORE_SUBJECT:
        kind, severity, what = SCORE_DRIFT, P0 if severe else P1, "model score"
    else:
        kind, severity, what = DATA_DRIFT, P1 if severe else P2, f"input {subject}"
    return Breach(
        kind=kind,
        subject=subject,
        severity=severity,
        value=psi,
        higher_is_worse=True,
        summary=f"PSI of the {what} is {psi:.3f} (act at {act:g})",
    )


def fairness_breaches(
    *,
    attribute: str,
    min_adverse_impact_ratio: float | None,
    worst_group: str | None,
    floor: float,
    equalized_odds_gap: float | None,
    equalized_odds_bound: float | None,
) -> list[Breach]:
    breaches = []
    if min_adverse_impact_ratio is not None and min_adverse_impact_ratio < floor:
        breaches.append(
            Breach(
                kind=FAIRNESS,
                subject=f"{attribute} adverse impact ratio",
                severity=P1,
                value=min_adverse_impact_ratio,
                higher_is_worse=False,
                summary=(
                    f"Adverse impact ratio of {attribute} = {worst_group} is {min_adverse_impact_ratio:.3f}, "
                    f"below {floor:g} (four-fifths rule)"
                ),
            )
        )
    if (
        equalized_odds_bound is not None
        and equalized_odds_gap is not None
        and equalized_odds_gap > equalized_odds_bound
    ):
        breaches.append(
            Breach(
                kind=FAIRNESS,
                subject=f"{attribute} equalized odds gap",
                severity=P2,
                value=equalized_odds_gap,
                higher_is_worse=True,
                summary=(
                    f"Equalized-odds gap across {attribute} is {equalized_odds_gap:.3f}, above {equalized_odds_bound:g}"
                ),
            )
        )
    return breaches


def auc_breach(
    *, cohort: str, auc: float | None, validation_auc: float, tolerance: float, floor: float
) -> Breach | None:
    if auc is None or auc >= validation_auc - tolerance:
        return None
    below_floor = auc < floor
    bound = f"the model's floor {floor:g}" if below_floor else f"validation AUC {validation_auc:.3f} - {tolerance:g}"
    return Breach(
        kind=PERFORMANCE,
        subject="roc_auc",
        severity=P1 if below_floor else P2,
        value=auc,
        higher_is_worse=False,
        summary=f"ROC-AUC of the {cohort} cohort is {auc:.3f}, below {bound}",
    )


def estimated_auc_breach(
    *, auc: float | None, low: float | None, validation_auc: float, tolerance: float
) -> Breach | None:
    """The estimated AUC of a window (no outcomes yet) fell more than the tolerance below
    the validation AUC: an early warning, P3, P2 once the drop is twice the tolerance."""
    if auc is None or auc >= validation_auc - tolerance:
        return None
    drop = validation_auc - auc
    band = f" (band down to {low:.3f})" if low is not None else ""
    return Breach(
        kind=ESTIMATED_PERFORMANCE,
        subject="roc_auc",
        severity=P2 if drop > 2 * tolerance else P3,
        value=auc,
        higher_is_worse=False,
        summary=(
            f"Estimated ROC-AUC {auc:.3f}{band} is {drop:.3f} below the validation AUC {validation_auc:.3f} "
            f"(tolerance {tolerance:g})"
        ),
    )


def calibration_breach(
    *, cohort: str, error: float, default_rate: float, mean_probability: float, bound: float
) -> Breach | None:
    if error <= bound:
        return None
    return Breach(
        kind=PERFORMANCE,
        subject="calibration_error",
        severity=P2 if error > 2 * bound else P3,
        value=error,
        higher_is_worse=True,
        summary=(
            f"Observed default rate {default_rate:.3f} vs mean predicted {mean_probability:.3f} in the {cohort} "
            f"cohort: calibration error {error:.3f} above {bound:g}"
        ),
    )


def data_quality_breach(
    *,
    field: str,
    share_name: str,
    share: float,
    baseline_share: float,
    p_value: float,
    bound: float,
    snapshot: dict[str, Any],
) -> Breach:
    """A field's share jumped beyond the bound (and the test said it is no noise): P2."""
    what = share_name.replace("_", "-")
    return Breach(
        kind=DATA_QUALITY,
        subject=field,
        severity=P2,
        value=share,
        higher_is_worse=True,
        summary=(
            f"{what} share of {field} is {share:.3f} against a baseline of {baseline_share:.3f} "
            f"(bound +{bound:g}, p = {p_value:.2g})"
        ),
        snapshot=snapshot,
    )


def job_failure_breach(*, job: str, error: str) -> Breach:
    return Breach(
        kind=JOB_FAILURE,
        subject=job,
        severity=JOB_FAILURE_SEVERITY,
        value=None,
        higher_is_worse=True,
        summary=f"The {job} job failed: {error}",
    )


def review_due_breach(*, model: str, due: str, days_to_due: int) -> Breach | None:
    """A periodic review coming due (P3 from `REVIEW_NOTICE_DAYS` before), due or overdue
    (P2), or long overdue (P1 at `REVIEW_OVERDUE_DAYS`); None while it is further off.
    The value is the days overdue (negative before the due date)."""
    if days_to_due > REVIEW_NOTICE_DAYS:
        return None
    overdue = -days_to_due
    if overdue >= REVIEW_OVERDUE_DAYS:
        severity, when = P1, f"{overdue} days overdue"
    elif overdue >= 0:
        severity, when = P2, "due today" if overdue == 0 else f"{overdue} days overdue"
    else:
        severity, when = P3, f"due in {days_to_due} days"
    return Breach(
        kind=REVIEW_DUE,
        subject=model,
        severity=severity,
        value=float(overdue),
        higher_is_worse=True,
        summary=f"The periodic review of {model} is {when} (due {due})",
        snapshot={"due": due, "days_overdue": overdue},
    )


def review_failed_breach(*, model: str, review_id: int, comment: str) -> Breach:
    return Breach(
        kind=REVIEW_FAILED,
        subject=model,
        severity=P1,
        value=None,
        higher_is_worse=True,
        summary=f"Periodic review #{review_id} of {model} is unsatisfactory: {comment}",
        snapshot={"review_id": review_id},
    )


def worse(value: float | None, than: float | None, *, higher_is_worse: bool) -> bool:
    if value is None:
        return False
    if than is None:
        return True
    return value > than if higher_is_worse else value < than
