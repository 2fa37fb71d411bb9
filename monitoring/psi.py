"""Population stability (PSI) of binned distributions, the credit-risk drift convention.

For a field binned the way the version's frozen baseline was (`governance.ml.baseline`):

    share_i = count_i / total, floored at EPSILON = 1e-4 (not renormalised)
    PSI     = sum_i (current_i - baseline_i) * ln(current_i / baseline_i)

The floor keeps a bin that is empty on one side (a category unseen in training, no
missing values in the baseline) finite: it then adds about `share * ln(share / 1e-4)`.

Bands: PSI < watch (0.10) is stable, watch <= PSI < act (0.25) is watch, PSI >= act is act.

PSI does not look at how many rows a window has, so a small window can show a large PSI
by chance. Alongside it, a Pearson chi-square test of homogeneity on the two rows of bin
counts (baseline, current) says whether the difference is larger than sampling noise;
jobs act on a band only when the test is significant.

No Django here: arrays in, numbers out.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2_contingency

from governance.ml.baseline import bin_codes, bin_count

EPSILON = 1e-4
STABLE, WATCH, ACT = "stable", "watch", "act"


def shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts)


def floored_shares(counts: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    return np.maximum(shares(counts), epsilon)


def psi(baseline_counts: np.ndarray, current_counts: np.ndarray, epsilon: float = EPSILON) -> float:
    base = floored_shares(baseline_counts, epsilon)
    cur = floored_shares(current_counts, epsilon)
    if base.shape != cur.shape:
        raise ValueError(f"bins differ: baseline has {base.size}, current has {cur.size}")
    return float(np.sum((cur - base) * np.log(cur / base)))


def psi_band(value: float, *, watch: float, act: float) -> str:
    if value >= act:
        return ACT
    if value >= watch:
        return WATCH
    return STABLE


def chi_square_homogeneity(baseline_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, float]:
    """Pearson chi-square statistic and p-value for "both windows come from one distribution".

    Bins empty on both sides carry no information and are left out. With fewer than two
    informative bins there is nothing to compare: statistic 0, p-value 1.
    """
    table = np.vstack([np.asarray(baseline_counts, dtype=np.float64), np.asarray(current_counts, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    statistic, p_value, _, _ = chi2_contingency(table, correction=False)
    return float(statistic), float(p_value)


@dataclass(frozen=True)
class DriftAssessment:
    psi: float
    band: str
    chi_square: float
    p_value: float
    significant: bool
    baseline_shares: list[float]
    current_shares: list[float]

    @property
    def alerting(self) -> bool:
        """An `act` band that sampling noise does not explain."""
        return self.band == ACT and self.significant


def assess(
    baseline_counts: np.ndarray, current_counts: np.ndarray, *, watch: float, act: float, alpha: float
) -> DriftAssessment:
    value = psi(baseline_counts, current_counts)
    statistic, p_value = chi_square_homogeneity(baseline_counts, current_counts)
    return DriftAssessment(
        psi=value,
        band=psi_band(value, watch=watch, act=act),
        chi_square=statistic,
        p_value=p_value,
        significant=p_value < alpha,
        baseline_shares=[float(s) for s in shares(baseline_counts)],
        current_shares=[float(s) for s in shares(current_counts)],
    )


class WindowHistogram:
    """Bin counts of a stream of encoded applications and scores, one chunk at a time.

    Memory is the counts plus one chunk, whatever the window size.
    """

    def __init__(self, field_specs: list[dict[str, Any]], score_spec: dict[str, Any]) -> None:
        self.field_specs = field_specs
        self.score_spec = score_spec
        self.field_counts = [np.zeros(bin_count(spec), dtype=np.int64) for spec in field_specs]
        self.score_counts = np.zeros(bin_count(score_spec), dtype=np.int64)
        self.rows = 0

    def add(self, features: np.ndarray, scores: np.ndarray) -> None:
        if features.shape[1] != len(self.field_specs):
            raise ValueError(f"expected {len(self.field_specs)} encoded fields per row, got {features.shape[1]}")
        for j, spec in enumerate(self.field_specs):
            self.field_counts[j] += np.bincount(bin_codes(features[:, j], spec), minlength=len(self.field_counts[j]))
        self.score_counts += np.bincount(bin_codes(scores, self.score_spec), minlength=len(self.score_counts))
        self.rows += int(features.shape[0])
