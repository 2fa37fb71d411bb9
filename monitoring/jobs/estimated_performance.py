"""The estimated-performance job: the window's default rate, ROC-AUC, precision, recall
and F1 estimated from its predicted probabilities alone (`monitoring.estimation`), long
before the outcomes arrive; and the backtest of that estimate on the cohorts whose outcomes
have matured (the realized-performance job's cohorts).

The estimate assumes calibrated probabilities, which registration measured on the holdout
(`governance.ml.calibration`). A version without that record, or above its bound when the
policy does not allow its isotonic recalibration, is reported not estimable with the reason.
"""

from datetime import timedelta
from typing import Any

import numpy as np

from governance.ml.calibration import isotonic_mapping_apply
from governance.models import ModelVersion

from .. import rules
from ..estimation import EstimatedMetric, performance_estimate
from ..models import EstimatedPerformance, EstimationBacktest, MonitoringPolicy, MonitoringRun, RunStatus
from ..performance import cohort_performance, cohort_starts
from ..selectors import decision_outcomes, decision_probabilities
from ..windows import Window
from .base import Computed, policy_snapshot

NO_CALIBRATION = "not estimable: no holdout calibration recorded"
# The backtest looks as far back as the realized-performance job does (24 months).
BACKTEST_HOURS = 730 * 24


def _not_estimable(version: ModelVersion, policy: MonitoringPolicy) -> str | None:
    calibration = version.calibration
    if not calibration:
        return NO_CALIBRATION
    error, bound = calibration["expected_calibration_error"], calibration["bound"]
    if error > bound and not policy.recalibrate_for_estimation:
        return (
            f"not estimable: holdout calibration error {error:.4f} is above the bound {bound:g} "
            "and the policy does not allow estimating from the isotonic recalibration"
        )
    return None


def _recalibration(version: ModelVersion) -> Any:
    """The isotonic mapping to estimate from, or None to use the probabilities as they are."""
    calibration = version.calibration
    if calibration["expected_calibration_error"] > calibration["bound"]:
        return calibration["isotonic"]
    return None


def _calibrated(raw: np.ndarray, mapping: Any) -> np.ndarray:
    return raw if mapping is None else isotonic_mapping_apply(mapping=mapping, probability=raw)


def _band(metric: EstimatedMetric) -> dict[str, float]:
    return {"value": metric.value, "standard_error": metric.standard_error, "low": metric.low, "high": metric.high}


def _backtest(
    version: ModelVersion, run: MonitoringRun, policy: MonitoringPolicy, mapping: Any
) -> list[EstimationBacktest]:
    """Estimated beside realized AUC and default rate for every judged (matured) cohort."""
    window = Window(run.window_end - timedelta(hours=BACKTEST_HOURS), run.window_end)
    chunks = list(decision_outcomes(version=version, window=window))
    if not chunks:
        return []
    data = np.concatenate(chunks)
    realized = cohort_performance(
        data["decided_at"],
        data["defaulted"],
        data["probability"],
        period=policy.cohort_period,
        threshold=version.threshold,
        min_outcomes=policy.min_cohort_outcomes,
    )
    starts = cohort_starts(data["decided_at"], policy.cohort_period).astype(str)
    rows = []
    for cohort in realized:
        if not cohort["judged"]:
            continue
        raw = data["probability"][starts == cohort["cohort_start"]]
        estimate = performance_estimate(probability=_calibrated(raw, mapping), threshold=version.threshold)
        estimated_auc = estimate.roc_auc.value if estimate.roc_auc else None
        realized_auc = cohort["roc_auc"]
        rows.append(
            EstimationBacktest(
                cohort_start=cohort["cohort_start"],
                period=policy.cohort_period,
                outcomes=cohort["outcomes"],
                estimated_roc_auc=estimated_auc,
                realized_roc_auc=realized_auc,
                roc_auc_error=(
                    estimated_auc - realized_auc if estimated_auc is not None and realized_auc is not None else None
                ),
                estimated_default_rate=estimate.default_rate.value,
                realized_default_rate=cohort["default_rate"],
                default_rate_error=estimate.default_rate.value - cohort["default_rate"],
            )
        )
    return rows


def compute(run: MonitoringRun, policy: MonitoringPolicy) -> Computed:
    version = run.model_version
    validation_auc = version.metrics["roc_auc"]
    summary: dict[str, Any] = {
        "validation_auc": validation_auc,
        "policy": policy_snapshot(
            policy, "auc_drop_tolerance", "min_window_size", "recalibrate_for_estimation", "min_cohort_outcomes"
        ),
    }
    reason = _not_estimable(version, policy)
    if reason is not None:
        return Computed(RunStatus.NOT_ESTIMABLE, 0, {**summary, "reason": reason})

    mapping = _recalibration(version)
    summary["recalibrated"] = mapping is not None
    computed = Computed(RunStatus.COMPLETED, 0, summary)
    computed.results += _backtest(version, run, policy, mapping)
    summary["backtest_cohorts"] = len(computed.results)

    raw = decision_probabilities(version=version, window=run.window)
    computed.rows = len(raw)
    if len(raw) < policy.min_window_size:
        computed.status = RunStatus.INSUFFICIENT_DATA
        return computed
    estimate = performance_estimate(
        probability=_calibrated(raw, mapping), threshold=version.threshold, declined=raw >= version.threshold
    )
    auc = estimate.roc_auc
    metrics = {
        name: _band(metric)
        for name, metric in (
            ("default_rate", estimate.default_rate),
            ("precision", estimate.precision),
            ("recall", estimate.recall),
            ("f1", estimate.f1),
        )
    }
    if auc is not None:
        metrics["roc_auc"] = _band(auc)
    computed.results.append(
        EstimatedPerformance(
            decisions=estimate.n,
            threshold=estimate.threshold,
            recalibrated=mapping is not None,
            confidence=estimate.confidence,
            expected_default_rate=estimate.default_rate.value,
            expected_roc_auc=auc.value if auc else None,
            validation_auc=validation_auc,
            metrics=metrics,
            confusion_matrix=vars(estimate.confusion_matrix),
        )
    )
    breach = rules.estimated_auc_breach(
        auc=auc.value if auc else None,
        low=auc.low if auc else None,
        validation_auc=validation_auc,
        tolerance=policy.auc_drop_tolerance,
    )
    if breach is not None:
        computed.breaches.append(breach)
    summary["expected_roc_auc"] = auc.value if auc else None
    summary["expected_default_rate"] = estimate.default_rate.value
    summary["incidents"] = [b.subject for b in computed.breaches]
    return computed
