"""Reading labelled application files (the Loan Default CSV layout)."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .fields import APPLICATION_FIELDS, CATEGORICAL_FIELDS, CSV_COLUMN_RENAMES, NUMERIC_FIELDS, TARGET


class DatasetError(ValueError):
    """The file is not a usable labelled application file; the message says why."""


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # the 28 application fields plus `Status`
    sha256: str
    path: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_dataset(path: str | Path, *, exact_columns: bool = False, both_classes: bool = True) -> Dataset:
    """Read a CSV in the Loan Default layout; `NA` and empty cells are missing values. The
    application fields and `Status` must be there (the CSV's spelling of a column is
    accepted), numbers in the number columns and 0 or 1 in `Status`; `exact_columns`
    refuses any other column (a labelled file given to a retraining) and `both_classes`
    needs defaults and repayments both. Raises `DatasetError` naming the problem."""
    path = Path(path)
    try:
        frame = pd.read_csv(
            path,
            na_values=["NA", ""],
            keep_default_na=False,
            dtype={name: "string" for name in (*CATEGORICAL_FIELDS, *CSV_COLUMN_RENAMES)},
        ).rename(columns=CSV_COLUMN_RENAMES)
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"{path}: not a readable CSV file ({type(exc).__name__})") from exc
    expected = [*APPLICATION_FIELDS, TARGET]
    missing = [c for c in expected if c not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in expected] if exact_columns else []
    if missing or extra:
        problems = ([f"missing columns {', '.join(missing)}"] if missing else []) + (
            [f"unexpected columns {', '.join(extra)}"] if extra else []
        )
        raise DatasetError(f"{path}: {'; '.join(problems)}")
    frame = frame[expected].copy()
    for name in NUMERIC_FIELDS:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = numbers.isna() & frame[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # the header is line 1
            raise DatasetError(f"{path}: column {name} has a value that is not a number on line {row}")
        frame[name] = numbers.astype("float64")
    status = pd.to_numeric(frame[TARGET], errors="coerce")
    if status.isna().any() or not status.isin([0, 1]).all():
        raise DatasetError(f"{path}: column {TARGET} must be 0 or 1 in every row")
    frame[TARGET] = status.astype("int8")
    if both_classes and frame[TARGET].nunique() < 2:
        raise DatasetError(f"{path}: both classes of {TARGET} are needed")
    return Dataset(frame=frame.reset_index(drop=True), sha256=file_sha256(path), path=str(path))
