"""Labelled decisions for the retraining tests: synthetic applications logged by a version
at times spread over a period, with their outcomes."""

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from governance.ml.demo_data import generate
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES, TARGET
from governance.models import ModelVersion, RegisteredModel, RetrainingPolicy

START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")


def labelled_frame(rows: int, seed: int) -> pd.DataFrame:
    """Applications in the API's field names with their `Status`."""
    return generate(rows, seed=seed).rename(columns=CSV_COLUMN_RENAMES)[[*APPLICATION_FIELDS, TARGET]]


def log_labelled(
    log_decisions: Any, version: ModelVersion, rows: int, *, seed: int, start: datetime = START, days: int = 60
) -> tuple[pd.DataFrame, list[Any]]:
    """`rows` decisions of `version` evenly spread over `days` from `start`, each with its outcome."""
    frame = labelled_frame(rows, seed)
    step = timedelta(days=days) / rows
    times = [start + i * step for i in range(rows)]
    logged = log_decisions(
        version, frame[list(APPLICATION_FIELDS)], at=times, defaulted=frame[TARGET].astype(bool).tolist()
    )
    return frame, logged


def quick_policy(registered_model: RegisteredModel, **overrides: Any) -> RetrainingPolicy:
    """A policy whose search is one LightGBM trial, so a run takes seconds."""
    values = {"search_trials": 1, "search_seconds": 120.0, "min_labelled_rows": 500, **overrides}
    policy, _ = RetrainingPolicy.objects.update_or_create(registered_model=registered_model, defaults=values)
    return policy
