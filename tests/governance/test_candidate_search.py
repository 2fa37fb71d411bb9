"""The candidate search: cross-validated on the training part only, ranked on a leaderboard,
and the best mean CV ROC-AUC is what gets registered."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

from governance.ml.logistic import logistic_pipeline
from governance.ml.scorer import scorer_for_document
from governance.ml.search import LIGHTGBM_PARAMS, MIN_SEARCH_ROWS, SEARCH_SPACE, SearchBudget, search_sample
from governance.ml.training import train

from .support import category_counts, model_matrix


def labels(dataset):
    return dataset.frame["Status"].to_numpy()


def test_folds_are_stratified_and_validate_each_training_row_once(training_result, demo_dataset):
    y = labels(demo_dataset)
    search = training_result.search
    train_rows = np.setdiff1d(np.arange(len(y)), search.split.holdout_rows)
    folds = len(search.folds)
    assert folds == training_result.experiment["search"]["cv"]["folds"] >= 3
    validated = np.sort(np.concatenate([held_out for _, held_out in search.folds]))
    np.testing.assert_array_equal(validated, train_rows)
    for fitted, held_out in search.folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([fitted, held_out])), train_rows)
        # Stratified: every fold holds its share of the defaults, give or take one row.
        assert abs(y[held_out].sum() - y[train_rows].sum() / folds) <= 1
        assert abs(len(held_out) - len(train_rows) / folds) <= 1


def test_logistic_baseline_cv_aucs_equal_cross_val_score_on_the_same_folds(training_result, demo_dataset):
    y = labels(demo_dataset)
    schema = training_result.feature_schema
    matrix = model_matrix(schema, demo_dataset.frame)
    train_rows = np.setdiff1d(np.arange(len(y)), training_result.search.split.holdout_rows)
    cv = training_result.experiment["search"]["cv"]
    pipeline = logistic_pipeline(n_features=matrix.shape[1], categories=category_counts(schema))
    folds = StratifiedKFold(n_splits=cv["folds"], shuffle=True, random_state=cv["seed"])
    with threadpool_limits(limits=1):  # as the search fits, so lbfgs sums in the same order
        expected = cross_val_score(pipeline, matrix[train_rows], y[train_rows], cv=folds, scoring="roc_auc")
    row = next(r for r in training_result.experiment["leaderboard"] if r["kind"] == "logistic")
    assert row["cv_roc_auc_folds"] == pytest.approx(expected, abs=1e-9)
    assert row["cv_roc_auc_mean"] == pytest.approx(expected.mean(), abs=1e-9)
    assert row["cv_roc_auc_std"] == pytest.approx(expected.std(), abs=1e-9)


def test_the_winner_has_the_best_cv_mean_and_is_the_registered_model(training_result):
    rows = training_result.experiment["leaderboard"]
    means = [float(np.mean(row["cv_roc_auc_folds"])) for row in rows]
    assert [row["cv_roc_auc_mean"] for row in rows] == pytest.approx(means)
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    assert means == sorted(means, reverse=True)
    assert [row["winner"] for row in rows] == [True] + [False] * (len(rows) - 1)
    assert rows[0]["cv_roc_auc_mean"] == pytest.approx(max(means))
    assert {row["kind"] for row in rows} == {"lightgbm", "logistic"}
    model = training_result.experiment["model"]
    assert (model["candidate"], model["kind"]) == (rows[0]["candidate"], rows[0]["kind"])
    assert training_result.document["format"] == f"loanportal.{rows[0]['kind']}-json"


def test_holdout_auc_on_the_leaderboard_is_the_registered_artifacts_on_the_holdout(training_result, demo_dataset):
    holdout = training_result.search.split.holdout_rows
    scores = scorer_for_document(training_result.document).score_frame(demo_dataset.frame.iloc[holdout])
    expected = roc_auc_score(labels(demo_dataset)[holdout], scores)
    winner = training_result.experiment["leaderboard"][0]
    assert winner["holdout_roc_auc"] == pytest.approx(expected, abs=1e-12)
    assert training_result.metrics["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_trial_0_is_the_reference_configuration_and_every_trial_stays_in_bounds(training_result):
    trials = {r["candidate"]: r["params"] for r in training_result.experiment["leaderboard"] if r["kind"] == "lightgbm"}
    assert trials["lightgbm-0"] == {name: LIGHTGBM_PARAMS[name] for name in SEARCH_SPACE}
    assert len(trials) == training_result.experiment["search"]["trials_run"] > 1
    for params in trials.values():
        for name, bounds in SEARCH_SPACE.items():
            assert bounds.low <= params[name] <= bounds.high
            assert isinstance(params[name], int) == bounds.integer


def test_the_seconds_budget_stops_the_search_and_the_record_says_so(demo_dataset):
    result = train(
        demo_dataset,
        seed=3,
        protected_attributes=["Gender", "age"],
        min_auc=0.75,
        fairness_min_group_size=100,
        search=SearchBudget(trials=6, seconds=0.01),
    )
    search = result.experiment["search"]
    assert (search["trials_run"], search["stopped_by"]) == (1, "seconds")
    assert search["stopped"] == "the 0.01 s budget stopped the search after 1 of 6 LightGBM trials"
    # The baseline and the reference configuration are evaluated whatever the time.
    assert sorted(r["candidate"] for r in result.experiment["leaderboard"]) == ["lightgbm-0", "logistic"]


@pytest.mark.parametrize(
    "trials, seconds", [(0, 10), (-1, 10), (1.5, 10), (True, 10), (2, 0), (2, -3), (2, math.nan), (2, math.inf)]
)
def test_a_search_budget_needs_whole_trials_and_positive_finite_seconds(trials, seconds):
    with pytest.raises(ValueError, match="The search needs"):
        SearchBudget(trials=trials, seconds=seconds)


@pytest.mark.parametrize("rows", [MIN_SEARCH_ROWS - 1, 0, 1500.0, True, "2000"])
def test_a_search_budget_needs_a_whole_number_of_rows_of_at_least_the_minimum(rows):
    with pytest.raises(ValueError, match="rows"):
        SearchBudget(rows=rows)


def test_the_search_sample_is_stratified_seeded_and_within_the_row_budget():
    rng = np.random.default_rng(5)
    y = (rng.random(20_000) < 0.23).astype(np.int64)
    train_rows = np.sort(rng.choice(len(y), size=16_000, replace=False))
    sample = search_sample(y, train_rows, rows=5_000, seed=11)
    assert len(sample) == 5_000 and len(np.unique(sample)) == 5_000
    assert np.isin(sample, train_rows).all()
    assert (np.diff(sample) > 0).all()  # in row order
    # The sample's defaults are the training part's share of them, to the row.
    assert abs(y[sample].sum() - 5_000 * y[train_rows].mean()) <= 1
    np.testing.assert_array_equal(sample, search_sample(y, train_rows, rows=5_000, seed=11))
    assert not np.array_equal(sample, search_sample(y, train_rows, rows=5_000, seed=12))
    # A training part within the budget is searched whole.
    np.testing.assert_array_equal(search_sample(y, train_rows, rows=16_000, seed=11), train_rows)


def test_a_search_on_a_sample_cross_validates_on_it_and_fits_the_winner_on_the_whole_training_part(
    training_result, demo_dataset
):
    y = labels(demo_dataset)
    result = train(
        demo_dataset,
        seed=42,
        protected_attributes=["Gender", "age"],
        min_auc=0.75,
        fairness_min_group_size=100,
        search=SearchBudget(trials=1, seconds=3600, rows=2_400),
    )
    search = result.search
    train_rows = search.split.train_rows
    # The same seeded split as the search on every row (the session's `training_result`).
    np.testing.assert_array_equal(train_rows, training_result.search.split.train_rows)
    validated = np.sort(np.concatenate([held_out for _, held_out in search.folds]))
    assert len(validated) == 2_400 < len(train_rows)
    assert np.isin(validated, train_rows).all()
    assert abs(y[validated].sum() - 2_400 * y[train_rows].mean()) <= 1
    for fitted, held_out in search.folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([fitted, held_out])), validated)

    summary = result.experiment["search"]
    assert summary["cv"]["rows"] == 2_400 and summary["cv"]["training_rows"] == len(train_rows) == 4_800
    assert summary["cv"]["sampled"] is True
    assert summary["rows"].startswith("cross-validated on 2,400 of 4,800 training rows")
    assert summary["budget"]["rows"] == 2_400
    rows = result.experiment["leaderboard"]
    assert {(row["cv_rows"], row["training_rows"]) for row in rows} == {(2_400, 4_800)}
    winner, others = rows[0], rows[1:]
    assert summary["final_fit"]["candidate"] == winner["candidate"] and summary["final_fit"]["refitted"]
    # The reference configuration wins here: its fit on every row was made beside the search.
    assert (winner["candidate"], summary["final_fit"]["started"]) == ("lightgbm-0", "beside the search")
    assert winner["sample_holdout_roc_auc"] is not None
    assert all(row["sample_holdout_roc_auc"] is None and row["fitted_rows"] <= 2_400 for row in others)

    # The winner's final fit is the one a search on every row makes of the same candidate:
    # same holdout AUC (the registered artifact's) and, for LightGBM, the same rounds.
    unsampled = next(r for r in training_result.experiment["leaderboard"] if r["candidate"] == winner["candidate"])
    assert winner["fitted_rows"] == unsampled["fitted_rows"] >= len(search.split.fit_rows)
    assert winner["holdout_roc_auc"] == pytest.approx(unsampled["holdout_roc_auc"], abs=1e-12)
    assert winner["boosting_rounds"] == unsampled["boosting_rounds"]
    holdout = search.split.holdout_rows
    scores = scorer_for_document(result.document).score_frame(demo_dataset.frame.iloc[holdout])
    assert result.metrics["roc_auc"] == pytest.approx(roc_auc_score(y[holdout], scores), abs=1e-12)
    assert winner["holdout_roc_auc"] == pytest.approx(result.metrics["roc_auc"], abs=1e-12)


def test_a_training_part_within_the_row_budget_is_searched_whole_and_the_record_says_so(training_result):
    summary = training_result.experiment["search"]
    assert summary["cv"]["rows"] == summary["cv"]["training_rows"] == 4_800
    assert summary["cv"]["sampled"] is False
    assert summary["rows"] == "cross-validated on all 4,800 training rows"
    assert summary["final_fit"]["refitted"] is False
    assert all(row["sample_holdout_roc_auc"] is None for row in training_result.experiment["leaderboard"])


def test_a_winner_other_than_the_reference_is_fitted_on_the_whole_training_part_after_the_search(linear_dataset):
    def search(rows):
        return train(
            linear_dataset,
            seed=42,
            protected_attributes=["Gender", "age"],
            min_auc=0.5,
            fairness_min_group_size=100,
            search=SearchBudget(trials=1, seconds=3600, rows=rows),
        ).experiment

    sampled, whole = search(1_200), search(100_000)
    winner = sampled["leaderboard"][0]
    assert winner["candidate"] == "logistic" and sampled["search"]["cv"]["sampled"] is True
    assert sampled["search"]["final_fit"]["started"] == "after the search"
    # The same fit as the logistic candidate of a search on every row: its fit rows, its holdout AUC.
    unsampled = next(r for r in whole["leaderboard"] if r["candidate"] == "logistic")
    assert winner["fitted_rows"] == unsampled["fitted_rows"] > 1_200
    assert winner["holdout_roc_auc"] == pytest.approx(unsampled["holdout_roc_auc"], abs=1e-12)
    assert winner["sample_holdout_roc_auc"] != winner["holdout_roc_auc"]
