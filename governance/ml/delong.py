"""DeLong's test for the areas under two correlated ROC curves (the same cases scored twice).

DeLong, DeLong & Clarke-Pearson (1988) estimate the covariance of two empirical AUCs from
their structural components, the placement values of each case:

    V10_i = (1 / n) * sum_j psi(X_i, Y_j)    for each of the m positives X_i
    V01_j = (1 / m) * sum_i psi(X_i, Y_j)    for each of the n negatives Y_j
    psi(x, y) = 1 if x > y, 1/2 if x = y, 0 if x < y

    AUC = mean(V10) = mean(V01),   S = S10 / m + S01 / n

where S10 and S01 are the sample covariance matrices (denominators m - 1 and n - 1) of the
components across the two scores. The difference AUC_b - AUC_a has the variance
var(V10_b - V10_a) / m + var(V01_b - V01_a) / n, which is L S L' with L = (-1, 1) computed
without the cancellation of the three-term form, and z = difference / sqrt(variance) is
referred to the standard normal.

Sun & Xu (2014) obtain the components from midranks instead of the m * n comparisons: with
TZ the midrank of a case among all cases, TX among the positives and TY among the negatives,
V10_i = (TZ_i - TX_i) / n and V01_j = 1 - (TZ_j - TY_j) / m. Here one sort per score gives all
three, because the positives (and the negatives) taken in the combined sorted order are
themselves sorted: O(N log N) time and a few arrays of N floats for N cases.

The positive class is the one the score ranks high: `y_true == positive_label` (a default,
in this portal, against a probability of default).

Zero variance: when both scores order every positive against every negative the same way
(identical scores, or one a monotone transform of the other) the difference is 0 with
variance 0; the test then reports z = 0 and p-value 1 (nothing distinguishes the curves).
A non-zero difference with zero variance (each score separating the classes perfectly, in
opposite directions) gives z = +-inf and p-value 0.

No Django here: arrays in, numbers out.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class DelongAuc:
    """One ROC curve's AUC with DeLong's variance and a normal confidence interval.

    The interval is clipped to [0, 1], the range an AUC can take.
    """

    auc: float
    variance: float
    standard_error: float
    ci_low: float
    ci_high: float
    confidence: float
    n_positive: int
    n_negative: int


@dataclass(frozen=True)
class DelongResult:
    """Two correlated ROC curves compared; `difference` is `auc_b - auc_a`.

    `covariance` is the covariance of the two AUC estimates; `variance_difference` is, up to
    rounding, `variance_a + variance_b - 2 * covariance`. `p_value` is two-sided.
    """

    auc_a: float
    auc_b: float
    difference: float
    variance_a: float
    variance_b: float
    covariance: float
    variance_difference: float
    standard_error: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    confidence: float
    n_positive: int
    n_negative: int


def delong_auc_interval(
    *, y_true: np.ndarray, score: np.ndarray, confidence: float = 0.95, positive_label: int | str = 1
) -> DelongAuc:
    """AUC of `score` for `y_true` with DeLong's variance and a `confidence` interval."""
    positive = _positive_mask(y_true, positive_label)
    (v10,), (v01,) = _structural_components(positive, [_scores(score, len(positive), "score")])
    auc = float(v10.mean())
    variance = _auc_covariance(v10, v10, v01, v01)
    half_width = _normal_quantile(confidence) * np.sqrt(variance)
    return DelongAuc(
        auc=auc,
        variance=variance,
        standard_error=float(np.sqrt(variance)),
        ci_low=max(0.0, auc - half_width),
        ci_high=min(1.0, auc + half_width),
        confidence=confidence,
        n_positive=len(v10),
        n_negative=len(v01),
    )


def delong_roc_test(
    *,
    y_true: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    confidence: float = 0.95,
    positive_label: int | str = 1,
) -> DelongResult:
    """DeLong's two-sided test of AUC(score_b) = AUC(score_a) on the same cases.

    The confidence interval is for `auc_b - auc_a`. See the module docstring for the
    zero-variance cases.
    """
    positive = _positive_mask(y_true, positive_label)
    scores = [_scores(score_a, len(positive), "score_a"), _scores(score_b, len(positive), "score_b")]
    (v10_a, v10_b), (v01_a, v01_b) = _structural_components(positive, scores)
    quantile = _normal_quantile(confidence)
    auc_a, auc_b = float(v10_a.mean()), float(v10_b.mean())
    difference = auc_b - auc_a
    d10, d01 = v10_b - v10_a, v01_b - v01_a
    variance_difference = _auc_covariance(d10, d10, d01, d01)
    standard_error = float(np.sqrt(variance_difference))
    if standard_error > 0:
        z = difference / standard_error
        p_value = float(2 * norm.sf(abs(z)))
    elif difference == 0:
        z, p_value = 0.0, 1.0
    else:
        z, p_value = float(np.copysign(np.inf, difference)), 0.0
    return DelongResult(
        auc_a=auc_a,
        auc_b=auc_b,
        difference=difference,
        variance_a=_auc_covariance(v10_a, v10_a, v01_a, v01_a),
        variance_b=_auc_covariance(v10_b, v10_b, v01_b, v01_b),
        covariance=_auc_covariance(v10_a, v10_b, v01_a, v01_b),
        variance_difference=variance_difference,
        standard_error=standard_error,
        ci_low=difference - quantile * standard_error,
        ci_high=difference + quantile * standard_error,
        z=float(z),
        p_value=p_value,
        confidence=confidence,
        n_positive=len(v10_a),
        n_negative=len(v01_a),
    )


def midranks(sorted_values: np.ndarray) -> np.ndarray:
    """1-based ranks of an ascending array, tied values sharing the mean of their ranks."""
    n = len(sorted_values)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], n]
    run_lengths = ends - starts
    # Ranks start + 1 .. end average to (start + end + 1) / 2.
    return np.repeat((starts + ends + 1) / 2.0, run_lengths)


def _auc_covariance(a10: np.ndarray, b10: np.ndarray, a01: np.ndarray, b01: np.ndarray) -> float:
    """S10 / m + S01 / n for one pair of scores: the covariance of their two AUCs."""
    m, n = len(a10), len(a01)
    s10 = np.dot(a10 - a10.mean(), b10 - b10.mean()) / (m - 1)
    s01 = np.dot(a01 - a01.mean(), b01 - b01.mean()) / (n - 1)
    return float(s10 / m + s01 / n)


def _structural_components(positive: np.ndarray, scores: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """V10 (per positive) and V01 (per negative) of each score, cases in their input order."""
    m = int(positive.sum())
    n = len(positive) - m
    positive_rank = np.cumsum(positive) - 1  # index of each case among its own class
    negative_rank = np.cumsum(~positive) - 1
    v10s, v01s = [], []
    for score in scores:
        order = np.argsort(score)
        values = score[order]
        is_positive = positive[order]
        tz = midranks(values)
        tx = midranks(values[is_positive])
        ty = midranks(values[~is_positive])
        v10 = np.empty(m)
        v01 = np.empty(n)
        v10[positive_rank[order[is_positive]]] = (tz[is_positive] - tx) / n
        v01[negative_rank[order[~is_positive]]] = 1.0 - (tz[~is_positive] - ty) / m
        v10s.append(v10)
        v01s.append(v01)
    return v10s, v01s


def _positive_mask(y_true: np.ndarray, positive_label: int | str) -> np.ndarray:
    labels = np.asarray(y_true)
    if labels.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {labels.shape}")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("y_true contains NaN")
    classes = np.unique(labels)
    if len(classes) != 2:
        raise ValueError(f"y_true must contain exactly two classes, got {len(classes)}: {classes[:5].tolist()}")
    if positive_label not in classes:
        raise ValueError(f"positive_label {positive_label!r} is not one of the classes {classes.tolist()}")
    positive = labels == positive_label
    m = int(positive.sum())
    if min(m, len(positive) - m) < 2:
        # One case of a class leaves its structural components without a variance.
        raise ValueError(f"need at least two cases of each class, got {m} positive and {len(positive) - m} negative")
    return positive


def _scores(score: np.ndarray, length: int, name: str) -> np.ndarray:
    values = np.asarray(score, dtype=np.float64)
    if values.shape != (length,):
        raise ValueError(f"{name} has shape {values.shape}, y_true has {length} cases")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return values


def _normal_quantile(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))
