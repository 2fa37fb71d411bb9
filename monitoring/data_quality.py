"""Input data quality of a window, per application field: what the scoring API refused and
what it accepted, against what training saw.

Per field, as shares of the window's applications (accepted decisions plus refused
applications) or of the accepted ones:

* refusal share: refused applications that broke a rule on this field, and per rule
  (`predictions.validation.REFUSAL_RULES`);
* missing share of the accepted applications, against the training data's missing share;
* out-of-range share: accepted values outside the range seen in training (admitted by the
  validation tolerance);
* unseen-category share: applications refused for a category training never saw, plus
  accepted ones encoded as unseen.

Each share is compared with its baseline (training: its missing share; zero for the
others, which training cannot have) by a two-sided two-proportion z test with the pooled
proportion. A share breaches when it is more than the policy's bound above its baseline
and the test is significant: a jump, not sampling noise.

No Django here: counts in, numbers out.
"""

from dataclasses import asdict, dataclass
from math import sqrt
from typing import Any

import numpy as np
from scipy.stats import norm

from governance.ml.schema import UNSEEN_CATEGORY

REFUSAL, MISSING, OUT_OF_RANGE, UNSEEN_CATEGORY_SHARE = "refusal", "missing", "out_of_range", "unseen_category"
# Shares of accepted applications, whose breaches show example decisions; the others show refusal counts.
ACCEPTED_SHARES = (MISSING, OUT_OF_RANGE)


def two_proportion_test(*, successes_a: int, n_a: int, successes_b: int, n_b: int) -> tuple[float, float]:
    """(z, two-sided p) of H0: the two proportions are equal, with the pooled proportion.
    No evidence either way (an empty sample, or a pooled proportion of 0 or 1): (0, 1)."""
    if n_a == 0 or n_b == 0:
        return 0.0, 1.0
    pooled = (successes_a + successes_b) / (n_a + n_b)
    spread = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if spread <= 0:
        return 0.0, 1.0
    z = (successes_a / n_a - successes_b / n_b) / sqrt(spread)
    return float(z), float(2 * norm.sf(abs(z)))


@dataclass(frozen=True)
class ShareCheck:
    """One share of one field against its baseline."""

    share: float
    count: int
    n: int
    baseline_share: float
    z: float
    p_value: float
    breached: bool

    @property
    def jump(self) -> float:
        return self.share - self.baseline_share


def share_check(
    *, count: int, n: int, baseline_share: float, baseline_n: int, bound: float, alpha: float
) -> ShareCheck:
    share = count / n if n else 0.0
    z, p_value = two_proportion_test(
        successes_a=count, n_a=n, successes_b=round(baseline_share * baseline_n), n_b=baseline_n
    )
    return ShareCheck(
        share=share,
        count=count,
        n=n,
        baseline_share=baseline_share,
        z=z,
        p_value=p_value,
        breached=share - baseline_share > bound and p_value < alpha,
    )


class AcceptedCounts:
    """Per field of the encoded vectors (`governance.ml.schema`): how many accepted
    applications had it missing (NaN), outside the training range, or an unseen category.
    Fed chunk by chunk by `monitoring.selectors.decision_vectors`."""

    def __init__(self, fields: list[dict[str, Any]]) -> None:
        numeric = [f["type"] == "number" for f in fields]
        self.numeric = np.array(numeric)
        self.low = np.array([f["min"] if n else -np.inf for f, n in zip(fields, numeric, strict=True)])
        self.high = np.array([f["max"] if n else np.inf for f, n in zip(fields, numeric, strict=True)])
        self.rows = 0
        self.missing = np.zeros(len(fields), dtype=np.int64)
        self.out_of_range = np.zeros(len(fields), dtype=np.int64)
        self.unseen = np.zeros(len(fields), dtype=np.int64)

    def add(self, features: np.ndarray, probability: np.ndarray) -> None:
        self.rows += len(features)
        self.missing += np.isnan(features).sum(axis=0)
        with np.errstate(invalid="ignore"):  # NaN compares False: missing is not out of range
            self.out_of_range += ((features < self.low) | (features > self.high)).sum(axis=0)
        self.unseen += ((features == UNSEEN_CATEGORY) & ~self.numeric).sum(axis=0)


def field_quality(
    *,
    accepted: int,
    refused: int,
    missing: int,
    out_of_range: int,
    unseen: int,
    refusals_by_rule: dict[str, int],
    refused_on_field: int,
    baseline_missing_share: float,
    baseline_n: int,
    bound: float,
    alpha: float,
) -> dict[str, ShareCheck]:
    """Every share of one field with its check (see the module docstring)."""
    total = accepted + refused

    def check(count: int, n: int, baseline: float = 0.0) -> ShareCheck:
        return share_check(count=count, n=n, baseline_share=baseline, baseline_n=baseline_n, bound=bound, alpha=alpha)

    return {
        REFUSAL: check(refused_on_field, total),
        MISSING: check(missing, accepted, baseline_missing_share),
        OUT_OF_RANGE: check(out_of_range, accepted),
        UNSEEN_CATEGORY_SHARE: check(refusals_by_rule.get("unknown_category", 0) + unseen, total),
    }


def checks_json(checks: dict[str, ShareCheck]) -> dict[str, dict[str, Any]]:
    return {name: {**asdict(c), "jump": c.jump} for name, c in checks.items()}
