"""Frozen monitoring baselines and the binning that drift monitoring shares with them.

Every field gets a bin specification when a version is registered:

* numbers: the deciles of the baseline sample as interior cut points (ties collapse, so
  `term` has fewer bins); a value `v` falls in bin `i` when `edges[i-1] < v <= edges[i]`;
  one more bin holds missing values;
* categories: one bin per category seen in training, then a missing bin and an
  "unseen" bin for values training never saw.

`bin_codes` is the only binning function: the baseline and every later drift window use
it, so current and baseline shares always describe the same bins.
"""

from typing import Any

import numpy as np

from .schema import Encoder

DECILES = np.linspace(0.1, 0.9, 9)


def numeric_edges(values: np.ndarray) -> list[float]:
    present = values[~np.isnan(values)]
    if len(present) == 0:
        return []
    return [float(e) for e in np.unique(np.quantile(present, DECILES, method="linear"))]


def bin_count(spec: dict[str, Any]) -> int:
    if spec["type"] == "number":
        return len(spec["edges"]) + 2
    return len(spec["categories"]) + 2


def bin_labels(spec: dict[str, Any]) -> list[str]:
    if spec["type"] == "category":
        return [*spec["categories"], "missing", "unseen"]
    edges = spec["edges"]
    labels = [f"<= {edges[0]:g}"] if edges else ["all"]
    labels += [f"({lo:g}, {hi:g}]" for lo, hi in zip(edges, edges[1:], strict=False)]
    if edges:
        labels.append(f"> {edges[-1]:g}")
    return [*labels, "missing"]


def bin_codes(values: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """The bin index of each encoded value (see the module docstring)."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if spec["type"] == "number":
        codes = np.searchsorted(np.asarray(spec["edges"], dtype=np.float64), values, side="left")
        codes[missing] = len(spec["edges"]) + 1
        return codes
    n_categories = len(spec["categories"])
    codes = np.where(missing, n_categories, values).astype(np.int64, copy=False)
    codes[(codes < 0) | ((codes >= n_categories) & ~missing)] = n_categories + 1
    return codes


def bin_histogram(values: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    return np.bincount(bin_codes(values, spec), minlength=bin_count(spec))


def _frozen(values: np.ndarray, spec: dict[str, Any]) -> dict[str, Any]:
    counts = bin_histogram(values, spec)
    total = int(counts.sum())
    return {
        **spec,
        "bins": bin_labels(spec),
        "counts": [int(c) for c in counts],
        "shares": [float(c) / total if total else 0.0 for c in counts],
    }


def field_bin_spec(field: dict[str, Any], values: np.ndarray) -> dict[str, Any]:
    if field["type"] == "number":
        return {"type": "number", "edges": numeric_edges(values)}
    return {"type": "category", "categories": list(field["categories"])}


def build_baseline(encoded: np.ndarray, encoder: Encoder, scores: np.ndarray) -> dict[str, Any]:
    """Bins, counts and shares per application field and for the model score."""
    features = {}
    for j, field in enumerate(encoder.fields):
        features[field["name"]] = _frozen(encoded[:, j], field_bin_spec(field, encoded[:, j]))
    score_spec = {"type": "number", "edges": numeric_edges(scores)}
    return {"rows": int(encoded.shape[0]), "features": features, "score": _frozen(scores, score_spec)}
