"""Discrimination and calibration metrics for a default-probability model.

Convention: `y_true` is 1 for a default and a probability at or above the threshold
predicts a default (the application is declined).
"""

from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, precision_recall_curve, roc_auc_score, roc_curve


def ks_statistic(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score distributions of the classes."""
    fpr, tpr, _ = roc_curve(y_true, probability)
    return float(np.max(tpr - fpr))


def best_f1_threshold(y_true: np.ndarray, probability: np.ndarray) -> float:
    """The probability cut-off that maximises F1 for the default class."""
    precision, recall, thresholds = precision_recall_curve(y_true, probability)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def classification_metrics(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, Any]:
    """Every holdout metric the registry records; ranking metrics are None for one class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    probability = np.asarray(probability, dtype=np.float64)
    predicted = probability >= threshold
    tp = int(np.sum(predicted & (y_true == 1)))
    fp = int(np.sum(predicted & (y_true == 0)))
    fn = int(np.sum(~predicted & (y_true == 1)))
    tn = int(np.sum(~predicted & (y_true == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    both_classes = 0 < int(y_true.sum()) < len(y_true)
    roc_auc = float(roc_auc_score(y_true, probability)) if both_classes else None
    return {
        "n_rows": int(len(y_true)),
        "roc_auc": roc_auc,
        "gini": 2 * roc_auc - 1 if roc_auc is not None else None,
        "ks": ks_statistic(y_true, probability) if both_classes else None,
        "brier": float(brier_score_loss(y_true, probability)),
        "log_loss": float(log_loss(y_true, np.clip(probability, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "accuracy": (tp + tn) / len(y_true) if len(y_true) else 0.0,
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "default_rate": float(y_true.mean()) if len(y_true) else None,
        "mean_probability": float(probability.mean()) if len(y_true) else None,
    }
