"""Group fairness numbers against a hand-computed example."""

import numpy as np
import pytest

from governance.ml.fairness import group_fairness


def test_adverse_impact_and_parity_against_hand_computation():
    # A: 8 of 10 approved; B: 6 of 10 approved; C: 1 of 2 approved (too small to judge).
    groups = np.array(["A"] * 10 + ["B"] * 10 + ["C"] * 2, dtype=object)
    approved = np.array([1] * 8 + [0] * 2 + [1] * 6 + [0] * 4 + [1, 0], dtype=bool)
    result = group_fairness(groups, approved, min_group_size=5)
    assert result["reference_group"] == "A"
    assert result["groups"]["B"]["adverse_impact_ratio"] == pytest.approx(0.6 / 0.8)
    assert result["groups"]["B"]["demographic_parity_difference"] == pytest.approx(-0.2)
    assert result["groups"]["C"]["sufficient"] is False
    assert result["min_adverse_impact_ratio"] == pytest.approx(0.75)  # C is reported, not judged
    assert result["passes_four_fifths"] is False
    assert result["demographic_parity_difference"] == pytest.approx(0.2)


def test_error_rate_gaps_with_outcomes():
    groups = np.array(["A"] * 4 + ["B"] * 4, dtype=object)
    # Declines: A declines both defaulters; B declines one defaulter and one repayer.
    approved = np.array([0, 0, 1, 1, 0, 1, 0, 1], dtype=bool)
    defaulted = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=bool)
    probability = np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3, 0.6, 0.2])
    result = group_fairness(groups, approved, min_group_size=1, defaulted=defaulted, probability=probability)
    assert result["groups"]["A"]["true_positive_rate"] == 1.0
    assert result["groups"]["B"]["true_positive_rate"] == 0.5
    assert result["groups"]["B"]["false_positive_rate"] == 0.5
    assert result["equal_opportunity_gap"] == pytest.approx(0.5)
    assert result["equalized_odds_gap"] == pytest.approx(0.5)
    assert result["groups"]["A"]["auc"] == 1.0
    assert result["groups"]["B"]["auc"] == pytest.approx(0.75)


def test_missing_group_labels_form_their_own_group():
    result = group_fairness(
        np.array(["A", None, np.nan], dtype=object), np.array([1, 1, 0], dtype=bool), min_group_size=1
    )
    assert result["groups"]["(missing)"]["n"] == 2
