"""Baseline bins: the one binning function monitoring shares with registration."""

import numpy as np
import pytest

from governance.ml.baseline import bin_codes, bin_histogram, bin_labels, numeric_edges


def test_numeric_bins_are_right_closed_intervals_plus_missing():
    spec = {"type": "number", "edges": [10.0, 20.0]}
    codes = bin_codes(np.array([5, 10, 10.5, 20, 25, np.nan]), spec)
    assert codes.tolist() == [0, 0, 1, 1, 2, 3]
    assert bin_labels(spec) == ["<= 10", "(10, 20]", "> 20", "missing"]


def test_category_bins_have_missing_and_unseen():
    spec = {"type": "category", "categories": ["a", "b"]}
    codes = bin_codes(np.array([0, 1, np.nan, -1, 2]), spec)
    assert codes.tolist() == [0, 1, 2, 3, 3]
    assert bin_histogram(np.array([0, 0, np.nan]), spec).tolist() == [2, 0, 1, 0]


def test_deciles_collapse_ties():
    values = np.array([360.0] * 90 + [180.0] * 10)
    # The 10% quantile interpolates 180 -> 360 at 9.9 of 99 steps; every higher decile is 360.
    assert numeric_edges(values) == pytest.approx([342.0, 360.0])
