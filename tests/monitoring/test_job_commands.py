"""Each job is also a command that prints its result as one JSON object."""

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from monitoring.jobs import JOBS
from monitoring.models import Incident, JobKind, MonitoringRun
from tests.support import applications

from .support import WINDOW_END, WINDOW_START

pytestmark = pytest.mark.django_db
END = ["--end", WINDOW_END.isoformat()]


def run(*args: str) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_run_drift_prints_the_window_and_its_results(production_version, log_decisions):
    frame = applications(800, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(production_version, frame, at=WINDOW_START)

    result = run("run_drift", "--model", "loan-default", "--window-hours", "1", *END)

    assert (result["job"], result["model"]) == ("drift", "loan-default")
    assert (result["window_start"], result["window_end"]) == ("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")
    (drift,) = result["runs"]
    assert (drift["version"], drift["status"], drift["rows"], drift["trigger"]) == (1, "completed", 800, "command")
    assert {r["feature"]: r["band"] for r in drift["results"]}["Credit_Score"] == "act"
    # Run again: the same stored run is printed, nothing is recomputed.
    assert run("run_drift", "--model", "loan-default", "--window-hours", "1", *END)["runs"][0]["id"] == drift["id"]
    assert MonitoringRun.objects.count() == 1


def test_run_fairness_and_run_performance_print_json(production_version, log_decisions):
    log_decisions(production_version, applications(300, seed=11), at=WINDOW_START, defaulted=[False, True] * 150)
    fairness = run("run_fairness", "--model", "loan-default", "--window-hours", "24", *END)
    assert fairness["job"] == "fairness"
    assert {r["attribute"] for r in fairness["runs"][0]["results"]} == {"Gender", "age"}
    performance = run("run_performance", "--model", "loan-default", "--window-hours", "48", *END)
    assert performance["job"] == "performance"
    (cohort,) = performance["runs"][0]["results"]
    assert (cohort["cohort_start"], cohort["outcomes"], cohort["judged"]) == ("2026-03-01", 300, False)


def test_a_failing_run_is_printed_and_exits_with_an_error_and_a_job_failure_incident(production_version, monkeypatch):
    def broken(run, policy):
        raise RuntimeError("baseline has no bins for Credit_Score")

    monkeypatch.setitem(JOBS, JobKind.DRIFT, replace(JOBS[JobKind.DRIFT], compute=broken))
    out = StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("run_drift", "--model", "loan-default", *END, stdout=out)
    (printed,) = json.loads(out.getvalue())["runs"]
    assert printed["status"] == "failed"
    assert "baseline has no bins" in printed["error"]
    assert Incident.objects.get().kind == "job_failure"


def test_an_unknown_model_or_a_window_off_the_hour_is_refused(production_version):
    with pytest.raises(CommandError, match="No registered model"):
        run("run_drift", "--model", "nope")
    with pytest.raises(CommandError, match="on the hour"):
        run("run_drift", "--model", "loan-default", "--end", "2026-03-02T10:30:00+00:00")


def _drift_schedule():
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.get(task="monitoring.runs_schedule", kwargs__contains='"kind": "drift"')


def test_window_hours_defaults_to_the_stored_schedule_of_the_job(production_version, log_decisions):
    from django_celery_beat.models import PeriodicTask

    assert run("run_drift", "--model", "loan-default", *END)["window_start"] == "2026-03-02T09:00:00Z"
    schedule = _drift_schedule()
    schedule.kwargs = json.dumps({"kind": "drift", "window_hours": 24})
    schedule.save()
    assert run("run_drift", "--model", "loan-default", *END)["window_start"] == "2026-03-01T10:00:00Z"
    # Given on the command line, the option wins over the schedule.
    assert run("run_drift", "--model", "loan-default", "--window-hours", "2", *END)["window_start"] == (
        "2026-03-02T08:00:00Z"
    )
    # No enabled schedule row for the kind: the job's built-in window.
    PeriodicTask.objects.filter(pk=schedule.pk).update(enabled=False)
    assert run("run_drift", "--model", "loan-default", *END)["window_start"] == "2026-03-02T09:00:00Z"
    assert run("run_fairness", "--model", "loan-default", *END)["window_start"] == "2026-01-31T10:00:00Z"
