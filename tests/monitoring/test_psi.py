"""PSI, its bands and the chi-square check, against hand-computed numbers."""

import numpy as np
import pytest

from monitoring.psi import EPSILON, WindowHistogram, assess, psi, psi_band


def test_psi_matches_a_hand_computed_example():
    # Shares: baseline 0.5 / 0.3 / 0.2, current 0.4 / 0.3 / 0.3.
    # PSI = (0.4-0.5) ln(0.4/0.5) + 0 + (0.3-0.2) ln(0.3/0.2) = 0.0223144 + 0.0405465
    assert psi(np.array([50, 30, 20]), np.array([40, 30, 30])) == pytest.approx(0.0628609, abs=1e-7)


def test_an_empty_bin_is_floored_at_epsilon_not_infinite():
    # Baseline never saw the second bin: its share 0 is floored at 1e-4 (not renormalised).
    # PSI = (0.9-1) ln(0.9/1) + (0.1-1e-4) ln(0.1/1e-4) = 0.0105361 + 0.6900848
    assert EPSILON == 1e-4
    assert psi(np.array([100, 0]), np.array([90, 10])) == pytest.approx(0.7006208, abs=1e-7)
    assert psi(np.array([100, 0]), np.array([100, 0])) == 0.0


def test_identical_distributions_have_zero_psi_whatever_the_sizes():
    assert psi(np.array([10, 20, 70]), np.array([1000, 2000, 7000])) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.0, "stable"), (0.0999, "stable"), (0.10, "watch"), (0.2499, "watch"), (0.25, "act"), (2.0, "act")],
)
def test_bands_follow_the_credit_risk_convention(value, band):
    assert psi_band(value, watch=0.10, act=0.25) == band


def test_chi_square_keeps_a_tiny_window_from_crying_wolf():
    baseline = np.array([1000] * 10)
    tiny = np.array([4, 1, 3, 1, 2, 4, 1, 1, 2, 1])  # 20 decisions
    small = assess(baseline, tiny, watch=0.10, act=0.25, alpha=0.01)
    assert small.band == "act"  # PSI 0.33 on 20 rows ...
    assert small.p_value > 0.5  # ... is what chance alone gives
    assert not small.alerting
    # The same shape on 1,000 decisions is a real shift.
    large = assess(baseline, tiny * 50, watch=0.10, act=0.25, alpha=0.01)
    assert large.psi == pytest.approx(small.psi)
    assert large.p_value < 1e-10
    assert large.alerting


def test_histogram_of_a_stream_in_chunks_equals_the_whole():
    specs = [{"type": "number", "edges": [1.0, 2.0]}, {"type": "category", "categories": ["a", "b"]}]
    score_spec = {"type": "number", "edges": [0.5]}
    features = np.array([[0.5, 0], [1.5, 1], [np.nan, np.nan], [3.0, -1], [2.0, 1]])
    scores = np.array([0.1, 0.6, 0.5, 0.9, 0.2])
    whole, chunked = WindowHistogram(specs, score_spec), WindowHistogram(specs, score_spec)
    whole.add(features, scores)
    chunked.add(features[:2], scores[:2])
    chunked.add(features[2:], scores[2:])
    assert [c.tolist() for c in chunked.field_counts] == [[1, 2, 1, 1], [1, 2, 1, 1]]
    assert [c.tolist() for c in whole.field_counts] == [[1, 2, 1, 1], [1, 2, 1, 1]]
    assert chunked.score_counts.tolist() == whole.score_counts.tolist() == [3, 2, 0]
    assert chunked.rows == whole.rows == 5
