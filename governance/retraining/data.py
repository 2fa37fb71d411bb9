"""Assembling a retraining table: labelled decisions plus the parent's training file.

Pure: chunks of decisions and a data frame in, one table, its out-of-time holdout and a
summary out; no Django. `sources` reads the decision log; `service` runs it.

* Decisions arrive in decision-time order as `(inputs, decided_at, defaulted)` rows. Their
  categorical values are interned, so the half a million rows of the benchmark hold one
  string object per distinct value, not one per cell.
* The holdout is out of time: the most recent `out_of_time_share` of the decisions, and a
  stratified `out_of_time_share` of the file's rows (the file has no decision times).
* The table's SHA-256 is over a canonical form (`table_sha256`), so the same rows give the
  same fingerprint whichever database or file they came from.
"""

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..ml.dataset import Dataset, load_dataset
from ..ml.fields import APPLICATION_FIELDS, NUMERIC_FIELDS, TARGET

DecisionRow = tuple[dict[str, Any] | None, datetime, bool]


class RetrainingDataError(ValueError):
    """The data cannot train a candidate; the message says why, for the run's failure."""


@dataclass
class DecisionColumns:
    """Labelled decisions collected column by column as chunks arrive."""

    fields: Sequence[str]
    values: dict[str, list[Any]] = field(default_factory=dict)
    decided_at: list[datetime] = field(default_factory=list)
    defaulted: list[int] = field(default_factory=list)
    present: dict[str, int] = field(default_factory=dict)
    inputs_removed: int = 0
    _interned: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = {name: [] for name in self.fields}
        self.present = dict.fromkeys(self.fields, 0)

    def add(self, rows: Iterable[DecisionRow]) -> None:
        # Column by column over the chunk, not field by field in a loop per row: the loops
        # then run in list comprehensions and C, several times faster on half a million rows.
        intern = self._interned.setdefault
        chunk = list(rows)
        kept = [row for row in chunk if row[0] is not None]
        self.inputs_removed += len(chunk) - len(kept)
        inputs = [row[0] for row in kept if row[0] is not None]  # all of them; said again for the types
        for name in self.fields:
            self.present[name] += sum(map(dict.__contains__, inputs, repeat(name)))
            values = [i.get(name) for i in inputs]
            if name not in NUMERIC_FIELDS:
                values = [intern(v, v) if isinstance(v, str) else v for v in values]
            self.values[name].extend(values)
        self.decided_at.extend(row[1] for row in kept)
        self.defaulted.extend(int(row[2]) for row in kept)

    @property
    def rows(self) -> int:
        return len(self.defaulted)

    def frame(self) -> pd.DataFrame:
        """The decisions as a frame in the layout of `load_dataset` (string categories,
        float64 numbers, int8 `Status`). A number field that holds no number (the log's
        inputs are validated, so only a schema change makes one) is a schema error."""
        columns: dict[str, Any] = {}
        for name in APPLICATION_FIELDS:
            raw = self.values.get(name, [None] * self.rows)
            if name in NUMERIC_FIELDS:
                try:
                    columns[name] = np.array(raw, dtype=np.float64)  # None becomes NaN
                except (TypeError, ValueError) as exc:
                    raise RetrainingDataError(
                        f"The decision log's {name} values are not all numbers, as the parent's schema needs."
                    ) from exc
            else:
                columns[name] = pd.array(np.array(raw, dtype=object), dtype="string")
        columns[TARGET] = np.array(self.defaulted, dtype=np.int8)
        return pd.DataFrame(columns)


@dataclass(frozen=True)
class AssembledTable:
    """The training table of a run: decisions first (oldest first), then the file's rows;
    `holdout` marks the out-of-time holdout, `decision_rows` how many rows came from the log."""

    dataset: Dataset
    holdout: np.ndarray
    decision_rows: int
    summary: dict[str, Any]

    @property
    def out_of_time_rows(self) -> np.ndarray:
        """The holdout's decision rows only: later than anything either model trained on."""
        rows = np.flatnonzero(self.holdout)
        return rows[rows < self.decision_rows]


def missing_schema_fields(columns: DecisionColumns, parent_fields: Sequence[str]) -> list[str]:
    """Parent fields that no labelled decision's inputs hold at all."""
    return [name for name in parent_fields if columns.rows and columns.present.get(name, 0) == 0]


def assemble(
    *,
    decisions: DecisionColumns,
    parent_fields: Sequence[str],
    file: Dataset | None,
    file_note: str,
    out_of_time_share: float,
    min_labelled_rows: int,
    seed: int,
) -> AssembledTable:
    """One table from the labelled decisions and (when given) the parent's file; raise
    `RetrainingDataError` for too few rows, a single class or a schema the parent's
    fields cannot fill."""
    unknown = [name for name in parent_fields if name not in APPLICATION_FIELDS]
    missing = unknown + missing_schema_fields(decisions, [n for n in parent_fields if n not in unknown])
    if missing:
        raise RetrainingDataError(
            f"The labelled data cannot fill the parent version's fields {', '.join(missing)}: "
            "no labelled decision holds them."
        )
    decision_frame = decisions.frame()
    parts = [decision_frame] + ([file.frame[[*APPLICATION_FIELDS, TARGET]]] if file is not None else [])
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else decision_frame
    n_decisions, n_rows = len(decision_frame), len(frame)
    if n_rows < min_labelled_rows:
        raise RetrainingDataError(
            f"Only {n_rows} labelled rows ({n_decisions} decisions with outcomes, "
            f"{n_rows - n_decisions} from the training file); the policy needs at least {min_labelled_rows}."
        )
    y = frame[TARGET].to_numpy()
    if len(np.unique(y)) < 2:
        raise RetrainingDataError(
            f"All {n_rows} labelled rows have {TARGET} = {int(y[0])}: a model needs both defaults and repayments."
        )
    holdout = np.zeros(n_rows, dtype=bool)
    n_oot = math.ceil(n_decisions * out_of_time_share)
    holdout[n_decisions - n_oot : n_decisions] = True
    if file is not None and n_rows > n_decisions:
        file_y = y[n_decisions:]
        _, held = train_test_split(
            np.arange(n_decisions, n_rows), test_size=out_of_time_share, stratify=file_y, random_state=seed
        )
        holdout[held] = True
    for part, rows in (("out-of-time holdout", holdout), ("training part", ~holdout)):
        if len(np.unique(y[rows])) < 2:
            raise RetrainingDataError(
                f"The {part} ({int(rows.sum())} rows) has a single class: both defaults and repayments are needed."
            )
    sha256 = table_sha256(frame)
    times = decisions.decided_at
    summary = {
        "rows": n_rows,
        "sources": {
            "decisions": {
                "rows": n_decisions,
                "inputs_removed_by_retention": decisions.inputs_removed,
                "first_decided_at": times[0].isoformat() if times else None,
                "last_decided_at": times[-1].isoformat() if times else None,
                "out_of_time_rows": int(n_oot),
                "out_of_time_from": times[n_decisions - n_oot].isoformat() if n_oot else None,
            },
            "training_file": {
                "included": file is not None,
                "rows": n_rows - n_decisions,
                "holdout_rows": int(holdout[n_decisions:].sum()),
                "note": file_note,
                **({"sha256": file.sha256} if file is not None else {}),
            },
        },
        "class_balance": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
        "holdout_class_balance": {"0": int((y[holdout] == 0).sum()), "1": int((y[holdout] == 1).sum())},
        "out_of_time_share": out_of_time_share,
        "holdout_rows": int(holdout.sum()),
        "table_sha256": sha256,
        "canonical_form": CANONICAL_FORM,
    }
    return AssembledTable(
        dataset=Dataset(frame=frame, sha256=sha256, path=f"retraining-table-{sha256[:12]}"),
        holdout=holdout,
        decision_rows=n_decisions,
        summary=summary,
    )


CANONICAL_FORM = (
    "per column in the order of the application fields then Status: the name and a newline; numbers as "
    "IEEE-754 float64 little-endian, missing as the canonical NaN; categories as UTF-8 values each ended by "
    "0x1F, missing as 0x00 0x1F; Status as one byte per row"
)


def table_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the table in the canonical form `CANONICAL_FORM`: independent of
    pandas' dtypes, of the row index and of where the rows were read from."""
    digest = hashlib.sha256()
    for name in (*APPLICATION_FIELDS, TARGET):
        digest.update(name.encode() + b"\n")
        column = frame[name]
        if name == TARGET:
            digest.update(column.to_numpy(dtype=np.uint8).tobytes())
        elif name in NUMERIC_FIELDS:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan).copy()
            values[np.isnan(values)] = np.nan
            digest.update(values.astype("<f8").tobytes())
        else:
            # One join of the whole column, which encodes to the same bytes as value by value.
            values = column.to_numpy(dtype=object, na_value="\x00")
            digest.update(("\x1f".join(map(str, values)) + "\x1f").encode() if len(values) else b"")
    return digest.hexdigest()


def read_labelled_file(path: str | Path) -> Dataset:
    """A labelled CSV given to a manual run: exactly the application fields and `Status`.
    One class alone is not refused here: the assembled table is judged as a whole."""
    return load_dataset(path, exact_columns=True, both_classes=False)
