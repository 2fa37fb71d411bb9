"""Helpers for monitoring tests: demo applications and running a job for a window."""

import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd

from governance.ml.demo_data import generate
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES
from governance.models import ModelVersion
from monitoring.models import JobKind, MonitoringRun, Trigger
from monitoring.services import monitoring_run_execute, monitoring_runs_request

# A fixed past hour: windows are given explicitly, so no test depends on the clock.
WINDOW_END = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(hours=1)


def applications(rows: int, seed: int) -> pd.DataFrame:
    """Synthetic applications as the API receives them (public field names, no outcome)."""
    return generate(rows, seed=seed).rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)]


def run_job(
    kind: JobKind, version: ModelVersion, window_start: datetime = WINDOW_START, window_end: datetime = WINDOW_END
) -> MonitoringRun:
    """Request and execute one job for the window, as a command would; the version's run."""
    runs = monitoring_runs_request(
        kind=kind,
        registered_model=version.registered_model,
        window_start=window_start,
        window_end=window_end,
        trigger=Trigger.COMMAND,
    )
    run = next(r for r in runs if r.model_version_id == version.pk)
    return monitoring_run_execute(run_id=run.pk, claimed_by=f"test:{uuid.uuid4().hex}")
