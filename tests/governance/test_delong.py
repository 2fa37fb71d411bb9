"""DeLong's test for two correlated ROC curves, against scikit-learn and against DeLong,
DeLong & Clarke-Pearson (1988) computed here pair by pair."""

import numpy as np
import pytest
from scipy.stats import kstest, norm
from sklearn.metrics import roc_auc_score

from governance.ml.delong import delong_auc_interval, delong_roc_test


def delong_1988(y_true: np.ndarray, scores: list[np.ndarray]) -> dict[str, np.ndarray | float]:
    """The paper's estimator with the explicit m * n kernel psi(X, Y) = 1, 1/2, 0.

    X are the positives' scores, Y the negatives'; V10 and V01 are the structural
    components, S10 and S01 their sample covariances (denominators m - 1 and n - 1).
    """
    positive = y_true == 1
    psis = []
    for s in scores:
        x, y = s[positive][:, None], s[~positive][None, :]
        psis.append((x > y) + 0.5 * (x == y))
    m, n = psis[0].shape
    theta = np.array([psi.mean() for psi in psis])
    v10 = np.vstack([psi.mean(axis=1) for psi in psis])
    v01 = np.vstack([psi.mean(axis=0) for psi in psis])
    s = np.cov(v10) / m + np.cov(v01) / n
    contrast = np.array([-1.0, 1.0])
    variance = float(contrast @ s @ contrast) if len(scores) == 2 else float("nan")
    z = (theta[-1] - theta[0]) / np.sqrt(variance) if len(scores) == 2 else float("nan")
    return {"theta": theta, "s": np.atleast_2d(s), "variance": variance, "z": z, "p": 2 * norm.sf(abs(z))}


def correlated_scores(seed: int, n: int, *, ties: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    shared = rng.normal(size=n)
    a = 0.9 * y + shared + 0.6 * rng.normal(size=n)
    b = 1.1 * y + shared + 0.8 * rng.normal(size=n)
    if ties:
        a, b = np.round(a, 0), np.round(b * 2, 0) / 2
    return y, a, b


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aucs_equal_scikit_learn(seed, ties):
    y, a, b = correlated_scores(seed, 3000, ties=ties)
    result = delong_roc_test(y_true=y, score_a=a, score_b=b)
    assert result.auc_a == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert result.auc_b == pytest.approx(roc_auc_score(y, b), abs=1e-12)
    assert result.difference == pytest.approx(roc_auc_score(y, b) - roc_auc_score(y, a), abs=1e-12)
    assert delong_auc_interval(y_true=y, score=a).auc == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert (result.n_positive, result.n_negative) == (int(y.sum()), int((1 - y).sum()))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("seed", "n"), [(11, 60), (12, 300), (13, 700), (14, 1200)])
def test_variance_covariance_z_and_p_value_agree_with_the_1988_estimator(seed, n, ties):
    y, a, b = correlated_scores(seed, n, ties=ties)
    reference = delong_1988(y, [a, b])
    result = delong_roc_test(y_true=y, score_a=a, score_b=b)
    s = reference["s"]
    assert result.variance_a == pytest.approx(s[0, 0], abs=1e-10)
    assert result.variance_b == pytest.approx(s[1, 1], abs=1e-10)
    assert result.covariance == pytest.approx(s[0, 1], abs=1e-10)
    assert result.variance_difference == pytest.approx(reference["variance"], abs=1e-10)
    assert result.z == pytest.approx(reference["z"], abs=1e-6)
    assert result.p_value == pytest.approx(reference["p"], abs=1e-6)
    quantile = norm.ppf(0.975)
    half_width = quantile * np.sqrt(reference["variance"])
    assert result.ci_low == pytest.approx(result.difference - half_width, abs=1e-9)
    assert result.ci_high == pytest.approx(result.difference + half_width, abs=1e-9)


@pytest.mark.parametrize("ties", [False, True])
def test_single_curve_interval_agrees_with_the_1988_variance(ties):
    y, a, _ = correlated_scores(21, 800, ties=ties)
    reference = delong_1988(y, [a])
    interval = delong_auc_interval(y_true=y, score=a, confidence=0.9)
    assert interval.variance == pytest.approx(reference["s"][0, 0], abs=1e-10)
    assert interval.standard_error == pytest.approx(np.sqrt(reference["s"][0, 0]), abs=1e-10)
    half_width = norm.ppf(0.95) * interval.standard_error
    assert interval.ci_low == pytest.approx(interval.auc - half_width, abs=1e-12)
    assert interval.ci_high == pytest.approx(interval.auc + half_width, abs=1e-12)


def test_hand_checked_three_by_three_case():
    # Positives are the first three cases, negatives the last three.
    #   a: positives 4, 3, 1   negatives 2, 1, 0   (one tie: 1 against 1)
    #   b: positives 3, 4, 2   negatives 1, 3.5, 0
    # psi rows (positives) against columns (negatives):
    #   a: [1 1 1], [1 1 1], [0 1/2 1]  -> V10_a = 1, 1, 1/2;   V01_a = 2/3, 5/6, 1;  AUC_a = 5/6
    #   b: [1 0 1], [1 1 1], [1 0 1]    -> V10_b = 2/3, 1, 2/3; V01_b = 1, 1/3, 1;    AUC_b = 7/9
    # difference = 7/9 - 5/6 = -1/18
    # V10_b - V10_a = -1/3, 0, 1/6: deviations from -1/18 are -5/18, 1/18, 4/18, variance 42/324/2 = 7/108
    # V01_b - V01_a = 1/3, -1/2, 0: deviations 7/18, -8/18, 1/18, variance 114/324/2 = 19/108
    # var(difference) = (7/108) / 3 + (19/108) / 3 = 13/162, so z^2 = (1/324) / (13/162) = 1/26
    # var(AUC_a) = var(1, 1, 1/2) / 3 + var(2/3, 5/6, 1) / 3 = (1/12) / 3 + (1/36) / 3 = 1/27
    y = np.array([1, 1, 1, 0, 0, 0])
    a = np.array([4, 3, 1, 2, 1, 0])
    b = np.array([3, 4, 2, 1, 3.5, 0])
    result = delong_roc_test(y_true=y, score_a=a, score_b=b)
    assert result.auc_a == pytest.approx(5 / 6, abs=1e-15)
    assert result.auc_b == pytest.approx(7 / 9, abs=1e-15)
    assert result.difference == pytest.approx(-1 / 18, abs=1e-15)
    assert result.variance_difference == pytest.approx(13 / 162, abs=1e-15)
    assert result.variance_a == pytest.approx(1 / 27, abs=1e-15)
    assert result.z == pytest.approx(-1 / np.sqrt(26), abs=1e-12)
    assert result.p_value == pytest.approx(0.844519, abs=1e-6)  # 2 * Phi(-1 / sqrt(26))
    assert delong_auc_interval(y_true=y, score=a).variance == pytest.approx(1 / 27, abs=1e-15)


def test_the_same_scores_give_p_value_one():
    y, a, _ = correlated_scores(31, 2000, ties=False)
    for b in (a.copy(), 3 * a + 7):  # a monotone transform orders every pair as `a` does
        result = delong_roc_test(y_true=y, score_a=a, score_b=b)
        assert result.difference == 0.0
        assert result.variance_difference == 0.0
        assert (result.z, result.p_value) == (0.0, 1.0)
        assert (result.ci_low, result.ci_high) == (0.0, 0.0)


def test_opposite_perfect_separations_are_a_certain_difference():
    y = np.array([1, 1, 1, 0, 0, 0])
    perfect = np.array([6.0, 5, 4, 3, 2, 1])
    result = delong_roc_test(y_true=y, score_a=perfect, score_b=-perfect)
    assert result.difference == -1.0
    assert result.variance_difference == 0.0
    assert result.z == -np.inf
    assert result.p_value == 0.0


def test_a_clearly_better_model_on_many_cases_is_significant():
    rng = np.random.default_rng(41)
    y = (rng.random(20_000) < 0.2).astype(int)
    weak = 0.5 * y + rng.normal(size=y.size)
    strong = 1.2 * y + rng.normal(size=y.size)
    result = delong_roc_test(y_true=y, score_a=weak, score_b=strong)
    assert result.difference > 0.1
    assert result.p_value < 1e-6
    assert result.ci_low > 0


def test_p_values_under_the_null_are_roughly_uniform():
    # Two scores with the same signal and the same amount of independent noise: equal AUCs.
    p_values = []
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        y = (rng.random(400) < 0.3).astype(int)
        shared = 0.8 * y + rng.normal(size=y.size)
        a = shared + rng.normal(size=y.size)
        b = shared + rng.normal(size=y.size)
        p_values.append(delong_roc_test(y_true=y, score_a=a, score_b=b).p_value)
    p_values = np.array(p_values)
    assert 0.02 <= np.mean(p_values < 0.05) <= 0.09
    assert kstest(p_values, "uniform").pvalue > 0.01


def test_another_positive_label_ranks_that_class_high():
    y, a, b = correlated_scores(51, 1000, ties=True)
    result = delong_roc_test(y_true=y, score_a=a, score_b=b, positive_label=0)
    assert result.auc_a == pytest.approx(roc_auc_score(y == 0, a), abs=1e-12)
    assert result.n_positive == int((y == 0).sum())
    labels = np.where(y == 1, "default", "repaid")
    text = delong_roc_test(y_true=labels, score_a=a, score_b=b, positive_label="default")
    assert text.auc_b == pytest.approx(roc_auc_score(y, b), abs=1e-12)


@pytest.mark.parametrize(
    ("y", "a", "b", "message"),
    [
        ([1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "exactly two classes"),
        ([1, 0, 2, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "exactly two classes"),
        ([1, 0, 1, 0], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4], "score_a has shape"),
        ([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3], "score_b has shape"),
        ([1, 0, 1, 0], [0.1, np.nan, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "score_a contains NaN"),
        ([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, np.inf, 0.4], "score_b contains NaN or infinite"),
        ([1.0, 0, np.nan, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "y_true contains NaN"),
        ([1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "at least two cases of each class"),
        ([2, 0, 2, 0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "positive_label 1 is not one of"),
        ([[1, 0], [1, 0]], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], "one-dimensional"),
    ],
)
def test_unusable_input_is_refused_with_a_reason(y, a, b, message):
    with pytest.raises(ValueError, match=message):
        delong_roc_test(y_true=np.array(y), score_a=np.array(a), score_b=np.array(b))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_a_confidence_outside_zero_and_one_is_refused(confidence):
    y, a, b = correlated_scores(61, 100, ties=False)
    with pytest.raises(ValueError, match="confidence"):
        delong_roc_test(y_true=y, score_a=a, score_b=b, confidence=confidence)
    with pytest.raises(ValueError, match="confidence"):
        delong_auc_interval(y_true=y, score=a, confidence=confidence)
