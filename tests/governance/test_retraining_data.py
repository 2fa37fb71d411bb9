"""Assembling a retraining table: out-of-time holdout, sources, canonical fingerprint,
and the data that cannot train a candidate. No database."""

import hashlib
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from governance.ml.dataset import Dataset, DatasetError
from governance.ml.fields import APPLICATION_FIELDS, NUMERIC_FIELDS, TARGET
from governance.retraining.data import (
    DecisionColumns,
    RetrainingDataError,
    assemble,
    read_labelled_file,
    table_sha256,
)
from tests.governance.retraining_support import START, labelled_frame

FIELDS = list(APPLICATION_FIELDS)


def decision_columns(frame: pd.DataFrame, *, removed: int = 0) -> DecisionColumns:
    columns = DecisionColumns(fields=FIELDS)
    records = frame[FIELDS].astype(object).where(frame[FIELDS].notna(), None).to_dict("records")
    rows = [
        (record, START + timedelta(hours=i), bool(y))
        for i, (record, y) in enumerate(zip(records, frame[TARGET], strict=True))
    ]
    rows[1:1] = [(None, START, True)] * removed  # retention-cleared decisions
    columns.add(rows)
    return columns


def build(decisions: pd.DataFrame, file: Dataset | None, **overrides):
    values = {"out_of_time_share": 0.2, "min_labelled_rows": 100, "seed": 3, "file_note": "given", **overrides}
    return assemble(decisions=decision_columns(decisions), parent_fields=FIELDS, file=file, **values)


def test_the_holdout_is_the_most_recent_share_of_decisions_and_a_stratified_share_of_the_file(demo_dataset):
    decisions = labelled_frame(1000, seed=5)
    table = build(decisions, demo_dataset)
    holdout = table.holdout
    assert table.decision_rows == 1000
    assert holdout[:800].sum() == 0 and holdout[800:1000].all()  # decisions arrive oldest first
    file_y = demo_dataset.frame[TARGET].to_numpy()
    file_holdout = holdout[1000:]
    assert file_holdout.sum() == round(len(file_y) * 0.2)
    assert abs(file_y[file_holdout].mean() - file_y.mean()) < 1 / file_holdout.sum() + 1e-9
    assert list(table.out_of_time_rows) == list(range(800, 1000))
    summary = table.summary
    assert summary["sources"]["decisions"]["rows"] == 1000
    assert summary["sources"]["decisions"]["out_of_time_rows"] == 200
    assert summary["sources"]["decisions"]["out_of_time_from"] == (START + timedelta(hours=800)).isoformat()
    assert summary["sources"]["training_file"] == {
        "included": True,
        "rows": len(file_y),
        "holdout_rows": int(file_holdout.sum()),
        "note": "given",
        "sha256": demo_dataset.sha256,
    }
    y = np.concatenate([decisions[TARGET].to_numpy(), file_y])
    assert summary["class_balance"] == {"0": int((y == 0).sum()), "1": int((y == 1).sum())}
    assert summary["table_sha256"] == table.dataset.sha256 == table_sha256(table.dataset.frame)


def test_retention_cleared_decisions_are_counted_and_left_out():
    columns = decision_columns(labelled_frame(300, seed=1), removed=7)
    assert (columns.rows, columns.inputs_removed) == (300, 7)
    table = assemble(
        decisions=columns,
        parent_fields=FIELDS,
        file=None,
        file_note="none",
        out_of_time_share=0.2,
        min_labelled_rows=100,
        seed=1,
    )
    assert table.summary["sources"]["decisions"]["inputs_removed_by_retention"] == 7
    assert table.summary["sources"]["training_file"]["included"] is False
    assert len(table.dataset.frame) == 300


def _canonical_by_hand(frame: pd.DataFrame) -> str:
    """The canonical form written out cell by cell, independently of `table_sha256`."""
    digest = hashlib.sha256()
    for name in (*APPLICATION_FIELDS, TARGET):
        digest.update(name.encode() + b"\n")
        for value in frame[name].tolist():
            missing = value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
            if name == TARGET:
                digest.update(bytes([int(value)]))
            elif name in NUMERIC_FIELDS:
                digest.update(np.float64(np.nan if missing else value).tobytes())
            else:
                digest.update(b"\x00\x1f" if missing else str(value).encode() + b"\x1f")
    return digest.hexdigest()


def test_the_table_fingerprint_is_its_canonical_form_whatever_the_dtypes(demo_dataset):
    frame = demo_dataset.frame.head(50)
    assert table_sha256(frame) == _canonical_by_hand(frame)
    as_categories = frame.astype({name: "category" for name in APPLICATION_FIELDS if name not in NUMERIC_FIELDS})
    assert table_sha256(as_categories.set_index(np.arange(100, 150))) == table_sha256(frame)
    changed = frame.copy()
    changed.loc[changed.index[3], "income"] = (changed["income"].iloc[3] or 0) + 1
    assert table_sha256(changed) != table_sha256(frame)


def test_too_few_labelled_rows_fail_with_a_sentence():
    with pytest.raises(RetrainingDataError, match="Only 300 labelled rows .*needs at least 2000"):
        build(labelled_frame(300, seed=2), None, min_labelled_rows=2000)


def test_a_single_class_fails_with_a_sentence():
    frame = labelled_frame(300, seed=2).assign(Status=0)
    with pytest.raises(RetrainingDataError, match="All 300 labelled rows have Status = 0"):
        build(frame, None)


def test_a_schema_the_parent_fields_cannot_fill_fails_with_a_sentence():
    columns = DecisionColumns(fields=FIELDS)
    frame = labelled_frame(300, seed=2)
    records = frame[FIELDS].drop(columns=["Credit_Score"]).astype(object).to_dict("records")
    columns.add((r, START, bool(y)) for r, y in zip(records, frame[TARGET], strict=True))
    with pytest.raises(RetrainingDataError, match="cannot fill the parent version's fields Credit_Score"):
        assemble(
            decisions=columns,
            parent_fields=FIELDS,
            file=None,
            file_note="",
            out_of_time_share=0.2,
            min_labelled_rows=100,
            seed=1,
        )
    with pytest.raises(RetrainingDataError, match="cannot fill the parent version's fields shoe_size"):
        assemble(
            decisions=decision_columns(frame),
            parent_fields=[*FIELDS, "shoe_size"],
            file=None,
            file_note="",
            out_of_time_share=0.2,
            min_labelled_rows=100,
            seed=1,
        )


@pytest.fixture
def good_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    labelled_frame(200, seed=4).to_csv(path, index=False)
    return path


def test_a_labelled_file_with_the_application_fields_reads(good_csv):
    dataset = read_labelled_file(good_csv)
    assert list(dataset.frame.columns) == [*APPLICATION_FIELDS, TARGET]
    assert len(dataset.frame) == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["income"]), "missing columns income"),
        (lambda f: f.assign(rate_of_interest=3.5), "unexpected columns rate_of_interest"),
        (lambda f: f.astype({"LTV": object}).assign(LTV=["high"] + [1.0] * (len(f) - 1)), "column LTV .*line 2"),
        (lambda f: f.assign(Status=2), "Status must be 0 or 1"),
    ],
    ids=["missing column", "extra column", "non-numeric value", "bad label"],
)
def test_a_labelled_file_that_does_not_fit_is_refused_naming_the_problem(tmp_path, change, message):
    path = tmp_path / "bad.csv"
    change(labelled_frame(50, seed=4)).to_csv(path, index=False)
    with pytest.raises(DatasetError, match=message):
        read_labelled_file(path)


def test_an_unreadable_or_absent_file_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="not a readable CSV file"):
        read_labelled_file(tmp_path)  # a directory
    with pytest.raises(DatasetError, match="no such file"):
        read_labelled_file(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 100)
    with pytest.raises(DatasetError, match="not a readable CSV file"):
        read_labelled_file(binary)
