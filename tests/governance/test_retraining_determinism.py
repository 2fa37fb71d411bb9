"""The same data, seed and budget give the same candidate artifact, byte for byte: searched
on every training row, and on a sample of them (the winner then fitted on all)."""

from datetime import timedelta

import pytest

from governance.ml.artifact import write_artifact
from governance.ml.fields import APPLICATION_FIELDS, TARGET
from governance.ml.search import DEFAULT_ROWS, SearchBudget
from governance.ml.training import train
from governance.retraining.data import DecisionColumns, assemble
from tests.governance.retraining_support import START, labelled_frame


def candidate_sha256(demo_dataset, directory, rows):
    frame = labelled_frame(1200, seed=31)
    columns = DecisionColumns(fields=list(APPLICATION_FIELDS))
    records = frame[list(APPLICATION_FIELDS)].astype(object).where(frame.notna(), None).to_dict("records")
    columns.add(
        (r, START + timedelta(hours=i), bool(y)) for i, (r, y) in enumerate(zip(records, frame[TARGET], strict=True))
    )
    table = assemble(
        decisions=columns,
        parent_fields=list(APPLICATION_FIELDS),
        file=demo_dataset,
        file_note="",
        out_of_time_share=0.2,
        min_labelled_rows=100,
        seed=42,
    )
    result = train(
        table.dataset,
        seed=42,
        search=SearchBudget(trials=2, seconds=3600, rows=rows),
        holdout=table.holdout,
        protected_attributes=["Gender", "age"],
        min_auc=0.75,
        fairness_min_group_size=100,
    )
    assert result.experiment["search"]["stopped"].startswith("all 2")
    assert result.search.sampled == (rows < len(result.search.split.train_rows))
    return table.dataset.sha256, write_artifact(directory, "loan-default", result.document)[1]


@pytest.mark.parametrize("rows", [DEFAULT_ROWS, 3_000], ids=["every-row", "sampled"])
def test_the_same_data_seed_and_budget_give_the_same_artifact(demo_dataset, tmp_path, rows):
    first = candidate_sha256(demo_dataset, tmp_path / "a", rows)
    second = candidate_sha256(demo_dataset, tmp_path / "b", rows)
    assert first == second
    assert (tmp_path / "a" / "loan-default" / f"{first[1]}.json").read_bytes() == (
        tmp_path / "b" / "loan-default" / f"{second[1]}.json"
    ).read_bytes()
