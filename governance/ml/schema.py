"""Feature schema of a model version and the encoder built from it.

The schema is stored with every version (and inside its artifact). It lists each
application field with its type, the categories seen in training, the numeric range seen
in training and whether it may be missing. The encoder turns applications into the
float64 vectors the model and the monitoring jobs work on:

* numbers as they are, `NaN` when missing;
* categories as their index in the schema's category list, `NaN` when missing and
  `UNSEEN_CATEGORY` for a value training never saw (LightGBM treats it as missing).
"""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .fields import APPLICATION_FIELDS, DERIVED_FEATURES, NUMERIC_FIELDS

# Accepted numeric inputs may lie this share of the training span outside the range seen
# in training (e.g. Credit_Score seen 500..900 accepts 460..940); see README "Validation".
RANGE_TOLERANCE = 0.10
UNSEEN_CATEGORY = -1.0
# A training range is shown to the decimals its data has, at most 4 (the digits every number
# a person reads in the portal gets): the real file's LTV has 9, a computed ratio a float's 16.
MAX_DECIMALS = 4


def schema_from_frame(frame: pd.DataFrame, *, protected_attributes: Iterable[str]) -> dict[str, Any]:
    """Describe every application field as training saw it."""
    protected = set(protected_attributes)
    fields: list[dict[str, Any]] = []
    for name in APPLICATION_FIELDS:
        column = frame[name]
        missing_rate = float(column.isna().mean())
        entry: dict[str, Any] = {
            "name": name,
            "role": "protected" if name in protected else "feature",
            "nullable": missing_rate > 0,
            "missing_rate": round(missing_rate, 6),
        }
        if name in NUMERIC_FIELDS:
            values = pd.to_numeric(column).to_numpy(dtype=np.float64, na_value=np.nan)
            entry.update(
                type="number", min=float(column.min()), max=float(column.max()), decimals=decimals_needed(values)
            )
        else:
            entry.update(type="category", categories=sorted(str(v) for v in column.dropna().unique()))
        fields.append(entry)
    model_features = [f["name"] for f in fields if f["role"] == "feature"] + list(DERIVED_FEATURES)
    return {
        "fields": fields,
        "derived": [{"name": n, "numerator": a, "denominator": b} for n, (a, b) in DERIVED_FEATURES.items()],
        "model_features": model_features,
        "range_tolerance": RANGE_TOLERANCE,
    }


def decimals_needed(values: np.ndarray) -> int:
    """The fewest decimals, up to MAX_DECIMALS, that write every value exactly (missing ones
    aside): 0 for whole numbers such as amounts in dollars or a term in months."""
    present = values[~np.isnan(values)]
    for decimals in range(MAX_DECIMALS):
        # Relative tolerance: 98.72881356 is not exactly representable, its 8-decimal rounding is as close.
        if np.allclose(np.round(present, decimals), present, rtol=1e-12, atol=0.0):
            return decimals
    return MAX_DECIMALS


def training_range_shown(field: Mapping[str, Any]) -> tuple[str, str]:
    """A numeric field's training range as people read it: both ends to the decimals of the
    training data (the schema's `decimals`; for a schema recorded before it had them, the
    decimals of the two ends themselves)."""
    low, high = float(field["min"]), float(field["max"])
    decimals = field.get("decimals")
    if decimals is None:
        decimals = decimals_needed(np.array([low, high]))
    return f"{low:.{decimals}f}", f"{high:.{decimals}f}"


def accepted_range(field: Mapping[str, Any], tolerance: float) -> tuple[float, float]:
    """The numeric range validation accepts: the training range widened by the tolerance."""
    slack = (field["max"] - field["min"]) * tolerance
    return field["min"] - slack, field["max"] + slack


class Encoder:
    """Turns applications (dicts or a data frame) into encoded vectors and model inputs."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.fields: list[dict[str, Any]] = list(schema["fields"])
        self.field_names: list[str] = [f["name"] for f in self.fields]
        self.model_features: list[str] = list(schema["model_features"])
        self._category_index = {
            f["name"]: {c: float(i) for i, c in enumerate(f["categories"])}
            for f in self.fields
            if f["type"] == "category"
        }
        position = {name: i for i, name in enumerate(self.field_names)}
        derived = {d["name"]: d for d in schema["derived"]}
        self._direct_columns = [position[n] for n in self.model_features if n not in derived]
        self._derived_columns = [
            (position[derived[n]["numerator"]], position[derived[n]["denominator"]])
            for n in self.model_features
            if n in derived
        ]
        if self.model_features[len(self._direct_columns) :] != [n for n in self.model_features if n in derived]:
            raise ValueError("derived model features must follow the direct ones")
        self.categorical_model_features: list[int] = [
            i for i, n in enumerate(self.model_features) if n in self._category_index
        ]

    def encode_records(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Encode validated applications: one row per record, one column per schema field."""
        rows = []
        for record in records:
            row = []
            for name in self.field_names:
                value = record.get(name)
                if value is None:
                    row.append(np.nan)
                elif name in self._category_index:
                    row.append(self._category_index[name].get(value, UNSEEN_CATEGORY))
                else:
                    row.append(float(value))
            rows.append(row)
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(self.field_names))

    def encode_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode a data frame that has every application field as a column."""
        encoded = np.empty((len(frame), len(self.field_names)), dtype=np.float64)
        for j, field in enumerate(self.fields):
            column = frame[field["name"]]
            if field["type"] == "number":
                encoded[:, j] = pd.to_numeric(column).to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            codes = pd.Categorical(column, categories=field["categories"]).codes.astype(np.float64)
            missing = column.isna().to_numpy()
            codes[codes < 0] = UNSEEN_CATEGORY
            codes[missing] = np.nan
            encoded[:, j] = codes
        return encoded

    def model_matrix(self, encoded: np.ndarray) -> np.ndarray:
        """Select and derive the model's input columns from encoded applications."""
        direct = encoded[:, self._direct_columns]
        if not self._derived_columns:
            return direct
        derived = np.empty((encoded.shape[0], len(self._derived_columns)), dtype=np.float64)
        for k, (num, den) in enumerate(self._derived_columns):
            denominator = encoded[:, den]
            with np.errstate(divide="ignore", invalid="ignore"):
                derived[:, k] = np.where(denominator > 0, encoded[:, num] / denominator, np.nan)
        return np.hstack([direct, derived])
