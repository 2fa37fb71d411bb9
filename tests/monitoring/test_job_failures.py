"""Jobs retry transient errors; a job that gives up opens a job-failure incident."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from monitoring.jobs import JOBS
from monitoring.models import Incident, JobKind, MonitoringRun, RunStatus, Trigger
from monitoring.runs import RUN_STALE_AFTER, monitoring_runs_request, monitoring_runs_schedule
from monitoring.tasks import run_execute, runs_schedule
from tests.support import applications

from .support import WINDOW, WINDOW_START

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_run(production_version, log_decisions):
    log_decisions(production_version, applications(600, seed=11), at=WINDOW_START)
    (run,) = monitoring_runs_request(
        kind=JobKind.DRIFT,
        registered_model=production_version.registered_model,
        window=WINDOW,
        trigger=Trigger.SCHEDULE,
    )
    return run


def failing(monkeypatch, error: Exception, times: int) -> list[int]:
    """Make the drift computation raise `error` on its first `times` calls."""
    calls: list[int] = []
    real = JOBS[JobKind.DRIFT].compute

    def compute(run, policy):
        calls.append(run.pk)
        if len(calls) <= times:
            raise error
        return real(run, policy)

    monkeypatch.setitem(JOBS, JobKind.DRIFT, replace(JOBS[JobKind.DRIFT], compute=compute))
    return calls


def test_a_transient_database_error_is_retried_and_the_run_completes(pending_run, monkeypatch):
    calls = failing(monkeypatch, OperationalError("server closed the connection unexpectedly"), times=1)
    result = run_execute.apply(args=[pending_run.pk])
    assert result.successful()
    run = MonitoringRun.objects.get()
    assert (run.status, run.attempts, run.error) == (RunStatus.COMPLETED, 2, "")
    assert len(calls) == 2
    assert not Incident.objects.exists()


def test_a_job_that_keeps_failing_transiently_gives_up_with_a_job_failure_incident(pending_run, monkeypatch):
    calls = failing(monkeypatch, OperationalError("could not connect to server"), times=99)
    result = run_execute.apply(args=[pending_run.pk])
    assert result.failed()
    assert len(calls) == 1 + run_execute.max_retries
    run = MonitoringRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "could not connect to server" in run.error
    incident = Incident.objects.get()
    assert (incident.kind, incident.subject, incident.severity) == ("job_failure", "drift", "P2")
    assert incident.model_version == pending_run.model_version
    assert incident.metric_snapshot["run_id"] == run.pk


def test_a_bug_is_not_retried_and_opens_a_job_failure_incident_at_once(pending_run, monkeypatch):
    calls = failing(monkeypatch, KeyError("Credit_Score"), times=99)
    assert run_execute.apply(args=[pending_run.pk]).failed()
    assert len(calls) == 1
    assert MonitoringRun.objects.get().status == RunStatus.FAILED
    assert Incident.objects.get().kind == "job_failure"


def test_the_task_is_configured_for_production(pending_run):
    assert run_execute.acks_late or run_execute.app.conf.task_acks_late
    assert (run_execute.soft_time_limit, run_execute.time_limit) == (600, 660)
    assert run_execute.time_limit < RUN_STALE_AFTER.total_seconds()
    assert run_execute.retry_backoff and run_execute.max_retries == 5


def test_the_next_schedule_picks_up_a_run_whose_worker_died(pending_run):
    # The run was claimed by a worker that was killed at its hard time limit: still "running".
    now = timezone.now()
    MonitoringRun.objects.filter(pk=pending_run.pk).update(
        status=RunStatus.RUNNING, claimed_by="lost-worker", started_at=now - timedelta(minutes=30)
    )
    run_ids = monitoring_runs_schedule(kind=JobKind.DRIFT, window_hours=1, now=now)
    assert pending_run.pk in run_ids
    assert run_execute.apply(args=[pending_run.pk]).successful()
    pending_run.refresh_from_db()
    assert pending_run.status == RunStatus.COMPLETED


def test_a_run_another_worker_is_computing_is_left_alone(pending_run):
    MonitoringRun.objects.filter(pk=pending_run.pk).update(
        status=RunStatus.RUNNING, claimed_by="busy-worker", started_at=timezone.now() - timedelta(minutes=1)
    )
    run_execute.apply(args=[pending_run.pk])
    pending_run.refresh_from_db()
    assert (pending_run.status, pending_run.claimed_by) == (RunStatus.RUNNING, "busy-worker")


def test_the_scheduled_task_queues_a_run_for_the_production_version(
    production_version, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = runs_schedule.apply(kwargs={"kind": "drift", "window_hours": 1})
    assert result.successful()
    run = MonitoringRun.objects.get(pk=result.get()[0])
    assert (run.model_version, run.trigger) == (production_version, Trigger.SCHEDULE)
    assert run.window_end - run.window_start == timedelta(hours=1)
    assert timezone.now() - timedelta(hours=1) < run.window_end <= timezone.now()
    assert (run.window_end.minute, run.window_end.second) == (0, 0)
    assert run.status == RunStatus.INSUFFICIENT_DATA  # executed by the queued task; no decisions this hour
