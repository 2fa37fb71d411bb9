"""Group fairness numbers against a hand-computed example."""

import numpy as np
import pytest

from governance.ml.fairness import decision_fairness, group_fairness


def test_adverse_impact_and_parity_against_hand_computation():
    # A: 8 of 10 approved; B: 6 of 10 approved; C: 1 of 2 approved (too small to judge).
    groups = np.array(["A"] * 10 + ["B"] * 10 + ["C"] * 2, dtype=object)
    approved = np.array([1] * 8 + [0] * 2 + [1] * 6 + [0] * 4 + [1, 0], dtype=bool)
    result = group_fairness(groups, approved, min_group_size=5)
    assert result.reference_group == "A"
    assert result.groups["B"].adverse_impact_ratio == pytest.approx(0.6 / 0.8)
    assert result.groups["B"].demographic_parity_difference == pytest.approx(-0.2)
    assert result.groups["C"].sufficient is False
    assert result.min_adverse_impact_ratio == pytest.approx(0.75)  # C is reported, not judged
    assert result.passes_four_fifths is False
    assert result.demographic_parity_difference == pytest.approx(0.2)


def test_error_rate_gaps_with_outcomes():
    groups = np.array(["A"] * 4 + ["B"] * 4, dtype=object)
    # Declines: A declines both defaulters; B declines one defaulter and one repayer.
    approved = np.array([0, 0, 1, 1, 0, 1, 0, 1], dtype=bool)
    defaulted = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=bool)
    probability = np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3, 0.6, 0.2])
    result = group_fairness(groups, approved, min_group_size=1, defaulted=defaulted, probability=probability)
    assert result.groups["A"].outcomes.true_positive_rate == 1.0
    assert result.groups["B"].outcomes.true_positive_rate == 0.5
    assert result.groups["B"].outcomes.false_positive_rate == 0.5
    assert result.equal_opportunity_gap == pytest.approx(0.5)
    assert result.equalized_odds_gap == pytest.approx(0.5)
    assert result.groups["A"].outcomes.auc == 1.0
    assert result.groups["B"].outcomes.auc == pytest.approx(0.75)


def test_missing_group_labels_form_their_own_group():
    result = group_fairness(
        np.array(["A", None, np.nan], dtype=object), np.array([1, 1, 0], dtype=bool), min_group_size=1
    )
    assert result.groups["(missing)"].n == 2


def test_in_production_approval_counts_every_decision_and_error_rates_only_those_with_outcomes():
    # A: 4 decisions, 2 approved, outcomes known for 3 (the two declines defaulted, one
    # approval repaid). B: 4 decisions, 3 approved, one outcome known (an approval that defaulted).
    groups = np.array(["A"] * 4 + ["B"] * 4, dtype=object)
    approved = np.array([0, 0, 1, 1, 1, 1, 1, 0], dtype=bool)
    defaulted = np.array([1, 1, 0, np.nan, np.nan, 1, np.nan, np.nan])
    probability = np.array([0.9, 0.8, 0.1, 0.2, 0.3, 0.4, 0.2, 0.7])
    result = decision_fairness(groups, approved, min_group_size=2, defaulted=defaulted, probability=probability)
    a, b = result.groups["A"], result.groups["B"]
    assert (a.approval_rate, b.approval_rate) == (0.5, 0.75)
    assert result.reference_group == "B"
    assert a.adverse_impact_ratio == pytest.approx(0.5 / 0.75)
    assert (a.outcomes.n_with_outcome, a.outcomes.true_positive_rate, a.outcomes.false_positive_rate) == (3, 1.0, 0.0)
    assert (b.outcomes.n_with_outcome, b.outcomes.true_positive_rate) == (1, 0.0)
    assert (a.judged_on_outcomes, b.judged_on_outcomes) == (True, False)
    # Only A has enough outcomes to be judged on them, so there is no gap to measure.
    assert result.equal_opportunity_gap is None
    assert result.as_json()["groups"]["B"]["judged_on_outcomes"] is False


def test_without_any_outcome_production_fairness_reports_approvals_only():
    groups = np.array(["A", "A", "B", "B"], dtype=object)
    result = decision_fairness(
        groups,
        np.array([1, 0, 1, 1], dtype=bool),
        min_group_size=1,
        defaulted=np.full(4, np.nan),
        probability=np.array([0.1, 0.9, 0.2, 0.3]),
    )
    assert result.groups["A"].outcomes is None
    assert "true_positive_rate" not in result.as_json()["groups"]["A"]
    assert result.min_adverse_impact_ratio == pytest.approx(0.5)
