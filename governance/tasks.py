"""Celery tasks of governance: thin wrappers that take ids and call one service. Each task
imports its service inside the function: the service queues these tasks.

Retraining: beat runs `governance.retraining_triggers` daily ("Governance: retraining
triggers, daily"); a run that starts is queued as `governance.retraining_execute`, which is
safe to run twice (only a pending run is executed).

Audit seal: beat runs `governance.audit_seal` every 5 minutes ("Audit: seal, every 5
minutes"). Safe to run twice and at once (the seal locks each kind's chain). When it gives
up (after its retries of transient errors, or at once for a missing signing key),
monitoring opens a job-failure incident (`monitoring.tasks`).

Reviews and reports: beat runs `governance.review_due_dates` daily ("Governance: review due
dates") and `governance.monitoring_reports` on the 1st of each month.
"""

from typing import Any

from celery import Task, shared_task

from loanportal.tasks import RetryingTask


@shared_task(
    bind=True, base=RetryingTask, name="governance.retraining_triggers", soft_time_limit=5 * 60, time_limit=6 * 60
)
def retraining_triggers(self: Task) -> list[dict[str, Any]]:
    from .retraining.service import retraining_triggers_run

    return retraining_triggers_run()


# A run searches within its policy's seconds, then fits and scores the winner: a quarter
# of an hour bounds the largest logs the benchmark sizes.
@shared_task(
    bind=True, base=RetryingTask, name="governance.retraining_execute", soft_time_limit=14 * 60, time_limit=15 * 60
)
def retraining_execute(self: Task, run_id: int) -> str:
    from .retraining.service import retraining_run_execute

    return str(retraining_run_execute(run_id=run_id).state)


AUDIT_SEAL_TASK = "governance.audit_seal"


@shared_task(bind=True, base=RetryingTask, name=AUDIT_SEAL_TASK, soft_time_limit=4 * 60, time_limit=5 * 60)
def audit_seal(self: Task) -> int:
    from .sealing.services import audit_seal

    return audit_seal().records()


REVIEW_DUE_TASK = "governance.review_due_dates"
MONITORING_REPORTS_TASK = "governance.monitoring_reports"


@shared_task(base=RetryingTask, name=REVIEW_DUE_TASK, soft_time_limit=5 * 60, time_limit=6 * 60)
def review_due_dates() -> list[int]:
    """Open or escalate the `review_due` incidents; safe to run twice (dedup)."""
    from .reviews import review_due_incidents_raise

    return [incident.pk for incident in review_due_incidents_raise()]


@shared_task(base=RetryingTask, name=MONITORING_REPORTS_TASK, soft_time_limit=30 * 60, time_limit=31 * 60)
def monitoring_reports() -> list[int]:
    """Last month's monitoring reports; safe to run twice (a report is stored once)."""
    from .reports.services import monitoring_reports_generate

    return [report.pk for report in monitoring_reports_generate()]
