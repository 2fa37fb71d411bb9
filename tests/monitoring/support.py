"""Helpers for monitoring tests: a fixed window and running a job for a window."""

import uuid
from datetime import UTC, datetime, timedelta

from governance.models import ModelVersion
from monitoring.models import JobKind, MonitoringRun, Trigger
from monitoring.runs import monitoring_run_execute, monitoring_runs_request
from monitoring.windows import Window

# A fixed past hour: windows are given explicitly, so no test depends on the clock.
WINDOW_END = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(hours=1)
WINDOW = Window(WINDOW_START, WINDOW_END)


def run_job(kind: JobKind, version: ModelVersion, window: Window = WINDOW) -> MonitoringRun:
    """Request and execute one job for the window, as a command would; the version's run."""
    runs = monitoring_runs_request(
        kind=kind, registered_model=version.registered_model, window=window, trigger=Trigger.COMMAND
    )
    run = next(r for r in runs if r.model_version_id == version.pk)
    return monitoring_run_execute(run_id=run.pk, claimed_by=f"test:{uuid.uuid4().hex}")
