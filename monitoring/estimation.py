"""Performance of a window of decisions estimated from its predicted probabilities alone.

Loan outcomes arrive 12-24 months after the decision. If the model's probabilities of default
p_i are calibrated, each application's outcome is a Bernoulli(p_i) draw, independent of the
others, and the window's performance can be estimated before any outcome is known
(confidence-based performance estimation, the approach of NannyML's CBPE):

* expected default rate: mean(p);
* expected confusion matrix at the decision threshold t, "decline" being p >= t and the
  positive class a default: E[TP] = sum of p over the declined, E[FP] = sum of 1 - p over the
  declined, E[FN] and E[TN] the same over the approved; precision, recall and F1 are the
  ratios of these expectations (precision E[TP] / declined, recall E[TP] / sum(p),
  F1 2 E[TP] / (2 E[TP] + E[FP] + E[FN])), 0 where the denominator is 0 as for realized
  metrics (`governance.ml.metrics.classification_metrics`);
* expected ROC-AUC: the expected ROC curve ranks the applications by probability, highest
  first, ties grouped, and steps through E[TPR] = cumulative sum(p) / sum(p) and E[FPR] =
  cumulative sum(1 - p) / sum(1 - p); its area by the trapezoid rule is exactly

      AUC_e = sum over all ordered pairs (i, j), i = j included, of p_i (1 - p_j) k(i, j)
              / (sum(p) * sum(1 - p)),
      k(i, j) = 1 if p_i > p_j, 1/2 if p_i = p_j, 0 otherwise.

  Excluding the pairs i = j (a case cannot be its own default and non-default) would change
  it by O(1 / n), far below the sampling error of any window worth estimating on. AUC_e is
  also the Mann-Whitney form of the realized AUC, (U - n1 (n1 + 1) / 2) / (n1 n0) with
  U = sum of y_i R_i over midranks R_i of the probabilities, evaluated at the expectations
  E[U] = sum(p_i R_i) and E[n1] = sum(p). The AUC is undefined (None) when every probability
  is 0 or every one is 1.

Sampling-error bands. Even with calibrated probabilities the realized metric of this window
differs from its expectation because the outcomes are random. Each metric carries the
standard deviation of its realized value under independent Bernoulli(p_i) outcomes, found
analytically so a window of 1,000,000 applications costs one sort and a few passes:

* default rate and precision are linear in the outcomes (the declined set does not depend on
  them), so their variances are exact: sum p(1 - p) / n^2 and sum over the declined of
  p(1 - p) / declined^2;
* recall, F1 and the AUC are smooth functions of sums of independent terms (E[TP] and E[FN];
  U and n1), and get the first-order (delta-method) variance around the estimate.

The band is estimate +- z * standard error for the requested confidence (z = 1.96 at 95%),
clipped to [0, 1]. It is a normal approximation: it describes windows with enough expected
defaults and non-defaults (a job should report too small a window as insufficient); it does
not cover miscalibration, which registration measures.

Whether the probabilities are calibrated is measured at registration on the holdout
(`governance.ml.calibration`, which also holds the reliability curve, the expected
calibration error and the isotonic recalibration).

No Django here: arrays in, numbers out.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from governance.ml.calibration import checked_probabilities
from governance.ml.delong import midranks


@dataclass(frozen=True)
class EstimatedMetric:
    """An estimate with its standard error and sampling-error band `[low, high]`."""

    value: float
    standard_error: float
    low: float
    high: float


@dataclass(frozen=True)
class ExpectedConfusion:
    """Expected counts at the threshold; positive = default, predicted positive = declined."""

    tp: float
    fp: float
    fn: float
    tn: float


@dataclass(frozen=True)
class PerformanceEstimate:
    """A window's label-free performance estimate (see the module docstring)."""

    n: int
    threshold: float
    confidence: float
    default_rate: EstimatedMetric
    roc_auc: EstimatedMetric | None
    precision: EstimatedMetric
    recall: EstimatedMetric
    f1: EstimatedMetric
    confusion_matrix: ExpectedConfusion


def performance_estimate(
    *, probability: np.ndarray, threshold: float, confidence: float = 0.95, declined: np.ndarray | None = None
) -> PerformanceEstimate:
    """Expected default rate, ROC-AUC, precision, recall and F1 of a window, with bands.

    `declined` names the applications declined when they were not `probability >= threshold`:
    estimated from recalibrated probabilities, the decisions were still made on the raw ones.
    """
    p = checked_probabilities(probability)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    quantile = float(norm.ppf(0.5 + confidence / 2))

    def metric(value: float, variance: float) -> EstimatedMetric:
        standard_error = float(np.sqrt(max(variance, 0.0)))
        return EstimatedMetric(
            value=float(value),
            standard_error=standard_error,
            low=float(max(0.0, value - quantile * standard_error)),
            high=float(min(1.0, value + quantile * standard_error)),
        )

    n = len(p)
    spread = p * (1 - p)  # the variance of each outcome
    total_spread = float(spread.sum())
    defaults = float(p.sum())
    if declined is None:
        declined = p >= threshold
    elif declined.shape != p.shape:
        raise ValueError(f"declined has shape {declined.shape}, probability {p.shape}")
    n_declined = int(declined.sum())
    tp = float(p[declined].sum())
    fn = defaults - tp
    var_tp = float(spread[declined].sum())
    var_fn = total_spread - var_tp

    precision = metric(tp / n_declined, var_tp / n_declined**2) if n_declined else metric(0.0, 0.0)
    if defaults > 0:
        # recall = TP / (TP + FN): gradient (FN, -TP) / defaults^2
        recall = metric(tp / defaults, (fn**2 * var_tp + tp**2 * var_fn) / defaults**4)
    else:
        recall = metric(0.0, 0.0)
    f1_denominator = n_declined + defaults  # 2 TP + FP + FN
    if f1_denominator > 0:
        # F1 = 2 TP / (declined + TP + FN): gradient 2 (FN + declined, -TP) / denominator^2
        f1_variance = 4 * ((fn + n_declined) ** 2 * var_tp + tp**2 * var_fn) / f1_denominator**4
        f1 = metric(2 * tp / f1_denominator, f1_variance)
    else:
        f1 = metric(0.0, 0.0)

    roc_auc = None
    if 0 < defaults < n:
        ascending = np.sort(p)
        fpr, tpr = _expected_roc_curve(ascending)
        auc = float(np.trapezoid(tpr, fpr))
        roc_auc = metric(auc, _auc_variance(ascending, defaults=defaults, auc=auc))

    return PerformanceEstimate(
        n=n,
        threshold=float(threshold),
        confidence=confidence,
        default_rate=metric(defaults / n, total_spread / n**2),
        roc_auc=roc_auc,
        precision=precision,
        recall=recall,
        f1=f1,
        confusion_matrix=ExpectedConfusion(tp=tp, fp=n_declined - tp, fn=fn, tn=(n - n_declined) - fn),
    )


def expected_roc_curve(*, probability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E[FPR], E[TPR]) from (0, 0) to (1, 1), one step per distinct probability, highest first."""
    p = checked_probabilities(probability)
    if not 0 < p.sum() < len(p):
        raise ValueError("the expected ROC curve needs a probability above 0 and one below 1")
    return _expected_roc_curve(np.sort(p))


def _expected_roc_curve(ascending: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    descending = ascending[::-1]
    group_starts = np.flatnonzero(np.r_[True, descending[1:] != descending[:-1]])
    expected_defaults = np.cumsum(np.add.reduceat(descending, group_starts))
    expected_goods = np.cumsum(np.add.reduceat(1 - descending, group_starts))
    # Normalising by the cumulative sums' own totals ends the curve at exactly (1, 1).
    tpr = np.r_[0.0, expected_defaults / expected_defaults[-1]]
    fpr = np.r_[0.0, expected_goods / expected_goods[-1]]
    return fpr, tpr


def _auc_variance(ascending: np.ndarray, *, defaults: float, auc: float) -> float:
    """Delta-method variance of the realized AUC g(U, n1) = (U - n1 (n1 + 1) / 2) / (n1 n0)
    under Bernoulli(p) outcomes, around (E[U], E[n1]) where g is the expected AUC `auc`."""
    n = len(ascending)
    ranks = midranks(ascending)
    pairs = defaults * (n - defaults)  # n1 n0 at E[n1]
    d_u = 1 / pairs
    d_n1 = -((defaults + 0.5) + auc * (n - 2 * defaults)) / pairs
    # U and n1 are sums over cases of y_i R_i and y_i: the gradient per case is d_u R_i + d_n1.
    return float(np.sum(ascending * (1 - ascending) * (d_u * ranks + d_n1) ** 2))
