"""Realized performance per application cohort, once outcomes are known.

A cohort is the calendar week (Monday to Sunday, UTC) or month in which the applications
were decided. For each cohort: ROC-AUC, KS, Brier score, the observed default rate and the
mean predicted probability of default; the calibration error is the absolute difference
of the last two (calibration-in-the-large). A cohort with fewer outcomes than the minimum
is reported but not judged: its AUC would mostly be noise.

No Django here: arrays in, numbers out.
"""

from typing import Any

import numpy as np

from governance.ml.metrics import classification_metrics

WEEK, MONTH = "week", "month"
_THURSDAY_EPOCH_OFFSET = 3  # 1970-01-01 was a Thursday: weekday (Monday = 0) of day d is (d + 3) % 7


def cohort_starts(decided_at: np.ndarray, period: str) -> np.ndarray:
    """The first day (datetime64[D]) of each decision's cohort."""
    days = np.asarray(decided_at, dtype="datetime64[us]").astype("datetime64[D]")
    if period == MONTH:
        return days.astype("datetime64[M]").astype("datetime64[D]")
    if period == WEEK:
        day_numbers = days.astype(np.int64)
        return (day_numbers - (day_numbers + _THURSDAY_EPOCH_OFFSET) % 7).astype("datetime64[D]")
    raise ValueError(f"unknown cohort period {period!r}")


def cohort_performance(
    decided_at: np.ndarray,
    defaulted: np.ndarray,
    probability: np.ndarray,
    *,
    period: str,
    threshold: float,
    min_outcomes: int,
) -> list[dict[str, Any]]:
    """One row per cohort, oldest first (see the module docstring)."""
    starts = cohort_starts(decided_at, period)
    defaulted = np.asarray(defaulted, dtype=np.int64)
    probability = np.asarray(probability, dtype=np.float64)
    rows = []
    for start in np.unique(starts):
        in_cohort = starts == start
        metrics = classification_metrics(defaulted[in_cohort], probability[in_cohort], threshold)
        n = int(in_cohort.sum())
        rows.append(
            {
                "cohort_start": str(start),
                "outcomes": n,
                "defaults": int(defaulted[in_cohort].sum()),
                "roc_auc": metrics["roc_auc"],
                "ks": metrics["ks"],
                "brier": metrics["brier"],
                "default_rate": metrics["default_rate"],
                "mean_probability": metrics["mean_probability"],
                "calibration_error": abs(metrics["default_rate"] - metrics["mean_probability"]),
                "judged": n >= min_outcomes,
            }
        )
    return rows
