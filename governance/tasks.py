"""Celery tasks of governance's scheduled jobs: thin wrappers over one service each.

Each imports its service inside the function (the services import monitoring, whose
tasks module is loaded by the same autodiscovery)."""

from celery import shared_task

from loanportal.tasks import RetryingTask

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
