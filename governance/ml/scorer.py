"""Scoring with a loaded artifact: probabilities and per-feature contributions.

Contributions are the model's own path attributions (the "Saabas" decomposition of a
tree ensemble): walking each tree from its root to the leaf the application falls in,
every split credits the change in the node's expected log-odds to the feature it splits
on. For every application

    expected_log_odds + sum(contributions) == LightGBM's raw score (log-odds)

exactly. LightGBM assigns the leaves (`pred_leaf`); this module only adds up the values
LightGBM stored for the path to each leaf, precomputed once per artifact.
"""

from typing import Any, cast

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp

from .schema import Encoder


class Scorer:
    """A model version ready to score: encoder, booster and path-contribution tables."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.feature_schema: dict[str, Any] = document["feature_schema"]
        self.encoder = Encoder(self.feature_schema)
        self.booster = lgb.Booster(model_str=document["lightgbm_model"])
        self.model_features: list[str] = self.encoder.model_features
        self._tree_offsets, self._leaf_contributions, self.expected_log_odds = _path_tables(
            self.booster.dump_model(), len(self.model_features)
        )

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Probability of default for each row of a model matrix (see `Encoder.model_matrix`)."""
        # One thread: a request scores a handful of rows, and web workers already use the cores.
        return cast(np.ndarray, self.booster.predict(matrix, num_threads=1))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-row, per-model-feature contributions to the log-odds of default."""
        leaves = cast(np.ndarray, self.booster.predict(matrix, pred_leaf=True, num_threads=1)).astype(np.int64)
        rows, trees = leaves.shape
        columns = (leaves + self._tree_offsets).ravel()
        one_hot = sp.csr_matrix(
            (np.ones(rows * trees), columns, np.arange(0, rows * trees + 1, trees)),
            shape=(rows, self._leaf_contributions.shape[0]),
        )
        return np.asarray(one_hot @ self._leaf_contributions)

    def score_frame(self, frame: Any) -> np.ndarray:
        """Probabilities for a data frame of applications (training, evaluation)."""
        return self.probabilities(self.encoder.model_matrix(self.encoder.encode_frame(frame)))


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
