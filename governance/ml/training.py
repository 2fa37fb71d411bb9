"""The reference training pipeline on the decision-time application fields.

1. Describe the data (feature schema) and encode it.
2. Split: a holdout the model never sees (a stratified 20%, or the rows the caller
   names, e.g. the most recent ones for an out-of-time holdout); of the rest, a
   stratified 10% stops the boosting early and chooses the decision threshold.
3. Search the candidates by cross-validation on the training part (`search.py`:
   LightGBM under a bounded hyperparameter search and a logistic-regression baseline),
   fit the best and store it as a JSON artifact.
4. Score the holdout through the artifact, exactly as serving will, and record metrics,
   the frozen monitoring baseline, fairness per protected attribute, the automated
   validation findings, the experiment record (`experiment.py`) and the holdout
   calibration (`calibration.py`) that label-free performance estimates rely on.
"""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import train_test_split

from .artifact import ModelKind, artifact_document
from .baseline import build_baseline
from .calibration import holdout_calibration
from .dataset import Dataset
from .experiment import library_versions, peak_memory, source_commit
from .fairness import group_fairness
from .fields import TARGET
from .findings import validation_findings
from .metrics import best_f1_threshold, classification_metrics
from .schema import Encoder, schema_from_frame
from .scorer import scorer_for_document
from .search import (
    DEFAULT_SEARCH,
    SearchBudget,
    SearchResult,
    Split,
    TrainingTable,
    candidate_search,
    early_stopping_split,
    lightgbm_params,
)

HOLDOUT_SHARE = 0.20
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
    experiment: dict[str, Any]
    search: SearchResult
    calibration: dict[str, Any]
    holdout_probability: np.ndarray  # in the order of `search.split.holdout_rows`


def holdout_split(y: np.ndarray, *, seed: int, holdout: npt.ArrayLike | None = None) -> Split:
    """The rows to hold out, fit on and stop early on.

    `holdout` names the holdout rows, as a boolean mask over the rows or as row indices;
    without it a stratified `HOLDOUT_SHARE` is held out. The early-stopping rows are a
    stratified `EARLY_STOPPING_SHARE` of the rest. Raises `ValueError` for a holdout that
    does not fit the table or leaves a part without both classes.
    """
    rows = np.arange(len(y))
    if holdout is None:
        train_rows, holdout_rows = train_test_split(rows, test_size=HOLDOUT_SHARE, stratify=y, random_state=seed)
    else:
        holdout_rows = _holdout_rows(np.asarray(holdout), len(y))
        train_rows = np.setdiff1d(rows, holdout_rows)
    for part, part_rows in (("holdout", holdout_rows), ("training part", train_rows)):
        if len(np.unique(y[part_rows])) < 2:
            raise ValueError(f"The {part} ({len(part_rows)} rows) needs both defaults and repayments.")
    fit_rows, stop_rows = early_stopping_split(y, train_rows, seed=seed)
    return Split(fit_rows=fit_rows, stop_rows=stop_rows, holdout_rows=holdout_rows)


def _holdout_rows(holdout: np.ndarray, n_rows: int) -> np.ndarray:
    if holdout.dtype == bool:
        if holdout.shape != (n_rows,):
            raise ValueError(f"The holdout mask has {holdout.size} entries; the table has {n_rows} rows.")
        return np.flatnonzero(holdout)
    if holdout.ndim != 1 or (holdout.size and not np.issubdtype(holdout.dtype, np.integer)):
        raise ValueError("The holdout is given as a boolean mask over the rows or as a list of row indices.")
    rows = np.unique(holdout.astype(np.int64))
    if rows.size != holdout.size:
        raise ValueError("The holdout row indices repeat a row.")
    if rows.size and (rows[0] < 0 or rows[-1] >= n_rows):
        raise ValueError(f"The holdout row indices must lie in 0..{n_rows - 1}.")
    return rows


def train(
    dataset: Dataset,
    *,
    seed: int = 42,
    protected_attributes: list[str],
    threshold_policy: str = "max_f1",
    fixed_threshold: float | None = None,
    min_auc: float,
    fairness_min_group_size: int,
    search: SearchBudget = DEFAULT_SEARCH,
    holdout: npt.ArrayLike | None = None,
) -> TrainingResult:
    """Train, evaluate and describe one model version (see the module docstring).

    `search` bounds the candidate search; `holdout` names the holdout rows (see
    `holdout_split`). The same data, seed and budget give the same artifact, as long as
    the budget's seconds do not cut the search short.
    """
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
    split = holdout_split(y, seed=seed, holdout=holdout)
    categories = {f["name"]: len(f["categories"]) for f in schema["fields"] if f["type"] == "category"}
    table = TrainingTable(
        matrix=matrix,
        y=y,
        feature_names=encoder.model_features,
        categories={j: categories[encoder.model_features[j]] for j in encoder.categorical_model_features},
    )
    searched = candidate_search(table, split=split, seed=seed, budget=search)
    winner = searched.winner
    if isinstance(searched.winner_model, str):
        document = artifact_document(feature_schema=schema, lightgbm_model=searched.winner_model)
    else:
        document = artifact_document(feature_schema=schema, logistic_model=searched.winner_model)
    scorer = scorer_for_document(document)
    holdout_rows, stop_rows = split.holdout_rows, split.stop_rows

    if threshold_policy == "max_f1":
        threshold = best_f1_threshold(y[stop_rows], scorer.probabilities(matrix[stop_rows]))
    elif fixed_threshold is not None:
        threshold = float(fixed_threshold)
    else:
        raise ValueError("A fixed threshold policy needs fixed_threshold.")
    # The search scored the holdout from the exported model, the very text or numbers the
    # artifact stores, as the artifact's scorer does: half a million rows are not scored twice.
    holdout_probability = searched.winner_holdout_scores
    metrics = classification_metrics(y[holdout_rows], holdout_probability, threshold)
    if winner.boosting_rounds is not None:
        metrics["boosting_rounds"] = winner.boosting_rounds

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
        # Where the file was read, so a retraining can include it again (when it is still
        # there with this SHA-256).
        "path": str(Path(dataset.path).resolve()),
        "sha256": dataset.sha256,
        "rows": int(len(frame)),
        "class_balance": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
        "default_rate": float(y.mean()),
        "train_rows": int(len(split.fit_rows)),
        "early_stopping_rows": int(len(stop_rows)),
        "holdout_rows": int(len(holdout_rows)),
        "holdout": "stratified" if holdout is None else "given",
        "seed": seed,
        "threshold_policy": threshold_policy,
    }
    baseline = build_baseline(encoded[holdout_rows], encoder, holdout_probability)
    versions = library_versions()
    seconds = time.perf_counter() - started
    experiment = {
        "model": {
            "kind": str(winner.kind),
            "candidate": winner.name,
            "params": lightgbm_params(winner.params, seed=seed) if winner.kind == ModelKind.LIGHTGBM else winner.params,
            "boosting_rounds": winner.boosting_rounds,
        },
        "seed": seed,
        "search": searched.summary(),
        "leaderboard": searched.leaderboard(),
        "library_versions": versions,
        "source_commit": source_commit(),
        "data": {
            "sha256": dataset.sha256,
            "rows": training_data["rows"],
            "class_balance": training_data["class_balance"],
            "holdout": training_data["holdout"],
            "holdout_rows": training_data["holdout_rows"],
            # Names the exact holdout, so a later run can tell whether it held out the same rows.
            "holdout_rows_sha256": hashlib.sha256(np.sort(holdout_rows).astype("<i8").tobytes()).hexdigest(),
        },
        "duration_seconds": seconds,
        "peak_memory": peak_memory(),
    }
    return TrainingResult(
        document=document,
        feature_schema=schema,
        threshold=threshold,
        metrics=metrics,
        baseline=baseline,
        fairness=fairness,
        findings=findings,
        training_data=training_data,
        library_versions=versions,
        training_seconds=seconds,
        experiment=experiment,
        search=searched,
        calibration=holdout_calibration(y_true=y[holdout_rows], probability=holdout_probability),
        holdout_probability=holdout_probability,
    )
