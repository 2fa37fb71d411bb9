"""Reading labelled application files (the Loan Default CSV layout)."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

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


def load_dataset(path: str | Path) -> Dataset:
    """Read a CSV in the Loan Default layout; `NA` and empty cells are missing values."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    frame = pd.read_csv(
        path,
        na_values=["NA", ""],
        keep_default_na=False,
        dtype={name: "string" for name in (*CATEGORICAL_FIELDS, *CSV_COLUMN_RENAMES)},
    ).rename(columns=CSV_COLUMN_RENAMES)
    missing = [c for c in (*APPLICATION_FIELDS, TARGET) if c not in frame.columns]
    if missing:
        raise DatasetError(f"{path}: missing columns {', '.join(missing)}")
    frame = frame[[*APPLICATION_FIELDS, TARGET]].copy()
    for name in NUMERIC_FIELDS:
        frame[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
    if frame[TARGET].isna().any() or not frame[TARGET].isin([0, 1]).all():
        raise DatasetError(f"{path}: column {TARGET} must be 0 or 1 in every row")
    frame[TARGET] = frame[TARGET].astype("int8")
    if frame[TARGET].nunique() < 2:
        raise DatasetError(f"{path}: both classes of {TARGET} are needed")
    return Dataset(frame=frame.reset_index(drop=True), sha256=file_sha256(path), path=str(path))
