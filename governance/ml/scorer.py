"""Scoring with a loaded artifact: probabilities and per-feature contributions.

Every model kind explains a score the same way: for every application

    expected_log_odds + sum(contributions) == the model's log-odds of default

exactly, with one contribution per model feature (the reason codes of a decline).

* LightGBM (`Scorer`): the model's own path attributions (the "Saabas" decomposition of
  a tree ensemble): walking each tree from its root to the leaf the application falls in,
  every split credits the change in the node's expected log-odds to the feature it splits
  on. LightGBM assigns the leaves (`pred_leaf`); this module only adds up the values
  LightGBM stored for the path to each leaf, precomputed once per artifact.
* Logistic regression (`LogisticScorer`): each design column contributes its coefficient
  times its standardised deviation from the training mean, and a feature the sum over its
  columns (its value and missing indicator, or its one-hot buckets);
  `expected_log_odds` is the intercept, the log-odds of an application at the training
  mean of every column.
"""

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, cast

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .artifact import MODEL_KEYS, ModelKind, artifact_kind
from .schema import Encoder

# LightGBM's native library crashes (a segmentation fault, seen in CI) when one thread makes
# a booster while another predicts with or makes one: the candidate search fits side by side,
# and a retraining scores the champion beside it. Those steps take this lock; the boosting
# rounds, nearly all of a fit's time, run at once (`search.lightgbm_fit`). Uncontended in a
# web worker, whose one request thread is the only one scoring.
LIGHTGBM_NATIVE = threading.Lock()


class ModelScorer(ABC):
    """A model version ready to score: the encoder of its schema and its model."""

    expected_log_odds: float

    def __init__(self, document: dict[str, Any]) -> None:
        self.feature_schema: dict[str, Any] = document["feature_schema"]
        self.encoder = Encoder(self.feature_schema)
        self.model_features: list[str] = self.encoder.model_features

    @abstractmethod
    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Probability of default for each row of a model matrix (see `Encoder.model_matrix`)."""

    @abstractmethod
    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-row, per-model-feature contributions to the log-odds of default."""

    def score_frame(self, frame: Any) -> np.ndarray:
        """Probabilities for a data frame of applications (training, evaluation)."""
        return self.probabilities(self.encoder.model_matrix(self.encoder.encode_frame(frame)))


class Scorer(ModelScorer):
    """A LightGBM model version ready to score: encoder, booster and path-contribution tables."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        with LIGHTGBM_NATIVE:
            self.booster = lgb.Booster(model_str=document[MODEL_KEYS[ModelKind.LIGHTGBM]])
            dump = self.booster.dump_model()
        self._tree_offsets, self._leaf_contributions, self.expected_log_odds = _path_tables(
            dump, len(self.model_features)
        )

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        # One thread: a request scores a handful of rows, and web workers already use the cores.
        with LIGHTGBM_NATIVE:
            return cast(np.ndarray, self.booster.predict(matrix, num_threads=1))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        with LIGHTGBM_NATIVE:
            leaves = cast(np.ndarray, self.booster.predict(matrix, pred_leaf=True, num_threads=1)).astype(np.int64)
        rows, trees = leaves.shape
        columns = (leaves + self._tree_offsets).ravel()
        one_hot = sp.csr_matrix(
            (np.ones(rows * trees), columns, np.arange(0, rows * trees + 1, trees)),
            shape=(rows, self._leaf_contributions.shape[0]),
        )
        return np.asarray(one_hot @ self._leaf_contributions)


def _path_tables(dump: dict[str, Any], n_features: int) -> tuple[np.ndarray, np.ndarray, float]:
    """For every leaf of every tree, the summed contributions along its root-to-leaf path."""
    offsets, tables = [], []
    expected = 0.0
    total_leaves = 0
    for tree in dump["tree_info"]:
        root = tree["tree_structure"]
        table = np.zeros((tree["num_leaves"], n_features))
        offsets.append(total_leaves)
        total_leaves += tree["num_leaves"]
        tables.append(table)
        if "leaf_value" in root:  # a tree without splits adds a constant
            expected += root["leaf_value"]
            continue
        expected += root["internal_value"]
        stack = [(root, np.zeros(n_features))]
        while stack:
            node, path = stack.pop()
            for child in (node["left_child"], node["right_child"]):
                child_value = child["leaf_value"] if "leaf_index" in child else child["internal_value"]
                child_path = path.copy()
                child_path[node["split_feature"]] += child_value - node["internal_value"]
                if "leaf_index" in child:
                    table[child["leaf_index"]] = child_path
                else:
                    stack.append((child, child_path))
    return np.asarray(offsets, dtype=np.int64), np.vstack(tables), float(expected)


class LogisticModel:
    """A logistic-regression export (`logistic.logistic_export`) evaluated with numpy."""

    def __init__(self, model: Mapping[str, Any], n_features: int) -> None:
        columns = model["columns"]
        self.intercept = float(model["intercept"])
        # The model-matrix column each design column reads, and what it makes of it.
        self._source = np.array([c["column"] for c in columns], dtype=np.int64)
        kinds = np.array([c["kind"] for c in columns])
        self._value = kinds == "value"
        self._missing = kinds == "missing"
        self._category = kinds == "category"
        self._median = np.array([c["median"] for c in columns if c["kind"] == "value"], dtype=np.float64)
        codes = np.array([c["code"] for c in columns if c["kind"] == "category"], dtype=np.float64)  # None -> NaN
        self._code, self._missing_bucket = codes, np.isnan(codes)
        self._mean = np.array([c["mean"] for c in columns], dtype=np.float64)
        self._scale = np.array([c["scale"] for c in columns], dtype=np.float64)
        self._coefficients = np.array([c["coefficient"] for c in columns], dtype=np.float64)
        self._membership = np.zeros((len(columns), n_features))
        self._membership[np.arange(len(columns)), self._source] = 1.0

    def standardised(self, matrix: np.ndarray) -> np.ndarray:
        """The design columns of each row, standardised as in training."""
        x = matrix[:, self._source]
        missing = np.isnan(x)
        design = np.empty_like(x)
        design[:, self._value] = np.where(missing[:, self._value], self._median, x[:, self._value])
        design[:, self._missing] = missing[:, self._missing]
        category, category_missing = x[:, self._category], missing[:, self._category]
        design[:, self._category] = (category == self._code) | (category_missing & self._missing_bucket)
        return (design - self._mean) / self._scale

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return expit(self.standardised(matrix) @ self._coefficients + self.intercept)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        return (self.standardised(matrix) * self._coefficients) @ self._membership


class LogisticScorer(ModelScorer):
    """A logistic-regression model version ready to score."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.model = LogisticModel(document[MODEL_KEYS[ModelKind.LOGISTIC]], len(self.model_features))
        self.expected_log_odds = self.model.intercept

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.probabilities(matrix)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.contributions(matrix)


def scorer_for_document(document: dict[str, Any]) -> ModelScorer:
    """The scorer of an artifact document of either kind."""
    if artifact_kind(document) == ModelKind.LOGISTIC:
        return LogisticScorer(document)
    return Scorer(document)
