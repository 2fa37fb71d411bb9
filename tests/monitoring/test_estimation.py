"""Label-free performance estimation and the calibration it relies on, against direct
computations, scikit-learn, and outcomes drawn from the probabilities."""

import json

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from governance.ml.calibration import (
    expected_calibration_error,
    isotonic_mapping_apply,
    isotonic_mapping_fit,
    reliability_curve,
)
from governance.ml.metrics import classification_metrics
from monitoring.estimation import expected_roc_curve, performance_estimate

BANDED = ("roc_auc", "default_rate", "precision", "recall", "f1")


def probabilities(seed: int, n: int, *, ties: bool = False) -> np.ndarray:
    p = np.random.default_rng(seed).beta(1.2, 5.0, n)
    return np.round(p, 2) if ties else p


def outcomes(seed: int, p: np.ndarray) -> np.ndarray:
    """Defaults drawn from calibrated probabilities."""
    return (np.random.default_rng(seed).random(p.size) < p).astype(int)


def pairwise_expected_auc(p: np.ndarray) -> float:
    """sum over all ordered pairs (i, j), i = j included, of p_i (1 - p_j) k(i, j), k = 1 for
    p_i > p_j and 1/2 for a tie, over sum(p) * sum(1 - p): the expected number of
    (default, non-default) pairs the ranking orders correctly over the expected number of pairs."""
    kernel = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    return float(np.sum(p[:, None] * (1 - p[None, :]) * kernel) / (p.sum() * (1 - p).sum()))


def realized(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    metrics = classification_metrics(y, p, threshold)
    return {name: metrics[name] for name in BANDED}


@pytest.mark.parametrize(("seed", "ties"), [(1, False), (2, True), (3, True)])
def test_expected_auc_is_the_pairwise_expectation_under_calibration(seed, ties):
    p = probabilities(seed, 1500, ties=ties)
    if seed == 3:
        p[:100] = 0.0  # certain repayments and ...
        p[100:120] = 1.0  # ... certain defaults rank too
    estimate = performance_estimate(probability=p, threshold=0.3)
    assert estimate.roc_auc.value == pytest.approx(pairwise_expected_auc(p), abs=1e-12)


def test_expected_roc_curve_steps_through_each_distinct_probability():
    p = probabilities(4, 400, ties=True)
    fpr, tpr = expected_roc_curve(probability=p)
    cuts = np.unique(p)[::-1]
    assert len(fpr) == len(cuts) + 1
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    for k, cut in enumerate(cuts, 1):
        declined = p >= cut
        assert tpr[k] == pytest.approx(p[declined].sum() / p.sum(), abs=1e-12)
        assert fpr[k] == pytest.approx((1 - p[declined]).sum() / (1 - p).sum(), abs=1e-12)


def test_threshold_metrics_are_ratios_of_expected_counts():
    p = probabilities(5, 3000)
    estimate = performance_estimate(probability=p, threshold=0.25)
    confusion = estimate.confusion_matrix
    declined = p >= 0.25
    # Expected counts are the mean counts over many outcome draws.
    y = np.random.default_rng(50).random((2000, p.size)) < p
    draws = {
        "tp": (y & declined).sum(axis=1),
        "fp": (~y & declined).sum(axis=1),
        "fn": (y & ~declined).sum(axis=1),
        "tn": (~y & ~declined).sum(axis=1),
    }
    for name, counts in draws.items():
        assert abs(getattr(confusion, name) - counts.mean()) < 4 * counts.std() / np.sqrt(len(counts)), name
    assert confusion.tp + confusion.fp == declined.sum()
    assert confusion.tp + confusion.fn == pytest.approx(p.sum())
    assert estimate.precision.value == pytest.approx(confusion.tp / declined.sum())
    assert estimate.recall.value == pytest.approx(confusion.tp / p.sum())
    assert estimate.f1.value == pytest.approx(2 * confusion.tp / (2 * confusion.tp + confusion.fp + confusion.fn))
    assert estimate.default_rate.value == pytest.approx(p.mean())


def test_standard_errors_match_the_spread_of_realized_metrics():
    p = probabilities(6, 5000)
    estimate = performance_estimate(probability=p, threshold=0.3)
    draws = [realized(outcomes(1000 + s, p), p, 0.3) for s in range(400)]
    for name in BANDED:
        spread = np.std([d[name] for d in draws], ddof=1)
        # 400 draws pin a standard deviation down to about 3.5 %.
        assert getattr(estimate, name).standard_error == pytest.approx(spread, rel=0.12), name


def test_realized_metrics_fall_inside_the_95_percent_band_about_95_percent_of_the_time():
    inside = {name: 0 for name in BANDED}
    seeds = range(200)
    for seed in seeds:
        p = probabilities(seed, 5000)
        estimate = performance_estimate(probability=p, threshold=0.3)
        observed = realized(outcomes(10_000 + seed, p), p, 0.3)
        for name in BANDED:
            band = getattr(estimate, name)
            inside[name] += band.low <= observed[name] <= band.high
    for name in BANDED:
        assert 0.88 <= inside[name] / len(seeds) <= 0.99, (name, inside[name])


def test_estimates_from_a_fitted_model_are_close_to_what_was_realized():
    # A population with a known default mechanism; a model fitted on one sample of it
    # scores another that it never saw.
    rng = np.random.default_rng(7)
    coefficients = np.array([1.0, -0.7, 0.5, 0.3, 0.0])

    def population(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, len(coefficients)))
        default_probability = 1 / (1 + np.exp(-(-1.6 + x @ coefficients)))
        return x, (rng.random(n) < default_probability).astype(int)

    x_train, y_train = population(20_000)
    x_new, y_new = population(20_000)
    p = LogisticRegression().fit(x_train, y_train).predict_proba(x_new)[:, 1]
    estimate = performance_estimate(probability=p, threshold=0.3)
    actual = classification_metrics(y_new, p, 0.3)
    assert abs(estimate.roc_auc.value - actual["roc_auc"]) < 0.02
    assert abs(estimate.default_rate.value - actual["default_rate"]) < 0.01
    for name in BANDED:
        assert abs(getattr(estimate, name).value - actual[name]) < 0.03, name


def test_bands_are_the_normal_interval_clipped_to_zero_and_one():
    p = probabilities(8, 2000)
    wide = performance_estimate(probability=p, threshold=0.3, confidence=0.99)
    narrow = performance_estimate(probability=p, threshold=0.3, confidence=0.8)
    for name in BANDED:
        w, m = getattr(wide, name), getattr(narrow, name)
        assert w.value == m.value and w.standard_error == m.standard_error
        assert w.high - w.value == pytest.approx(2.5758293 * w.standard_error)
        assert m.value - m.low == pytest.approx(1.2815516 * m.standard_error)
    certain = performance_estimate(probability=np.array([0.0, 0.0, 1.0, 1.0, 0.999]), threshold=0.5)
    assert certain.precision.high == 1.0 and certain.precision.low < 1.0
    assert certain.roc_auc.value > 0.9999 and certain.roc_auc.high == 1.0


def test_nothing_declined_or_no_expected_default_gives_zero_not_nan():
    p = probabilities(9, 500)
    approve_all = performance_estimate(probability=p, threshold=1.0)
    assert (approve_all.precision.value, approve_all.precision.standard_error) == (0.0, 0.0)
    assert approve_all.recall.value == 0.0
    assert approve_all.f1.value == 0.0
    assert approve_all.confusion_matrix.tp == 0.0
    no_risk = performance_estimate(probability=np.zeros(50), threshold=0.5)
    assert no_risk.roc_auc is None
    assert (no_risk.default_rate.value, no_risk.recall.value, no_risk.f1.value) == (0.0, 0.0, 0.0)
    assert performance_estimate(probability=np.ones(50), threshold=0.5).roc_auc is None


def test_reliability_curve_and_calibration_error_match_a_direct_computation():
    p = probabilities(10, 4000)
    p[:5] = [0.0, 0.1, 0.2, 0.5, 1.0]  # values on bin edges
    y = outcomes(11, np.clip(p * 1.3, 0, 1))  # defaults more often than predicted
    curve = reliability_curve(y_true=y, probability=p, bins=10)
    expected_true, expected_predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    filled = [b for b in curve if b.count]
    assert [b.observed_rate for b in filled] == pytest.approx(list(expected_true), abs=1e-12)
    assert [b.mean_predicted for b in filled] == pytest.approx(list(expected_predicted), abs=1e-12)
    assert sum(b.count for b in curve) == len(p)
    assert [(b.lower, b.upper) for b in curve][:2] == [(0.0, 0.1), (0.1, 0.2)]
    empty = [b for b in curve if not b.count]
    assert all(b.mean_predicted is None and b.observed_rate is None for b in empty)

    error = 0.0
    for k in range(10):
        lower, upper = k / 10, (k + 1) / 10
        in_bin = (p > lower) & (p <= upper) if k else (p <= upper)
        if in_bin.any():
            error += in_bin.mean() * abs(y[in_bin].mean() - p[in_bin].mean())
    assert expected_calibration_error(y_true=y, probability=p, bins=10) == pytest.approx(error, abs=1e-12)
    assert error > 0.03  # the 30 % under-prediction shows


def test_calibrated_probabilities_have_a_small_calibration_error():
    p = probabilities(12, 50_000)
    assert expected_calibration_error(y_true=outcomes(13, p), probability=p) < 0.01


def test_isotonic_mapping_is_json_and_reproduces_isotonic_regression():
    p = probabilities(14, 3000, ties=True)
    y = outcomes(15, np.clip(p * 1.5, 0, 1))
    mapping = json.loads(json.dumps(isotonic_mapping_fit(y_true=y, probability=p)))
    regression = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p, y)
    new = np.r_[np.linspace(0, 1, 501), probabilities(16, 1000), 0.0, 1.0]
    recalibrated = isotonic_mapping_apply(mapping=mapping, probability=new)
    np.testing.assert_allclose(recalibrated, regression.predict(new), atol=1e-12)
    assert np.all(np.diff(isotonic_mapping_apply(mapping=mapping, probability=np.sort(new))) >= 0)
    assert expected_calibration_error(
        y_true=y, probability=isotonic_mapping_apply(mapping=mapping, probability=p)
    ) < expected_calibration_error(y_true=y, probability=p)


@pytest.mark.parametrize(
    ("probability", "message"),
    [
        ([], "no probabilities"),
        ([0.2, np.nan, 0.4], "contains NaN"),
        ([0.2, 1.2], r"must lie in \[0, 1\]"),
        ([-0.1, 0.5], r"must lie in \[0, 1\]"),
        ([[0.2, 0.3]], "one-dimensional"),
    ],
)
def test_unusable_probabilities_are_refused(probability, message):
    p = np.array(probability, dtype=float)
    with pytest.raises(ValueError, match=message):
        performance_estimate(probability=p, threshold=0.5)
    with pytest.raises(ValueError, match=message):
        expected_roc_curve(probability=p)
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(y_true=np.zeros(p.shape), probability=p)
    with pytest.raises(ValueError, match=message):
        isotonic_mapping_fit(y_true=np.zeros(p.shape), probability=p)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"threshold": 0.5, "confidence": 1.0}, "confidence"),
    ],
)
def test_an_unusable_threshold_or_confidence_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        performance_estimate(probability=np.array([0.1, 0.6]), **kwargs)


def test_calibration_helpers_refuse_mismatched_or_non_binary_outcomes():
    p = np.array([0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="y_true has 2 cases, probability has 3"):
        reliability_curve(y_true=np.array([0, 1]), probability=p)
    with pytest.raises(ValueError, match="outcomes 0"):
        expected_calibration_error(y_true=np.array([0, 1, 2]), probability=p)
    with pytest.raises(ValueError, match="bins"):
        reliability_curve(y_true=np.array([0, 1, 1]), probability=p, bins=0)
    with pytest.raises(ValueError, match="y_true has 2 cases"):
        isotonic_mapping_fit(y_true=np.array([0, 1]), probability=p)
    with pytest.raises(ValueError, match="expected ROC curve needs"):
        expected_roc_curve(probability=np.zeros(3))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"thresholds": [], "values": []}, "at least one"),
        ({"thresholds": [0.1, 0.5], "values": [0.2]}, "as many values"),
        ({"thresholds": [0.5, 0.1], "values": [0.1, 0.2]}, "strictly increasing"),
        ({"thresholds": [0.1, 0.5], "values": [0.3, 0.2]}, "non-decreasing"),
        ({"thresholds": [0.1, 0.5], "values": [0.3, 1.2]}, r"within \[0, 1\]"),
    ],
)
def test_a_corrupt_stored_mapping_is_refused(mapping, message):
    with pytest.raises(ValueError, match=message):
        isotonic_mapping_apply(mapping=mapping, probability=np.array([0.2, 0.4]))
