"""Champion against candidate on the same out-of-time holdout. Pure: arrays in, JSON out.

The AUC difference is tested with DeLong's test, the implementation the challenger
comparison uses (`governance.ml.delong`); Brier scores are the mean squared difference
between probability and outcome.
"""

from typing import Any

import numpy as np

from ..ml.delong import delong_roc_test


def champion_comparison(*, y_true: np.ndarray, champion: np.ndarray, candidate: np.ndarray) -> dict[str, Any]:
    """`difference` is candidate AUC minus champion AUC, with DeLong's two-sided p-value
    and 95% confidence interval."""
    y = np.asarray(y_true, dtype=np.int64)
    test = delong_roc_test(y_true=y, score_a=champion, score_b=candidate, confidence=0.95)
    return {
        "rows": int(len(y)),
        "defaults": int(y.sum()),
        "champion_roc_auc": test.auc_a,
        "candidate_roc_auc": test.auc_b,
        "difference": test.difference,
        "p_value": test.p_value,
        "ci_95": [test.ci_low, test.ci_high],
        "champion_brier": float(np.mean((np.asarray(champion) - y) ** 2)),
        "candidate_brier": float(np.mean((np.asarray(candidate) - y) ** 2)),
        "test": "DeLong (Sun & Xu fast algorithm), two-sided",
    }
