"""The Celery task of decision-log retention, which beat runs daily.

Its name keeps the `monitoring.` prefix it was stored under in the beat schedule
(django-celery-beat's PeriodicTask rows name tasks by string). When it gives up after its
retries, monitoring opens a job-failure incident (`monitoring.tasks`).
"""

from celery import Task, shared_task

from loanportal.tasks import RetryingTask

RETENTION_TASK = "monitoring.retention"


@shared_task(bind=True, base=RetryingTask, name=RETENTION_TASK, soft_time_limit=10 * 60, time_limit=11 * 60)
def retention_apply(self: Task) -> int:
    from .services import decision_log_retention_apply

    return decision_log_retention_apply().details["decisions_cleared"]
