"""The PD master scale: fixed bands, lower bounds inclusive."""

import numpy as np

from predictions.risk_bands import risk_bands


def test_probabilities_fall_into_the_documented_bands_lower_bound_inclusive():
    probabilities = np.array(
        [0.0, 0.0199, 0.02, 0.0499, 0.05, 0.0999, 0.10, 0.1999, 0.20, 0.3499, 0.35, 0.5999, 0.60, 1.0]
    )
    assert risk_bands(probabilities) == ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E", "F", "F", "G", "G"]


def test_bands_never_get_better_as_the_probability_rises():
    bands = risk_bands(np.linspace(0, 1, 1001))
    assert bands == sorted(bands)
