"""The realized-performance job: ROC-AUC, KS, Brier and calibration per cohort of
decisions with recorded outcomes (`monitoring.performance`), against the version's
validation AUC and the policy's bounds."""

from typing import Any

import numpy as np

from governance.models import ModelVersion

from .. import rules
from ..models import MonitoringPolicy, MonitoringRun, PerformanceCohort, RunStatus
from ..performance import cohort_performance
from ..selectors import decision_outcomes, incident_resolved_latest
from .base import Computed, policy_snapshot


def _resolved_cohorts(version: ModelVersion, subject: str) -> dict[str, float]:
    """Cohort -> value that the latest resolved incident on this metric already covered."""
    resolved = incident_resolved_latest(version=version, kind=rules.PERFORMANCE, subject=subject)
    return resolved.metric_snapshot.get("cohorts", {}) if resolved else {}


def _breach(
    version: ModelVersion, subject: str, candidates: list[tuple[dict[str, Any], rules.Breach]]
) -> rules.Breach | None:
    """One breach per metric and run: the worst cohort, with every breaching cohort listed.

    Cohorts stay in the window for months while their outcomes mature. A cohort that a
    resolved incident already covered raises again only if its value got worse since,
    so resolving an incident does not bring it back the next morning.
    """
    covered = _resolved_cohorts(version, subject)
    fresh = [
        (cohort, breach)
        for cohort, breach in candidates
        if cohort["cohort_start"] not in covered
        or rules.worse(breach.value, covered[cohort["cohort_start"]], higher_is_worse=breach.higher_is_worse)
    ]
    if not fresh:
        return None
    worst = fresh[0][1]
    for _, breach in fresh[1:]:
        if rules.worse(breach.value, worst.value, higher_is_worse=breach.higher_is_worse):
            worst = breach
    return rules.Breach(
        kind=worst.kind,
        subject=worst.subject,
        severity=min((b.severity for _, b in fresh), key=rules.SEVERITIES.index),
        value=worst.value,
        higher_is_worse=worst.higher_is_worse,
        summary=worst.summary,
        snapshot={"cohorts": {c["cohort_start"]: b.value for c, b in candidates}},
    )


def compute(run: MonitoringRun, policy: MonitoringPolicy) -> Computed:
    version = run.model_version
    chunks = list(decision_outcomes(version=version, window=run.window))
    validation_auc = version.metrics["roc_auc"]
    floor = version.registered_model.min_auc
    computed = Computed(
        RunStatus.COMPLETED,
        0,
        {
            "validation_auc": validation_auc,
            "auc_floor": floor,
            "policy": policy_snapshot(
                policy, "auc_drop_tolerance", "calibration_error_bound", "cohort_period", "min_cohort_outcomes"
            ),
        },
    )
    if not chunks:
        computed.status = RunStatus.INSUFFICIENT_DATA
        return computed
    data = np.concatenate(chunks)
    computed.rows = len(data)
    cohorts = cohort_performance(
        data["decided_at"],
        data["defaulted"],
        data["probability"],
        period=policy.cohort_period,
        threshold=version.threshold,
        min_outcomes=policy.min_cohort_outcomes,
    )
    auc_candidates, calibration_candidates = [], []
    for cohort in cohorts:
        computed.results.append(PerformanceCohort(period=policy.cohort_period, **cohort))
        if not cohort["judged"]:
            continue
        label = f"{policy.cohort_period} of {cohort['cohort_start']}"
        auc = rules.auc_breach(
            cohort=label,
            auc=cohort["roc_auc"],
            validation_auc=validation_auc,
            tolerance=policy.auc_drop_tolerance,
            floor=floor,
        )
        calibration = rules.calibration_breach(
            cohort=label,
            error=cohort["calibration_error"],
            default_rate=cohort["default_rate"],
            mean_probability=cohort["mean_probability"],
            bound=policy.calibration_error_bound,
        )
        auc_candidates += [(cohort, auc)] if auc else []
        calibration_candidates += [(cohort, calibration)] if calibration else []
    if not any(c["judged"] for c in cohorts):
        computed.status = RunStatus.INSUFFICIENT_DATA
    for subject, candidates in (("roc_auc", auc_candidates), ("calibration_error", calibration_candidates)):
        breach = _breach(version, subject, candidates) if candidates else None
        if breach is not None:
            computed.breaches.append(breach)
    computed.summary["cohorts_judged"] = sum(c["judged"] for c in cohorts)
    computed.summary["incidents"] = [b.subject for b in computed.breaches]
    return computed
