"""Group fairness of credit decisions for one protected attribute.

`approved` is the decision (not declined). With outcomes, a "positive" is a default and
a decline is the model flagging it, so the true-positive rate is P(decline | default)
and the false-positive rate is P(decline | repaid).

* adverse impact ratio: a group's approval rate over the most favoured group's rate
  (four-fifths rule: below 0.8 is adverse impact);
* demographic parity difference: a group's approval rate minus the most favoured group's;
* equal opportunity gap: largest difference in true-positive rate between groups;
* equalized odds gap: the larger of that and the false-positive-rate gap.

Only groups with at least `min_group_size` members are judged and enter the reference
and the gaps; smaller groups are reported with `sufficient: false`.
"""

from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

FOUR_FIFTHS = 0.8
MISSING_GROUP = "(missing)"


def _rate(mask: np.ndarray) -> float | None:
    return float(mask.mean()) if len(mask) else None


def group_fairness(
    groups: np.ndarray,
    approved: np.ndarray,
    *,
    min_group_size: int,
    defaulted: np.ndarray | None = None,
    probability: np.ndarray | None = None,
) -> dict[str, Any]:
    """Per-group approval, adverse impact and (with outcomes) error-rate gaps and AUC."""
    labels = np.array([MISSING_GROUP if g is None or g != g else str(g) for g in groups], dtype=object)
    approved = np.asarray(approved, dtype=bool)
    rows: dict[str, dict[str, Any]] = {}
    for label in sorted(set(labels)):
        in_group = labels == label
        row: dict[str, Any] = {
            "n": int(in_group.sum()),
            "approval_rate": _rate(approved[in_group]),
            "sufficient": bool(in_group.sum() >= min_group_size),
        }
        if defaulted is not None:
            outcome = np.asarray(defaulted, dtype=bool)[in_group]
            declined = ~approved[in_group]
            row["n_with_outcome"] = int(len(outcome))
            row["default_rate"] = _rate(outcome)
            row["true_positive_rate"] = _rate(declined[outcome])
            row["false_positive_rate"] = _rate(declined[~outcome])
            both = 0 < outcome.sum() < len(outcome)
            row["auc"] = (
                float(roc_auc_score(outcome, np.asarray(probability)[in_group]))
                if both and probability is not None
                else None
            )
        rows[label] = row

    judged = {k: v for k, v in rows.items() if v["sufficient"]}
    reference = max(judged, key=lambda k: judged[k]["approval_rate"]) if judged else None
    reference_rate = judged[reference]["approval_rate"] if reference else None
    for row in rows.values():
        row["adverse_impact_ratio"] = row["approval_rate"] / reference_rate if reference_rate else None
        row["demographic_parity_difference"] = (
            row["approval_rate"] - reference_rate if reference_rate is not None else None
        )

    def gap(key: str) -> float | None:
        values = [v[key] for v in judged.values() if v.get(key) is not None]
        return max(values) - min(values) if len(values) >= 2 else None

    ratios = [v["adverse_impact_ratio"] for v in judged.values() if v["adverse_impact_ratio"] is not None]
    min_ratio = min(ratios) if ratios else None
    tpr_gap, fpr_gap = gap("true_positive_rate"), gap("false_positive_rate")
    return {
        "groups": rows,
        "reference_group": reference,
        "min_group_size": min_group_size,
        "min_adverse_impact_ratio": min_ratio,
        "demographic_parity_difference": gap("approval_rate"),
        "equal_opportunity_gap": tpr_gap,
        "equalized_odds_gap": max(tpr_gap, fpr_gap) if tpr_gap is not None and fpr_gap is not None else None,
        "passes_four_fifths": min_ratio is None or min_ratio >= FOUR_FIFTHS,
    }
