"""Champion against challenger on the same decisions: the numbers of a comparison.

Both models scored the same applications; `champion_approved` is what the champion decided
(at its own threshold) and `challenger_approved` what the challenger would have decided
(at its own). From those and the two probabilities of default:

* agreement rate and the swap sets (approved by one, declined by the other);
* score PSI: the challenger's scores against the champion's scores of the same decisions,
  binned on the champion baseline's score deciles, with the drift job's floor and formula
  (`monitoring.psi`);
* Spearman's rank correlation of the two scores;
* on the decisions with a recorded outcome: each model's ROC-AUC, DeLong's test for two
  correlated ROC curves (`governance.ml.delong`; the difference is challenger - champion,
  two-sided p-value, 95 % interval), Brier score and KS of each;
* the same AUCs and DeLong test per outcome cohort (the calendar month of the decision),
  for the cohorts with enough outcomes of each kind;
* per protected attribute and group: approval rate and adverse impact ratio under each model,
  groups with fewer than `min_group_size` decisions reported and not judged, as in
  `governance.ml.fairness`.

Outcomes exist only for the applications that were funded, i.e. the champion's approvals:
the outcome metrics describe that population, and the applications only the challenger
would approve have no outcome (no reject inference here; they are counted).

No Django here: arrays in, numbers out.
"""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from governance.ml.baseline import bin_codes, bin_count
from governance.ml.delong import delong_roc_test
from governance.ml.metrics import ks_statistic

from .psi import psi

CONFIDENCE = 0.95
# A cohort's AUCs are reported from this many outcomes, this many of each kind, on: fewer
# give intervals too wide to say anything (DeLong itself needs two of each).
COHORT_MIN_OUTCOMES = 100
COHORT_MIN_EACH = 10


@dataclass(frozen=True)
class SwapSets:
    """How many decisions each pair of (champion, challenger) decisions covers."""

    both_approve: int
    champion_approve_challenger_decline: int
    champion_decline_challenger_approve: int
    both_decline: int


@dataclass(frozen=True)
class OutcomeComparison:
    """The two models on the decisions whose outcome (default or not) is recorded."""

    n_outcomes: int
    n_defaults: int
    auc_champion: float
    auc_challenger: float
    auc_difference: float
    auc_difference_ci: tuple[float, float]
    delong_p_value: float
    brier_champion: float
    brier_challenger: float
    ks_champion: float
    ks_challenger: float


def agreement_rate(champion_approved: np.ndarray, challenger_approved: np.ndarray) -> float | None:
    """Share of decisions both models decide the same way; None for no decisions."""
    champion, challenger = _decisions(champion_approved, challenger_approved)
    return float((champion == challenger).mean()) if len(champion) else None


def swap_sets(champion_approved: np.ndarray, challenger_approved: np.ndarray) -> SwapSets:
    champion, challenger = _decisions(champion_approved, challenger_approved)
    return SwapSets(
        both_approve=int((champion & challenger).sum()),
        champion_approve_challenger_decline=int((champion & ~challenger).sum()),
        champion_decline_challenger_approve=int((~champion & challenger).sum()),
        both_decline=int((~champion & ~challenger).sum()),
    )


def score_histogram(scores: np.ndarray, score_spec: dict[str, Any]) -> np.ndarray:
    """Counts of `scores` in the bins of a baseline's score specification."""
    return np.bincount(bin_codes(scores, score_spec), minlength=bin_count(score_spec))


def score_psi(champion_scores: np.ndarray, challenger_scores: np.ndarray, score_spec: dict[str, Any]) -> float:
    """PSI of the challenger's scores against the champion's, on the champion baseline's bins."""
    return psi(score_histogram(champion_scores, score_spec), score_histogram(challenger_scores, score_spec))


def joint_score_counts(champion: np.ndarray, challenger: np.ndarray, score_spec: dict[str, Any]) -> np.ndarray:
    """Decisions per (champion score bin, challenger score bin), bins of the champion baseline:
    the binned form of the two models' score scatter."""
    k = bin_count(score_spec)
    codes = bin_codes(champion, score_spec) * k + bin_codes(challenger, score_spec)
    return np.bincount(codes, minlength=k * k).reshape(k, k)


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation (Pearson's of the midranks); None when either score is
    constant or there are fewer than two decisions, where it is undefined."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2:
        return None
    ra, rb = rankdata(a) - (len(a) + 1) / 2, rankdata(b) - (len(b) + 1) / 2
    denominator = np.sqrt(np.dot(ra, ra) * np.dot(rb, rb))
    return float(np.dot(ra, rb) / denominator) if denominator > 0 else None


def brier(defaulted: np.ndarray, probability: np.ndarray) -> float:
    return float(np.mean((np.asarray(probability, dtype=np.float64) - np.asarray(defaulted, dtype=np.float64)) ** 2))


def outcome_comparison(defaulted: np.ndarray, champion: np.ndarray, challenger: np.ndarray) -> OutcomeComparison | None:
    """AUCs with DeLong's test, Brier and KS of both models on the same outcomes; None when
    there are fewer than two defaults or two repaid loans (DeLong needs a variance)."""
    y = np.asarray(defaulted, dtype=np.int64)
    n_defaults = int(y.sum())
    if min(n_defaults, len(y) - n_defaults) < 2:
        return None
    test = delong_roc_test(y_true=y, score_a=champion, score_b=challenger, confidence=CONFIDENCE)
    return OutcomeComparison(
        n_outcomes=len(y),
        n_defaults=n_defaults,
        auc_champion=test.auc_a,
        auc_challenger=test.auc_b,
        auc_difference=test.difference,
        auc_difference_ci=(test.ci_low, test.ci_high),
        delong_p_value=test.p_value,
        brier_champion=brier(y, champion),
        brier_challenger=brier(y, challenger),
        ks_champion=ks_statistic(y, champion),
        ks_challenger=ks_statistic(y, challenger),
    )


def cohort_comparison(
    codes: np.ndarray,
    labels: list[str],
    defaulted: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    min_outcomes: int = COHORT_MIN_OUTCOMES,
    min_each: int = COHORT_MIN_EACH,
) -> list[dict[str, Any]]:
    """Per cohort, in the order of `labels` (`codes[i]` indexes them; cohorts without an
    outcome left out): n_outcomes, n_defaults, `sufficient`, and when it is (at least
    `min_outcomes` outcomes, `min_each` of them defaults and `min_each` repaid) each model's
    AUC, the difference (challenger - champion), its interval and DeLong's p-value, as for
    the whole comparison; None otherwise."""
    codes = np.asarray(codes, dtype=np.int64)
    y = np.asarray(defaulted, dtype=np.int64)
    champion, challenger = np.asarray(champion, dtype=np.float64), np.asarray(challenger, dtype=np.float64)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    cohorts = []
    for k, label in enumerate(labels):
        rows = order[bounds[k] : bounds[k + 1]]
        if not len(rows):
            continue
        n_defaults = int(y[rows].sum())
        sufficient = len(rows) >= min_outcomes and min(n_defaults, len(rows) - n_defaults) >= min_each
        figures: dict[str, Any] = dict.fromkeys(_COHORT_FIGURES)
        if sufficient:
            test = delong_roc_test(
                y_true=y[rows], score_a=champion[rows], score_b=challenger[rows], confidence=CONFIDENCE
            )
            figures = {
                "auc_champion": test.auc_a,
                "auc_challenger": test.auc_b,
                "auc_difference": test.difference,
                "auc_difference_ci": [test.ci_low, test.ci_high],
                "delong_p_value": test.p_value,
            }
        cohorts.append(
            {"cohort": label, "n_outcomes": len(rows), "n_defaults": n_defaults, "sufficient": sufficient, **figures}
        )
    return cohorts


_COHORT_FIGURES = ("auc_champion", "auc_challenger", "auc_difference", "auc_difference_ci", "delong_p_value")


def group_approvals(
    codes: np.ndarray, labels: list[str], approved: np.ndarray, *, min_group_size: int
) -> dict[str, dict[str, Any]]:
    """Per group: size, approval rate, whether it is judged, and its adverse impact ratio
    (its approval rate over the highest rate among judged groups; None when that is 0).

    `codes[i]` indexes `labels`; counted with bincount, so a million decisions cost one pass.
    """
    codes = np.asarray(codes, dtype=np.int64)
    approved = np.asarray(approved, dtype=bool)
    sizes = np.bincount(codes, minlength=len(labels))
    approvals = np.bincount(codes, weights=approved, minlength=len(labels))
    rates = {label: approvals[k] / sizes[k] for k, label in enumerate(labels) if sizes[k]}
    judged = [label for k, label in enumerate(labels) if sizes[k] and sizes[k] >= min_group_size]
    reference = max((rates[label] for label in judged), default=0.0)
    return {
        label: {
            "n": int(sizes[k]),
            "approval_rate": float(rates[label]),
            "sufficient": bool(sizes[k] >= min_group_size),
            "adverse_impact_ratio": float(rates[label] / reference) if reference > 0 else None,
        }
        for k, label in enumerate(labels)
        if sizes[k]
    }


def fairness_comparison(
    groups: dict[str, tuple[np.ndarray, list[str]]],
    champion_approved: np.ndarray,
    challenger_approved: np.ndarray,
    *,
    min_group_size: int,
) -> dict[str, Any]:
    """Attribute -> group -> {n, sufficient, champion: {approval_rate, adverse_impact_ratio},
    challenger: {...}}, plus each model's lowest judged ratio per attribute."""
    result: dict[str, Any] = {}
    for attribute, (codes, labels) in groups.items():
        under = {
            "champion": group_approvals(codes, labels, champion_approved, min_group_size=min_group_size),
            "challenger": group_approvals(codes, labels, challenger_approved, min_group_size=min_group_size),
        }
        rows = {
            label: {
                "n": row["n"],
                "sufficient": row["sufficient"],
                **{
                    model: {k: under[model][label][k] for k in ("approval_rate", "adverse_impact_ratio")}
                    for model in under
                },
            }
            for label, row in under["champion"].items()
        }
        result[attribute] = {
            "groups": rows,
            **{f"min_adverse_impact_ratio_{model}": _min_judged_ratio(by_group) for model, by_group in under.items()},
        }
    return result


def _min_judged_ratio(by_group: dict[str, dict[str, Any]]) -> float | None:
    ratios = [
        row["adverse_impact_ratio"]
        for row in by_group.values()
        if row["sufficient"] and row["adverse_impact_ratio"] is not None
    ]
    return min(ratios) if ratios else None


def outcome_json(outcomes: OutcomeComparison | None) -> dict[str, Any]:
    """The outcome keys of a comparison; None throughout when there are too few outcomes."""
    if outcomes is None:
        keys = [k for k in OutcomeComparison.__dataclass_fields__ if k not in ("n_outcomes", "n_defaults")]
        return dict.fromkeys(keys)
    row = asdict(outcomes)
    row["auc_difference_ci"] = list(outcomes.auc_difference_ci)
    del row["n_outcomes"], row["n_defaults"]
    return row


def _decisions(champion_approved: np.ndarray, challenger_approved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    champion = np.asarray(champion_approved, dtype=bool)
    challenger = np.asarray(challenger_approved, dtype=bool)
    if champion.shape != challenger.shape:
        raise ValueError(f"decisions differ in length: {champion.shape} and {challenger.shape}")
    return champion, challenger
