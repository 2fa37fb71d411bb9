"""The same data, seed and search budget give the same artifact, byte for byte."""

import pytest

from governance.ml.artifact import write_artifact
from governance.ml.dataset import load_dataset
from governance.ml.demo_data import generate, write_csv
from governance.ml.search import SearchBudget
from governance.ml.training import train

POLICY = {"protected_attributes": ["Gender", "age"], "min_auc": 0.75, "fairness_min_group_size": 100}


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "small.csv"
    write_csv(generate(2500, seed=11), path)
    return load_dataset(path)


def artifact_sha256(result, directory):
    return write_artifact(directory, "loan-default", result.document)[1]


def test_the_same_data_seed_and_budget_give_the_same_artifact_sha256(small_dataset, tmp_path):
    budget = SearchBudget(trials=3, seconds=600)
    first, second = (train(small_dataset, seed=9, search=budget, **POLICY) for _ in range(2))
    assert first.experiment["search"]["trials_run"] == second.experiment["search"]["trials_run"] == 3
    assert [r["params"] for r in first.experiment["leaderboard"]] == [
        r["params"] for r in second.experiment["leaderboard"]
    ]
    assert artifact_sha256(first, tmp_path / "a") == artifact_sha256(second, tmp_path / "b")
    assert first.threshold == second.threshold

    other_seed = train(small_dataset, seed=10, search=budget, **POLICY)
    assert artifact_sha256(other_seed, tmp_path / "c") != artifact_sha256(first, tmp_path / "a")
