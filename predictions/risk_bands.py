"""The bank's PD master scale: a fixed risk band for every probability of default.

Pure, no Django. The scale does not depend on the model version or its threshold, so a
band means the same risk before and after a new version goes to production and bands can
be compared across versions in the decision log. Lower bounds are inclusive:

    band  probability of default
    A     [0.00, 0.02)
    B     [0.02, 0.05)
    C     [0.05, 0.10)
    D     [0.10, 0.20)
    E     [0.20, 0.35)
    F     [0.35, 0.60)
    G     [0.60, 1.00]
"""

import numpy as np

BANDS: tuple[str, ...] = ("A", "B", "C", "D", "E", "F", "G")
# Upper bounds (exclusive) of every band but the last.
UPPER_BOUNDS: tuple[float, ...] = (0.02, 0.05, 0.10, 0.20, 0.35, 0.60)

_BANDS = np.array(BANDS)
_UPPER_BOUNDS = np.array(UPPER_BOUNDS)


def risk_bands(probabilities: np.ndarray) -> list[str]:
    """The band of each probability of default."""
    return _BANDS[np.searchsorted(_UPPER_BOUNDS, probabilities, side="right")].tolist()
