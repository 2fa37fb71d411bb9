"""Celery tasks of the monitoring jobs: thin wrappers that take ids and call one service.

Beat (django-celery-beat, schedule in the database and the admin) triggers
`monitoring.runs_schedule` per job kind and `monitoring.retention` (decision-log
retention, `predictions.tasks`); the schedule queues one `monitoring.run_execute` per run.
Every task is safe to run twice (a finished run is not computed again), retries transient
database and broker errors with exponential backoff (`loanportal.tasks`), and has time
limits; when one gives up, a job-failure incident opens, for retention too.

Each task imports its service inside the function: the services queue these tasks, so
importing them here would be a cycle.
"""

import logging
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import Task, shared_task
from celery.signals import task_failure

from governance.tasks import AUDIT_SEAL_TASK
from loanportal.tasks import RetryingTask
from predictions.tasks import RETENTION_TASK

from .models import JobKind, MonitoringRun

logger = logging.getLogger(__name__)


def _record_failure(task: Task, task_id: str | None, exc: BaseException, job: str, run_id: int | None = None) -> None:
    from .incidents import incident_record_job_failure

    try:
        incident_record_job_failure(job=job, error=f"{type(exc).__name__}: {exc}", run_id=run_id)
    except Exception:
        logger.exception("Could not record the failure of task %s (%s)", task.name, task_id)


class MonitoringTask(RetryingTask):
    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """What the job-failure incident is about: `job`, and a `run_id` when there is one."""
        return {"job": self.name.removeprefix("monitoring.")}

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: ExceptionInfo
    ) -> None:
        _record_failure(self, task_id, exc, **self.failed_job(args, kwargs))


class RunTask(MonitoringTask):
    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        run_id: int | None = kwargs.get("run_id", args[0] if args else None)
        kind = (
            MonitoringRun.objects.filter(pk=run_id).values_list("kind", flat=True).first()
            if run_id is not None
            else None
        )
        return {"job": kind or "monitoring", "run_id": run_id}


class ScheduleTask(MonitoringTask):
    def failed_job(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"job": f"{kwargs.get('kind', args[0] if args else 'monitoring')} schedule"}


@shared_task(bind=True, base=RunTask, name="monitoring.run_execute", soft_time_limit=10 * 60, time_limit=11 * 60)
def run_execute(self: Task, run_id: int) -> str:
    from .runs import monitoring_run_execute

    # The task id survives retries and redelivery after a lost worker, so a redelivered
    # message may take over the run its previous delivery left "running".
    return monitoring_run_execute(run_id=run_id, claimed_by=self.request.id or "").status


@shared_task(bind=True, base=ScheduleTask, name="monitoring.runs_schedule", soft_time_limit=60, time_limit=90)
def runs_schedule(self: Task, kind: str, window_hours: int) -> list[int]:
    from .runs import monitoring_runs_schedule

    return monitoring_runs_schedule(kind=JobKind(kind), window_hours=window_hours)


@shared_task(
    bind=True, base=MonitoringTask, name="monitoring.comparison_run", soft_time_limit=10 * 60, time_limit=11 * 60
)
def comparison_run(
    self: Task,
    champion_id: int,
    challenger_id: int,
    start: str,
    end: str,
    requested_by_id: int | None = None,
    request_id: str = "",
) -> int:
    from .comparisons import comparison_execute

    return comparison_execute(
        champion_id=champion_id,
        challenger_id=challenger_id,
        start=start,
        end=end,
        requested_by_id=requested_by_id,
        request_id=request_id,
    )


# Tasks of other apps whose failure opens a job-failure incident, by the job it names.
OTHER_JOBS = {RETENTION_TASK: "retention", AUDIT_SEAL_TASK: "audit seal"}


@shared_task(
    bind=True, base=MonitoringTask, name="monitoring.shadow_score", soft_time_limit=10 * 60, time_limit=11 * 60
)
def shadow_score(self: Task) -> dict[int, int]:
    from .shadow import shadow_scores_schedule

    return shadow_scores_schedule()


@shared_task(
    bind=True, base=MonitoringTask, name="monitoring.shadow_comparisons", soft_time_limit=30 * 60, time_limit=31 * 60
)
def shadow_comparisons(self: Task) -> dict[int, int | None]:
    from .shadow import shadow_comparisons_schedule

    return shadow_comparisons_schedule()


@task_failure.connect
def other_job_failed(
    sender: Task | None = None, task_id: str | None = None, exception: BaseException | None = None, **kwargs: Any
) -> None:
    """Retention belongs to predictions, which owns the decision log, and sealing to
    governance; when their task gives up, monitoring opens the job-failure incident as it
    does for its own jobs."""
    if sender is not None and exception is not None and sender.name in OTHER_JOBS:
        _record_failure(sender, task_id, exception, job=OTHER_JOBS[sender.name])
