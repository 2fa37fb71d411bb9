"""Celery tasks of the monitoring jobs: thin wrappers that take ids and call one service.

Beat (django-celery-beat, schedule in the database and the admin) triggers
`monitoring.runs_schedule` per job kind and `monitoring.retention`; the schedule
dispatches one `monitoring.run_execute` per run. Every task is safe to run twice (a
finished run is not computed again), retries transient database and broker errors with
exponential backoff, and has time limits; when one gives up, a job-failure incident opens.
"""

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError

from .models import JobKind, MonitoringRun
from .services import (
    decision_log_retention_apply,
    incident_record_job_failure,
    monitoring_run_execute,
    monitoring_runs_schedule,
)

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)


class MonitoringTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 30  # seconds: 30, 60, 120, ... with jitter
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """What the job-failure incident is about: `job`, and a `run_id` when there is one."""
        return {"job": self.name.removeprefix("monitoring.")}

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
    ) -> None:
        try:
            incident_record_job_failure(error=f"{type(exc).__name__}: {exc}", **self.failed_job(args, kwargs))
        except Exception:
            logger.exception("Could not record the failure of task %s (%s)", self.name, task_id)


class RunTask(MonitoringTask):
    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        run_id = kwargs.get("run_id", args[0] if args else None)
        kind = MonitoringRun.objects.filter(pk=run_id).values_list("kind", flat=True).first()
        return {"job": kind or "monitoring", "run_id": run_id}


class ScheduleTask(MonitoringTask):
    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"job": f"{kwargs.get('kind', args[0] if args else 'monitoring')} schedule"}


@shared_task(bind=True, base=RunTask, name="monitoring.run_execute", soft_time_limit=10 * 60, time_limit=11 * 60)
def run_execute(self: Task, run_id: int) -> str:
    # The task id survives retries and redelivery after a lost worker, so a redelivered
    # message may take over the run its previous delivery left "running".
    return monitoring_run_execute(run_id=run_id, claimed_by=self.request.id or "").status


@shared_task(bind=True, base=ScheduleTask, name="monitoring.runs_schedule", soft_time_limit=60, time_limit=90)
def runs_schedule(self: Task, kind: str, window_hours: int) -> list[int]:
    run_ids = monitoring_runs_schedule(kind=JobKind(kind), window_hours=window_hours)
    runs_enqueue(run_ids)
    return run_ids


@shared_task(bind=True, base=MonitoringTask, name="monitoring.retention", soft_time_limit=10 * 60, time_limit=11 * 60)
def retention_apply(self: Task) -> int:
    return decision_log_retention_apply().details["decisions_cleared"]


def _send(run_id: int) -> None:
    try:
        run_execute.delay(run_id)
    except BrokerError:
        # The run stays pending; the next scheduled dispatch picks up unfinished runs.
        logger.exception("Could not queue monitoring run %s", run_id)


def runs_enqueue(run_ids: Iterable[int]) -> None:
    """Queue each run for execution once the current transaction commits."""
    for run_id in run_ids:
        transaction.on_commit(partial(_send, run_id))
