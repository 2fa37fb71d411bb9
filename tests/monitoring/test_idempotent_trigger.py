"""Triggering the same window twice, one after the other or at the same moment, computes it once."""

import threading
import uuid

import pytest
from django.db import connection

from monitoring.models import DriftResult, Incident, JobKind, MonitoringRun, Trigger
from monitoring.runs import monitoring_run_execute, monitoring_runs_request, monitoring_runs_schedule
from tests.support import applications

from .support import WINDOW, WINDOW_END, WINDOW_START, run_job


def drifted_window(version, log_decisions):
    frame = applications(1000, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(version, frame, at=WINDOW_START)


@pytest.mark.django_db
def test_a_second_trigger_of_the_same_window_is_a_no_op(production_version, log_decisions):
    drifted_window(production_version, log_decisions)
    first = run_job(JobKind.DRIFT, production_version)
    second = run_job(JobKind.DRIFT, production_version)

    assert second.pk == first.pk
    assert MonitoringRun.objects.count() == 1
    assert DriftResult.objects.count() == 29
    assert Incident.objects.get().occurrences == 1
    assert MonitoringRun.objects.get().attempts == 1


@pytest.mark.django_db
def test_two_scheduled_triggers_in_the_same_hour_request_one_run(production_version):
    now = WINDOW_END.replace(minute=5)
    first = monitoring_runs_schedule(kind=JobKind.DRIFT, window_hours=1, now=now)
    second = monitoring_runs_schedule(kind=JobKind.DRIFT, window_hours=1, now=now.replace(minute=6))
    assert first == second
    run = MonitoringRun.objects.get()
    assert (run.window_start, run.window_end, run.trigger) == (WINDOW_START, WINDOW_END, Trigger.SCHEDULE)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_triggers_at_the_same_moment_compute_the_window_once(production_version, log_decisions):
    drifted_window(production_version, log_decisions)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def trigger() -> None:
        try:
            barrier.wait()
            runs = monitoring_runs_request(
                kind=JobKind.DRIFT,
                registered_model=production_version.registered_model,
                window=WINDOW,
                trigger=Trigger.SCHEDULE,
            )
            for run in runs:
                monitoring_run_execute(run_id=run.pk, claimed_by=uuid.uuid4().hex)
        except BaseException as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    run = MonitoringRun.objects.get()
    assert run.status == "completed"
    assert DriftResult.objects.filter(run=run).count() == 29
    assert Incident.objects.get().occurrences == 1
