"""Celery tasks of the retraining loop: thin wrappers that take ids and call one service.

Beat runs `governance.retraining_triggers` daily ("Governance: retraining triggers,
daily"); a run that starts is queued as `governance.retraining_execute`, which is safe to
run twice (only a pending run is executed). Each task imports its service inside the
function: the service queues these tasks.
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
