"""A caller may name the holdout (e.g. the most recent applications, for an out-of-time
holdout): those rows are never fitted on, never cross-validated on, and are what the
holdout metrics describe."""

import hashlib

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from governance.ml.scorer import scorer_for_document
from governance.ml.search import SearchBudget
from governance.ml.training import holdout_split, train

POLICY = {"protected_attributes": ["Gender", "age"], "min_auc": 0.75, "fairness_min_group_size": 100}


def latest_fifth(n_rows):
    mask = np.zeros(n_rows, dtype=bool)
    mask[-n_rows // 5 :] = True  # the rows come in decision-time order: the last ones are the latest
    return mask


def test_an_explicit_holdout_mask_is_held_out_of_every_fit_and_fold(demo_dataset):
    frame = demo_dataset.frame
    mask = latest_fifth(len(frame))
    held_out = set(np.flatnonzero(mask))
    result = train(demo_dataset, seed=4, search=SearchBudget(trials=2, seconds=600), holdout=mask, **POLICY)
    split = result.search.split
    assert set(split.holdout_rows) == held_out
    assert not held_out & (set(split.fit_rows) | set(split.stop_rows))
    for fitted, validated in result.search.folds:
        assert not held_out & set(fitted)
        assert not held_out & set(validated)
    y = frame["Status"].to_numpy()
    scores = scorer_for_document(result.document).score_frame(frame[mask])
    assert result.metrics["n_rows"] == result.training_data["holdout_rows"] == mask.sum()
    assert result.metrics["roc_auc"] == pytest.approx(roc_auc_score(y[mask], scores), abs=1e-12)
    assert result.experiment["leaderboard"][0]["holdout_roc_auc"] == pytest.approx(result.metrics["roc_auc"])
    assert result.training_data["holdout"] == result.experiment["data"]["holdout"] == "given"
    rows = np.flatnonzero(mask).astype("<i8").tobytes()
    assert result.experiment["data"]["holdout_rows_sha256"] == hashlib.sha256(rows).hexdigest()


def test_holdout_row_indices_name_the_same_split_as_a_mask(demo_dataset):
    y = demo_dataset.frame["Status"].to_numpy()
    mask = latest_fifth(len(y))
    by_mask = holdout_split(y, seed=4, holdout=mask)
    by_index = holdout_split(y, seed=4, holdout=np.flatnonzero(mask)[::-1].tolist())
    for part in ("holdout_rows", "fit_rows", "stop_rows"):
        np.testing.assert_array_equal(getattr(by_mask, part), getattr(by_index, part))
    # The early-stopping rows are a stratified tenth of the training part.
    train_rows = by_mask.train_rows
    assert len(by_mask.stop_rows) == pytest.approx(0.1 * len(train_rows), abs=1)
    assert y[by_mask.stop_rows].mean() == pytest.approx(y[train_rows].mean(), abs=0.01)


def test_without_a_holdout_a_stratified_fifth_is_held_out(demo_dataset):
    y = demo_dataset.frame["Status"].to_numpy()
    split = holdout_split(y, seed=4)
    assert len(split.holdout_rows) == round(0.2 * len(y))
    assert y[split.holdout_rows].mean() == pytest.approx(y.mean(), abs=0.005)
    assert not set(split.holdout_rows) & set(split.train_rows)


@pytest.mark.parametrize(
    "holdout, message",
    [
        (np.ones(10, dtype=bool), "has 10 entries; the table has"),
        ([0, 1, 10**9], "must lie in 0.."),
        ([-1, 2], "must lie in 0.."),
        ([3, 3, 4], "repeat a row"),
        ([0.5, 1.5], "boolean mask over the rows or as a list of row indices"),
    ],
)
def test_a_holdout_that_does_not_fit_the_table_is_refused(demo_dataset, holdout, message):
    y = demo_dataset.frame["Status"].to_numpy()
    with pytest.raises(ValueError, match=message):
        holdout_split(y, seed=4, holdout=holdout)


def test_a_holdout_without_both_classes_is_refused(demo_dataset):
    y = demo_dataset.frame["Status"].to_numpy()
    with pytest.raises(ValueError, match=r"The holdout \(40 rows\) needs both defaults and repayments"):
        holdout_split(y, seed=4, holdout=np.flatnonzero(y == 0)[:40])
