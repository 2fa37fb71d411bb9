"""The Celery task that seals the audit, which beat runs every 5 minutes.

Safe to run twice and at once (the seal locks each kind's chain). When it gives up
(after its retries of transient errors, or at once for a missing signing key), monitoring
opens a job-failure incident (`monitoring.tasks`).
"""

from celery import Task, shared_task

from loanportal.tasks import RetryingTask

AUDIT_SEAL_TASK = "governance.audit_seal"


@shared_task(bind=True, base=RetryingTask, name=AUDIT_SEAL_TASK, soft_time_limit=4 * 60, time_limit=5 * 60)
def audit_seal(self: Task) -> int:
    from .sealing.services import audit_seal

    return audit_seal().records()
