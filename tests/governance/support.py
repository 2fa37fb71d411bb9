"""Independent computations that the training tests hold the pipeline to."""

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from governance.ml.logistic import logistic_pipeline
from governance.ml.schema import Encoder
from governance.ml.training import TrainingResult


def model_matrix(feature_schema: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    encoder = Encoder(feature_schema)
    return encoder.model_matrix(encoder.encode_frame(frame))


def category_counts(feature_schema: dict[str, Any]) -> dict[int, int]:
    """Model-matrix column -> number of categories, for the categorical model features."""
    counts = {f["name"]: len(f["categories"]) for f in feature_schema["fields"] if f["type"] == "category"}
    return {j: counts[name] for j, name in enumerate(feature_schema["model_features"]) if name in counts}


def sklearn_baseline(result: TrainingResult, frame: pd.DataFrame) -> Pipeline:
    """The logistic baseline fitted by scikit-learn on the rows training fitted it on."""
    schema = result.feature_schema
    pipeline = logistic_pipeline(n_features=len(schema["model_features"]), categories=category_counts(schema))
    rows = result.search.split.fit_rows
    return pipeline.fit(model_matrix(schema, frame)[rows], frame["Status"].to_numpy()[rows])


def sklearn_contributions(pipeline: Pipeline, matrix: np.ndarray) -> np.ndarray:
    """Coefficient x standardised design column, summed per model feature; the feature of a
    design column is read from scikit-learn's own output names (`x<column>...`)."""
    design = pipeline[:-1].transform(matrix)
    terms = design * pipeline[-1].coef_[0]
    sources = [int(re.search(r"x(\d+)", name).group(1)) for name in pipeline[:-1].get_feature_names_out()]
    contributions = np.zeros_like(matrix)
    for k, column in enumerate(sources):
        contributions[:, column] += terms[:, k]
    return contributions


def with_unseen_and_missing(matrix: np.ndarray, feature_schema: dict[str, Any]) -> np.ndarray:
    """Rows with a category training never saw, and rows with every input missing."""
    unseen = matrix[:50].copy()
    for column in category_counts(feature_schema):
        unseen[::2, column] = -1.0  # schema.UNSEEN_CATEGORY
    missing = np.full((5, matrix.shape[1]), np.nan)
    return np.vstack([matrix, unseen, missing])
