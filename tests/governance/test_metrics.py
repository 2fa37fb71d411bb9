"""Holdout metrics checked against independent computations."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from governance.ml.metrics import best_f1_threshold, classification_metrics


@pytest.fixture
def scored():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    p = np.clip(0.3 * y + rng.normal(0.35, 0.2, 3000), 0.001, 0.999)
    return y, p


def test_ks_equals_the_two_sample_statistic(scored):
    y, p = scored
    expected = ks_2samp(p[y == 1], p[y == 0]).statistic
    assert classification_metrics(y, p, 0.5)["ks"] == pytest.approx(expected)


def test_threshold_metrics_follow_from_the_confusion_matrix(scored):
    y, p = scored
    m = classification_metrics(y, p, 0.5)
    declined = p >= 0.5
    assert m["confusion_matrix"] == {
        "tn": int(((~declined) & (y == 0)).sum()),
        "fp": int((declined & (y == 0)).sum()),
        "fn": int(((~declined) & (y == 1)).sum()),
        "tp": int((declined & (y == 1)).sum()),
    }
    assert m["accuracy"] == pytest.approx((declined == (y == 1)).mean())
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["log_loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_best_f1_threshold_beats_its_neighbours(scored):
    y, p = scored
    t = best_f1_threshold(y, p)
    best = classification_metrics(y, p, t)["f1"]
    for other in (t - 0.05, t + 0.05, 0.5):
        assert classification_metrics(y, p, other)["f1"] <= best + 1e-12


def test_one_class_has_no_ranking_metrics():
    m = classification_metrics(np.zeros(10), np.linspace(0, 1, 10), 0.5)
    assert m["roc_auc"] is None and m["ks"] is None and m["gini"] is None
