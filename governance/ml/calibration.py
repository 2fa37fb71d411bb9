"""Calibration of predicted probabilities of default against observed outcomes.

The reliability curve and expected calibration error on equal-width bins, and isotonic
recalibration stored as a plain mapping (JSON) applied with `numpy.interp`. Registration
records them on the holdout (`holdout_calibration`), so that monitoring can tell whether a
version's probabilities may stand in for outcomes (`monitoring.estimation`).

No Django here: arrays in, numbers out.
"""

from dataclasses import asdict, dataclass
from typing import Any, TypedDict

import numpy as np
from sklearn.isotonic import IsotonicRegression

# Holdout expected calibration error above which registration also fits an isotonic
# recalibration: label-free estimates assume calibrated probabilities, and 0.02 is the
# default-rate accuracy (within 1 percentage point) they are held to with margin.
HOLDOUT_CALIBRATION_BOUND = 0.02
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width bin of predicted probability, `(lower, upper]` (the first closed at 0).

    The means are None for an empty bin.
    """

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


class IsotonicMapping(TypedDict):
    """Isotonic recalibration as `numpy.interp(p, thresholds, values)`: JSON as it is."""

    thresholds: list[float]
    values: list[float]


def reliability_curve(*, y_true: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """Per equal-width bin of probability: count, mean predicted probability, observed default rate."""
    y, p = checked_outcomes(y_true), checked_probabilities(probability)
    if len(y) != len(p):
        raise ValueError(f"y_true has {len(y)} cases, probability has {len(p)}")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bins are (lower, upper] with the first closed at 0, as scikit-learn's calibration_curve.
    codes = np.searchsorted(edges[1:-1], p)
    counts = np.bincount(codes, minlength=bins)
    predicted = np.bincount(codes, weights=p, minlength=bins)
    observed = np.bincount(codes, weights=y, minlength=bins)
    return [
        ReliabilityBin(
            lower=float(edges[b]),
            upper=float(edges[b + 1]),
            count=int(counts[b]),
            mean_predicted=float(predicted[b] / counts[b]) if counts[b] else None,
            observed_rate=float(observed[b] / counts[b]) if counts[b] else None,
        )
        for b in range(bins)
    ]


def expected_calibration_error(*, y_true: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """sum over equal-width bins of (count / n) * |observed default rate - mean predicted|."""
    curve = reliability_curve(y_true=y_true, probability=probability, bins=bins)
    n = sum(b.count for b in curve)
    return float(
        sum(
            b.count / n * abs(b.observed_rate - b.mean_predicted)
            for b in curve
            if b.observed_rate is not None and b.mean_predicted is not None
        )
    )


def isotonic_mapping_fit(*, y_true: np.ndarray, probability: np.ndarray) -> IsotonicMapping:
    """A non-decreasing recalibration of `probability` to observed defaults (e.g. on the holdout).

    Outside the fitted range the mapping holds its end values, as `IsotonicRegression` with
    `out_of_bounds="clip"` predicts.
    """
    y, p = checked_outcomes(y_true), checked_probabilities(probability)
    if len(y) != len(p):
        raise ValueError(f"y_true has {len(y)} cases, probability has {len(p)}")
    regression = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(p, y)
    return {
        "thresholds": [float(x) for x in regression.X_thresholds_],
        "values": [float(v) for v in regression.y_thresholds_],
    }


def isotonic_mapping_apply(*, mapping: IsotonicMapping, probability: np.ndarray) -> np.ndarray:
    """Recalibrated probabilities; the mapping is checked, since it comes back from storage."""
    p = checked_probabilities(probability)
    thresholds = np.asarray(mapping["thresholds"], dtype=np.float64)
    values = np.asarray(mapping["values"], dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.shape != values.shape or not len(thresholds):
        raise ValueError("an isotonic mapping needs as many values as thresholds, at least one")
    if np.any(np.diff(thresholds) <= 0):
        raise ValueError("isotonic mapping thresholds must be strictly increasing")
    if np.any(np.diff(values) < 0) or values[0] < 0 or values[-1] > 1:
        raise ValueError("isotonic mapping values must be non-decreasing within [0, 1]")
    return np.interp(p, thresholds, values)


def holdout_calibration(*, y_true: np.ndarray, probability: np.ndarray) -> dict[str, Any]:
    """What registration stores on a version: ECE and reliability curve on the holdout,
    the bound it was judged against, and an isotonic mapping when the ECE is above it."""
    error = expected_calibration_error(y_true=y_true, probability=probability, bins=CALIBRATION_BINS)
    return {
        "bins": CALIBRATION_BINS,
        "expected_calibration_error": error,
        "bound": HOLDOUT_CALIBRATION_BOUND,
        "reliability_curve": [
            asdict(b) for b in reliability_curve(y_true=y_true, probability=probability, bins=CALIBRATION_BINS)
        ],
        "isotonic": (
            isotonic_mapping_fit(y_true=y_true, probability=probability) if error > HOLDOUT_CALIBRATION_BOUND else None
        ),
    }


def checked_probabilities(probability: np.ndarray) -> np.ndarray:
    p = np.asarray(probability, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"probability must be one-dimensional, got shape {p.shape}")
    if not len(p):
        raise ValueError("no probabilities to estimate from")
    if np.isnan(p).any():
        raise ValueError("probability contains NaN")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(f"probabilities must lie in [0, 1], got values from {p.min()} to {p.max()}")
    return p


def checked_outcomes(y_true: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {y.shape}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must hold outcomes 0 (repaid) and 1 (defaulted) only")
    return y
