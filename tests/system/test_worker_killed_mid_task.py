"""A Celery worker killed in the middle of a monitoring run: the broker hands the task to
the next worker (late acknowledgement), which takes over the run its predecessor left
"running" and stores one result, not two."""

import time
from typing import Any

import psycopg2
import pytest
from django.db import connection

from monitoring.models import DriftResult, Incident, JobKind, MonitoringRun, RunStatus, Trigger
from monitoring.runs import monitoring_runs_request
from monitoring.tasks import run_execute
from predictions.models import DecisionLog
from tests.monitoring.support import WINDOW, WINDOW_START
from tests.support import applications

from .support import Portal, wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

# Redis gives an unacknowledged task to another worker this long after delivering it.
VISIBILITY_TIMEOUT = 2


def waiting_on_decision_log() -> bool:
    """Whether some other session waits for a lock on the decision log."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
            [DecisionLog._meta.db_table],
        )
        return cursor.fetchone()[0] > 0


def test_a_run_whose_worker_was_killed_mid_task_is_finished_once_by_the_next_worker(
    portal: Portal, production_version: Any, log_decisions: Any
) -> None:
    frame = applications(1000, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10  # drifted: one incident expected
    log_decisions(production_version, frame, at=WINDOW_START)
    [run] = monitoring_runs_request(
        kind=JobKind.DRIFT,
        registered_model=production_version.registered_model,
        window=WINDOW,
        trigger=Trigger.SCHEDULE,
    )
    worker = portal.start_worker(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))

    # Another session holds the decision log: the worker claims the run (committed, so the
    # run reads "running"), then waits on the lock reading the window. That is mid-task.
    settings = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    try:
        with blocker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {DecisionLog._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        task_id = run_execute.delay(run.pk).id
        wait_for(
            lambda: (
                MonitoringRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).exists() and waiting_on_decision_log()
            ),
            timeout=15,
            what="the worker claiming the run and waiting on the decision log",
            log=worker,
        )
        delivered_by = time.monotonic()
        claimed = MonitoringRun.objects.get(pk=run.pk)
        assert (claimed.attempts, claimed.claimed_by) == (1, task_id)

        worker.kill()
        worker.popen.wait(timeout=10)
        killed = time.monotonic()
    finally:
        blocker.rollback()
        blocker.close()

    # The next worker starts once the message is due back (Redis restores due messages when
    # a worker starts polling, and otherwise only every 100 s).
    time.sleep(max(0.0, delivered_by + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    successor = portal.start_worker(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    wait_for(
        lambda: MonitoringRun.objects.filter(pk=run.pk, status=RunStatus.COMPLETED).exists(),
        timeout=20,
        what="the redelivered task finishing the run",
        log=successor,
    )
    print(f"\nrun finished {time.monotonic() - killed:.1f} s after its worker was killed")

    finished = MonitoringRun.objects.get()
    assert finished.pk == run.pk
    assert (finished.attempts, finished.claimed_by) == (2, task_id)
    assert DriftResult.objects.count() == DriftResult.objects.filter(run=finished).count() == 29
    incident = Incident.objects.get()
    assert incident.occurrences == 1
