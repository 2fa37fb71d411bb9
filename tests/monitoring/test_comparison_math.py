"""The champion-versus-challenger numbers, each against an independent computation:
scikit-learn (AUC, Brier), scipy (Spearman, two-sample KS), the 1988 DeLong estimator
computed pair by pair, a hand-counted PSI, and `governance.ml.fairness` for the groups."""

import numpy as np
import pytest
from scipy.stats import ks_2samp, norm, spearmanr
from sklearn.metrics import brier_score_loss, roc_auc_score

from governance.ml.baseline import numeric_edges
from governance.ml.fairness import group_fairness
from monitoring import comparison_math as cm
from tests.governance.test_delong import delong_1988


def scored(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes and two correlated probabilities of default, the challenger the sharper."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    shared = rng.normal(size=n)
    champion = 1 / (1 + np.exp(-(0.8 * y + shared + 0.9 * rng.normal(size=n) - 1.5)))
    challenger = 1 / (1 + np.exp(-(1.2 * y + shared + 0.7 * rng.normal(size=n) - 1.5)))
    return y, champion, challenger


def test_agreement_and_swap_sets_count_each_pair_of_decisions():
    champion = np.array([1, 1, 1, 0, 0, 1, 0], dtype=bool)
    challenger = np.array([1, 0, 1, 1, 0, 0, 0], dtype=bool)
    swaps = cm.swap_sets(champion, challenger)
    assert swaps == cm.SwapSets(
        both_approve=2, champion_approve_challenger_decline=2, champion_decline_challenger_approve=1, both_decline=2
    )
    assert cm.agreement_rate(champion, challenger) == pytest.approx(4 / 7)
    assert cm.agreement_rate(np.array([], dtype=bool), np.array([], dtype=bool)) is None


def test_score_psi_bins_both_scores_on_the_champion_baseline_deciles():
    rng = np.random.default_rng(5)
    baseline = rng.beta(2, 8, size=5000)
    spec = {"type": "number", "edges": numeric_edges(baseline)}
    champion, challenger = rng.beta(2, 8, size=4000), rng.beta(2, 6, size=4000)
    # By hand: shares per decile bin (edges right-closed, one bin for missing), floored at 1e-4.
    edges = np.array(spec["edges"])
    bins = np.r_[-np.inf, edges, np.inf]

    def shares(values):
        pairs = zip(bins[:-1], bins[1:], strict=True)
        counts = np.array([((values > lo) & (values <= hi)).sum() for lo, hi in pairs] + [0])
        return np.maximum(counts / counts.sum(), 1e-4)

    p, q = shares(champion), shares(challenger)
    assert cm.score_psi(champion, challenger, spec) == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-12)
    assert cm.score_psi(champion, champion, spec) == 0.0


def test_joint_counts_are_numpys_two_dimensional_histogram_on_the_baseline_bins():
    rng = np.random.default_rng(8)
    spec = {"type": "number", "edges": numeric_edges(rng.beta(2, 8, size=3000))}
    a, b = rng.beta(2, 8, size=2000), rng.beta(2, 7, size=2000)
    # np.histogram2d bins are left-closed; ours are right-closed like the baseline's, so flip the sign.
    edges = -np.r_[np.inf, spec["edges"][::-1], -np.inf]
    reference, _, _ = np.histogram2d(-a, -b, bins=[edges, edges])
    ours = cm.joint_score_counts(a, b, spec)
    np.testing.assert_array_equal(ours[:-1, :-1], reference[::-1, ::-1])
    assert ours.sum() == 2000 and ours[-1].sum() == ours[:, -1].sum() == 0  # the missing bin stays empty


@pytest.mark.parametrize("ties", [False, True])
def test_spearman_equals_scipy(ties):
    _, a, b = scored(3, 2000)
    if ties:
        a, b = np.round(a, 2), np.round(b, 1)
    assert cm.spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    assert cm.spearman(a, np.full_like(a, 0.3)) is None


@pytest.mark.parametrize("seed", [1, 2])
def test_outcome_metrics_equal_scikit_learn_scipy_and_the_1988_delong_estimator(seed):
    y, champion, challenger = scored(seed, 1500)
    result = cm.outcome_comparison(y, champion, challenger)
    assert result is not None
    assert result.auc_champion == pytest.approx(roc_auc_score(y, champion), abs=1e-12)
    assert result.auc_challenger == pytest.approx(roc_auc_score(y, challenger), abs=1e-12)
    assert result.auc_difference == pytest.approx(roc_auc_score(y, challenger) - roc_auc_score(y, champion), abs=1e-12)
    reference = delong_1988(y, [champion, challenger])
    half_width = norm.ppf(0.975) * np.sqrt(reference["variance"])
    low, high = result.auc_difference_ci
    assert low == pytest.approx(result.auc_difference - half_width, abs=1e-6)
    assert high == pytest.approx(result.auc_difference + half_width, abs=1e-6)
    assert result.delong_p_value == pytest.approx(reference["p"], abs=1e-6)
    assert result.brier_champion == pytest.approx(brier_score_loss(y, champion), abs=1e-12)
    assert result.brier_challenger == pytest.approx(brier_score_loss(y, challenger), abs=1e-12)
    for score, ks in ((champion, result.ks_champion), (challenger, result.ks_challenger)):
        assert ks == pytest.approx(ks_2samp(score[y == 1], score[y == 0]).statistic, abs=1e-12)
    assert (result.n_outcomes, result.n_defaults) == (1500, int(y.sum()))


def test_a_sharper_challenger_on_many_outcomes_is_a_significant_improvement():
    y, champion, challenger = scored(7, 20000)
    result = cm.outcome_comparison(y, champion, challenger)
    assert result.auc_difference > 0
    assert result.auc_difference_ci[0] > 0
    assert result.delong_p_value < 0.001


def test_too_few_outcomes_of_a_class_give_no_outcome_comparison():
    assert cm.outcome_comparison(np.array([0, 0, 0, 1]), np.arange(4.0), np.arange(4.0)) is None
    json = cm.outcome_json(None)
    assert json["auc_difference_ci"] is None and json["delong_p_value"] is None and "n_outcomes" not in json


def test_group_approvals_agree_with_the_fairness_module():
    rng = np.random.default_rng(9)
    labels = ["Female", "Joint", "Male", "Sex Not Available"]
    codes = rng.choice(4, size=3000, p=[0.3, 0.3, 0.37, 0.03])
    approved = rng.random(3000) < np.array([0.6, 0.7, 0.75, 0.5])[codes]
    ours = cm.group_approvals(codes, labels, approved, min_group_size=100)
    reference = group_fairness(np.array(labels, dtype=object)[codes], approved, min_group_size=100)
    assert set(ours) == set(reference.groups)
    for label, row in reference.groups.items():
        assert ours[label]["n"] == row.n
        assert ours[label]["sufficient"] == row.sufficient
        assert ours[label]["approval_rate"] == pytest.approx(row.approval_rate, abs=1e-12)
        assert ours[label]["adverse_impact_ratio"] == pytest.approx(row.adverse_impact_ratio, abs=1e-12)


def test_fairness_comparison_reports_each_model_and_judges_only_large_groups():
    codes = np.array([0] * 200 + [1] * 200 + [2] * 10)
    champion = np.r_[np.ones(200), np.r_[np.ones(160), np.zeros(40)], np.zeros(10)].astype(bool)
    challenger = np.r_[np.ones(200), np.r_[np.ones(100), np.zeros(100)], np.ones(10)].astype(bool)
    result = cm.fairness_comparison(
        {"Gender": (codes, ["Male", "Female", "Joint"])}, champion, challenger, min_group_size=100
    )["Gender"]
    assert result["groups"]["Female"]["champion"]["adverse_impact_ratio"] == pytest.approx(0.8)
    assert result["groups"]["Female"]["challenger"]["adverse_impact_ratio"] == pytest.approx(0.5)
    assert result["groups"]["Joint"]["sufficient"] is False
    assert result["min_adverse_impact_ratio_champion"] == pytest.approx(0.8)
    assert result["min_adverse_impact_ratio_challenger"] == pytest.approx(0.5)


def test_cohort_aucs_equal_scikit_learn_and_the_1988_delong_estimator_on_each_cohorts_rows():
    y, champion, challenger = scored(11, 3000)
    labels = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    rng = np.random.default_rng(12)
    codes = rng.choice([0, 1, 3], size=3000, p=[0.45, 0.5, 0.05])  # 2026-03 has no outcome
    codes[:40] = 4  # 2026-05: 40 outcomes, fewer than the minimum
    y[codes == 3] = 0  # 2026-04: no default at all
    cohorts = cm.cohort_comparison(codes, labels, y, champion, challenger)

    assert [c["cohort"] for c in cohorts] == ["2026-01", "2026-02", "2026-04", "2026-05"]
    for cohort in cohorts:
        rows = codes == labels.index(cohort["cohort"])
        assert (cohort["n_outcomes"], cohort["n_defaults"]) == (int(rows.sum()), int(y[rows].sum()))
        if cohort["cohort"] in ("2026-04", "2026-05"):
            assert cohort["sufficient"] is False
            assert cohort["auc_champion"] is None and cohort["auc_difference_ci"] is None
            continue
        assert cohort["sufficient"] is True
        assert cohort["auc_champion"] == pytest.approx(roc_auc_score(y[rows], champion[rows]), abs=1e-12)
        assert cohort["auc_challenger"] == pytest.approx(roc_auc_score(y[rows], challenger[rows]), abs=1e-12)
        reference = delong_1988(y[rows], [champion[rows], challenger[rows]])
        assert cohort["auc_difference"] == pytest.approx(reference["theta"][-1] - reference["theta"][0], abs=1e-12)
        half_width = norm.ppf(0.975) * np.sqrt(reference["variance"])
        low, high = cohort["auc_difference_ci"]
        assert low == pytest.approx(cohort["auc_difference"] - half_width, abs=1e-6)
        assert high == pytest.approx(cohort["auc_difference"] + half_width, abs=1e-6)
        assert cohort["delong_p_value"] == pytest.approx(reference["p"], abs=1e-6)


def test_a_cohort_below_the_minimum_of_either_kind_of_outcome_is_too_small():
    y = np.r_[np.ones(9), np.zeros(200)]
    score = np.linspace(0, 1, len(y))
    (cohort,) = cm.cohort_comparison(np.zeros(len(y), int), ["2026-01"], y, score, score[::-1])
    assert cohort["n_outcomes"] == 209 and cohort["sufficient"] is False and cohort["delong_p_value"] is None
    (cohort,) = cm.cohort_comparison(np.zeros(len(y), int), ["2026-01"], y, score, score, min_each=9)
    assert cohort["sufficient"] is True and cohort["auc_difference"] == 0
