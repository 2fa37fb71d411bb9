"""The logistic-regression baseline: a scikit-learn pipeline on the model matrix, and its
export as plain numbers.

The pipeline works on the matrix the LightGBM models see (`schema.Encoder.model_matrix`):

* numbers: a missing value is replaced by the training median, and a 0/1 column says it
  was missing (for every number that was missing at least once in training);
* categories: one-hot over the schema's categories, plus an `unseen` bucket (a value
  training never saw, encoded `schema.UNSEEN_CATEGORY`) and a `missing` bucket;
* every column standardised to training mean 0 and standard deviation 1;
* LogisticRegression (L2 penalty, C = 1, lbfgs).

`logistic_export` writes the fitted pipeline as the JSON the artifact stores: one entry
per design column (the model feature it comes from, what it encodes, its training mean
and standard deviation and its coefficient) and the intercept. `scorer.LogisticModel`
evaluates that JSON with numpy alone, so serving needs neither scikit-learn nor a pickle.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .schema import UNSEEN_CATEGORY

LOGISTIC_PARAMS: dict[str, Any] = {"C": 1.0, "l1_ratio": 0.0, "solver": "lbfgs", "max_iter": 1000}
PIPELINE_DESCRIPTION: dict[str, str] = {
    "numbers": "median imputation with a missing indicator per number missing in training",
    "categories": "one-hot over the training categories plus unseen and missing buckets",
    "scaling": "standardised to training mean 0 and standard deviation 1",
    "model": "LogisticRegression",
}


def logistic_pipeline(*, n_features: int, categories: Mapping[int, int]) -> Pipeline:
    """An unfitted pipeline for a model matrix of `n_features` columns; `categories` maps
    each categorical column to its number of categories in the schema."""
    number_columns = [j for j in range(n_features) if j not in categories]
    category_columns = sorted(categories)
    # Numeric categories must be listed sorted, NaN (the missing bucket) last.
    codes = [[UNSEEN_CATEGORY, *(float(code) for code in range(categories[j])), np.nan] for j in category_columns]
    columns = ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), number_columns),
            ("categories", OneHotEncoder(categories=codes, sparse_output=False), category_columns),
        ]
    )
    return Pipeline(
        [("columns", columns), ("scale", StandardScaler()), ("model", LogisticRegression(**LOGISTIC_PARAMS))]
    )


def logistic_export(pipeline: Pipeline, *, feature_names: Sequence[str]) -> dict[str, Any]:
    """The fitted pipeline as JSON-ready numbers, in the order of its design columns."""
    columns: ColumnTransformer = pipeline.named_steps["columns"]
    steps = {name: (transformer, list(selected)) for name, transformer, selected in columns.transformers_}
    imputer, number_columns = steps["numbers"]
    one_hot, category_columns = steps["categories"]
    design: list[dict[str, Any]] = [
        {"feature": feature_names[j], "column": j, "kind": "value", "median": float(median)}
        for j, median in zip(number_columns, imputer.statistics_, strict=True)
    ]
    if imputer.indicator_ is not None:
        design += [
            {"feature": feature_names[number_columns[k]], "column": number_columns[k], "kind": "missing"}
            for k in imputer.indicator_.features_
        ]
    design += [
        {
            "feature": feature_names[j],
            "column": j,
            "kind": "category",
            "code": None if np.isnan(code) else float(code),  # None: the missing bucket
        }
        for j, codes in zip(category_columns, one_hot.categories_, strict=True)
        for code in codes
    ]
    scaler: StandardScaler = pipeline.named_steps["scale"]
    model: LogisticRegression = pipeline.named_steps["model"]
    for entry, mean, scale, coefficient in zip(design, scaler.mean_, scaler.scale_, model.coef_[0], strict=True):
        entry.update(mean=float(mean), scale=float(scale), coefficient=float(coefficient))
    return {"columns": design, "intercept": float(model.intercept_[0])}
