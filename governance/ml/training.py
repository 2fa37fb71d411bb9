"""The reference training pipeline: LightGBM on the decision-time application fields.

1. Describe the data (feature schema) and encode it.
2. Split: a stratified holdout (20%) the model never sees; of the rest, 10% stops the
   boosting early and chooses the decision threshold.
3. Train a gradient-boosted tree model with native handling of missing values and
   categories, and store it as a JSON artifact.
4. Score the holdout through the artifact, exactly as serving will, and record metrics,
   the frozen monitoring baseline, fairness per protected attribute and the automated
   validation findings.
"""

import os
import platform
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import train_test_split

from .artifact import artifact_document
from .baseline import build_baseline
from .dataset import Dataset
from .fairness import group_fairness
from .fields import TARGET
from .findings import validation_findings
from .metrics import best_f1_threshold, classification_metrics
from .schema import Encoder, schema_from_frame
from .scorer import Scorer

HOLDOUT_SHARE = 0.20
EARLY_STOPPING_SHARE = 0.10
MAX_ROUNDS = 2000
EARLY_STOPPING_ROUNDS = 100
LIGHTGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
    "metric": "auc",
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
THRESHOLD_POLICIES = ("max_f1", "fixed")


@dataclass(frozen=True)
class TrainingResult:
    document: dict[str, Any]
    feature_schema: dict[str, Any]
    threshold: float
    metrics: dict[str, Any]
    baseline: dict[str, Any]
    fairness: dict[str, Any]
    findings: list[dict[str, Any]]
    training_data: dict[str, Any]
    library_versions: dict[str, str]
    training_seconds: float


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("lightgbm", "numpy", "pandas", "scikit-learn", "scipy")},
    }


def train(
    dataset: Dataset,
    *,
    seed: int = 42,
    protected_attributes: list[str],
    threshold_policy: str = "max_f1",
    fixed_threshold: float | None = None,
    min_auc: float,
    fairness_min_group_size: int,
) -> TrainingResult:
    """Train, evaluate and describe one model version (see the module docstring)."""
    if threshold_policy not in THRESHOLD_POLICIES:
        raise ValueError(f"unknown threshold policy {threshold_policy!r}")
    if threshold_policy == "fixed" and fixed_threshold is None:
        raise ValueError("the fixed threshold policy needs a threshold")
    started = time.perf_counter()
    frame = dataset.frame
    y = frame[TARGET].to_numpy(dtype=np.int64)
    schema = schema_from_frame(frame, protected_attributes=protected_attributes)
    encoder = Encoder(schema)
    encoded = encoder.encode_frame(frame)
    matrix = encoder.model_matrix(encoded)

    rows = np.arange(len(frame))
    train_rows, holdout_rows = train_test_split(rows, test_size=HOLDOUT_SHARE, stratify=y, random_state=seed)
    fit_rows, stop_rows = train_test_split(
        train_rows, test_size=EARLY_STOPPING_SHARE, stratify=y[train_rows], random_state=seed
    )
    fit_set = lgb.Dataset(
        matrix[fit_rows],
        y[fit_rows],
        feature_name=encoder.model_features,
        categorical_feature=encoder.categorical_model_features,
        free_raw_data=True,
    )
    stop_set = lgb.Dataset(matrix[stop_rows], y[stop_rows], reference=fit_set)
    booster = lgb.train(
        {**LIGHTGBM_PARAMS, "seed": seed, "num_threads": os.cpu_count() or 1},
        fit_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[stop_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    document = artifact_document(
        feature_schema=schema,
        lightgbm_model=booster.model_to_string(num_iteration=booster.best_iteration),
    )
    scorer = Scorer(document)

    if threshold_policy == "max_f1":
        threshold = best_f1_threshold(y[stop_rows], scorer.probabilities(matrix[stop_rows]))
    elif fixed_threshold is not None:
        threshold = float(fixed_threshold)
    else:
        raise ValueError("A fixed threshold policy needs fixed_threshold.")
    holdout_probability = scorer.probabilities(matrix[holdout_rows])
    metrics = classification_metrics(y[holdout_rows], holdout_probability, threshold)
    metrics["boosting_rounds"] = int(booster.best_iteration)

    approved = holdout_probability < threshold
    fairness = {
        attribute: group_fairness(
            frame[attribute].to_numpy(dtype=object, na_value=None)[holdout_rows],
            approved,
            min_group_size=fairness_min_group_size,
            defaulted=y[holdout_rows],
            probability=holdout_probability,
        ).as_json()
        for attribute in protected_attributes
    }
    findings = validation_findings(
        frame,
        encoded,
        encoder,
        y,
        protected_attributes=protected_attributes,
        holdout_roc_auc=metrics["roc_auc"],
        min_auc=min_auc,
    )
    training_data = {
        "file": Path(dataset.path).name,
        "sha256": dataset.sha256,
        "rows": int(len(frame)),
        "class_balance": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
        "default_rate": float(y.mean()),
        "train_rows": int(len(fit_rows)),
        "early_stopping_rows": int(len(stop_rows)),
        "holdout_rows": int(len(holdout_rows)),
        "seed": seed,
        "threshold_policy": threshold_policy,
        "lightgbm_params": LIGHTGBM_PARAMS,
    }
    return TrainingResult(
        document=document,
        feature_schema=schema,
        threshold=threshold,
        metrics=metrics,
        baseline=build_baseline(encoded[holdout_rows], encoder, holdout_probability),
        fairness=fairness,
        findings=findings,
        training_data=training_data,
        library_versions=library_versions(),
        training_seconds=time.perf_counter() - started,
    )
