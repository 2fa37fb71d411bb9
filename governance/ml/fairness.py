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

No Django here: arrays in, typed rows out (`as_json()` is what the registry and the
monitoring results store).
"""

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

FOUR_FIFTHS = 0.8
MISSING_GROUP = "(missing)"


@dataclass(frozen=True)
class OutcomeRates:
    """How a group's declines line up with the outcomes recorded for it."""

    n_with_outcome: int
    default_rate: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    auc: float | None


@dataclass(frozen=True)
class GroupRow:
    """One group of a protected attribute."""

    n: int
    approval_rate: float | None
    sufficient: bool
    adverse_impact_ratio: float | None
    demographic_parity_difference: float | None
    outcomes: OutcomeRates | None = None
    # Only where outcomes are known for some decisions (production): whether the group
    # has `min_group_size` of them, so that its error rates are judged.
    judged_on_outcomes: bool | None = None

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"n": self.n, "approval_rate": self.approval_rate, "sufficient": self.sufficient}
        if self.outcomes is not None:
            row.update(asdict(self.outcomes))
        row["adverse_impact_ratio"] = self.adverse_impact_ratio
        row["demographic_parity_difference"] = self.demographic_parity_difference
        if self.judged_on_outcomes is not None:
            row["judged_on_outcomes"] = self.judged_on_outcomes
        return row


@dataclass(frozen=True)
class GroupFairness:
    """Fairness of one protected attribute: every group, and the attribute's summary."""

    groups: dict[str, GroupRow]
    reference_group: str | None
    min_group_size: int
    min_adverse_impact_ratio: float | None
    demographic_parity_difference: float | None
    equal_opportunity_gap: float | None
    equalized_odds_gap: float | None
    passes_four_fifths: bool

    @property
    def judged(self) -> dict[str, GroupRow]:
        return {label: row for label, row in self.groups.items() if row.sufficient}

    @property
    def worst_group(self) -> str | None:
        """The judged group with the lowest adverse impact ratio."""
        ratios = {g: row.adverse_impact_ratio for g, row in self.judged.items() if row.adverse_impact_ratio is not None}
        return min(ratios, key=ratios.__getitem__) if ratios else None

    def as_json(self) -> dict[str, Any]:
        return {
            "groups": {label: row.as_json() for label, row in self.groups.items()},
            "reference_group": self.reference_group,
            "min_group_size": self.min_group_size,
            "min_adverse_impact_ratio": self.min_adverse_impact_ratio,
            "demographic_parity_difference": self.demographic_parity_difference,
            "equal_opportunity_gap": self.equal_opportunity_gap,
            "equalized_odds_gap": self.equalized_odds_gap,
            "passes_four_fifths": self.passes_four_fifths,
        }


def _rate(mask: np.ndarray) -> float | None:
    return float(mask.mean()) if len(mask) else None


def _outcome_rates(approved: np.ndarray, defaulted: np.ndarray, probability: np.ndarray | None) -> OutcomeRates:
    outcome = np.asarray(defaulted, dtype=bool)
    declined = ~approved
    both = 0 < outcome.sum() < len(outcome)
    return OutcomeRates(
        n_with_outcome=int(len(outcome)),
        default_rate=_rate(outcome),
        true_positive_rate=_rate(declined[outcome]),
        false_positive_rate=_rate(declined[~outcome]),
        auc=float(roc_auc_score(outcome, probability)) if both and probability is not None else None,
    )


def _gap(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) - min(known) if len(known) >= 2 else None


def group_fairness(
    groups: np.ndarray,
    approved: np.ndarray,
    *,
    min_group_size: int,
    defaulted: np.ndarray | None = None,
    probability: np.ndarray | None = None,
) -> GroupFairness:
    """Per-group approval, adverse impact and (with outcomes) error-rate gaps and AUC."""
    labels = np.array([MISSING_GROUP if g is None or g != g else str(g) for g in groups], dtype=object)
    approved = np.asarray(approved, dtype=bool)
    counted: dict[str, tuple[int, float | None, OutcomeRates | None]] = {}
    for label in sorted(set(labels)):
        in_group = labels == label
        outcomes = None
        if defaulted is not None:
            outcomes = _outcome_rates(
                approved[in_group],
                np.asarray(defaulted)[in_group],
                np.asarray(probability)[in_group] if probability is not None else None,
            )
        counted[label] = (int(in_group.sum()), _rate(approved[in_group]), outcomes)

    judged = {label: c for label, c in counted.items() if c[0] >= min_group_size}
    reference = max(judged, key=lambda label: judged[label][1] or 0.0) if judged else None
    reference_rate = judged[reference][1] if reference else None
    rows = {
        label: GroupRow(
            n=n,
            approval_rate=rate,
            sufficient=n >= min_group_size,
            adverse_impact_ratio=rate / reference_rate if reference_rate and rate is not None else None,
            demographic_parity_difference=rate - reference_rate
            if reference_rate is not None and rate is not None
            else None,
            outcomes=outcomes,
        )
        for label, (n, rate, outcomes) in counted.items()
    }
    judged_rows = [row for row in rows.values() if row.sufficient]
    ratios = [row.adverse_impact_ratio for row in judged_rows if row.adverse_impact_ratio is not None]
    min_ratio = min(ratios) if ratios else None
    tpr_gap = _gap([row.outcomes.true_positive_rate for row in judged_rows if row.outcomes])
    fpr_gap = _gap([row.outcomes.false_positive_rate for row in judged_rows if row.outcomes])
    return GroupFairness(
        groups=rows,
        reference_group=reference,
        min_group_size=min_group_size,
        min_adverse_impact_ratio=min_ratio,
        demographic_parity_difference=_gap([row.approval_rate for row in judged_rows]),
        equal_opportunity_gap=tpr_gap,
        equalized_odds_gap=max(tpr_gap, fpr_gap) if tpr_gap is not None and fpr_gap is not None else None,
        passes_four_fifths=min_ratio is None or min_ratio >= FOUR_FIFTHS,
    )


def decision_fairness(
    groups: np.ndarray,
    approved: np.ndarray,
    *,
    min_group_size: int,
    defaulted: np.ndarray,
    probability: np.ndarray,
) -> GroupFairness:
    """Fairness of decisions whose outcomes arrive later (`defaulted` is NaN until one is
    recorded): approval and adverse impact over every decision; error rates, their gaps
    and AUC only over the decisions with an outcome, where a group is judged once it has
    `min_group_size` outcomes (`judged_on_outcomes`)."""
    overall = group_fairness(groups, approved, min_group_size=min_group_size)
    known = ~np.isnan(defaulted)
    if not known.any():
        return overall
    on_outcomes = group_fairness(
        groups[known],
        np.asarray(approved)[known],
        min_group_size=min_group_size,
        defaulted=defaulted[known].astype(bool),
        probability=probability[known],
    )
    rows = {
        label: replace(row, outcomes=with_outcomes.outcomes, judged_on_outcomes=with_outcomes.sufficient)
        if (with_outcomes := on_outcomes.groups.get(label)) is not None
        else row
        for label, row in overall.groups.items()
    }
    return replace(
        overall,
        groups=rows,
        equal_opportunity_gap=on_outcomes.equal_opportunity_gap,
        equalized_odds_gap=on_outcomes.equalized_odds_gap,
    )
