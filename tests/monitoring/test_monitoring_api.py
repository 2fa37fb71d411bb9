"""The monitoring API: results, on-demand drift and incidents (who may call each:
tests/security/test_role_matrix.py)."""

import pytest

from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import Incident, JobKind, MonitoringRun
from monitoring.windows import Window
from tests.support import applications

from ..predictions.support import token_client
from .support import WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(production_version):
    return incident_raise(
        breach=rules.drift_breach(subject="Credit_Score", psi=0.4, alerting=True, act=0.25), version=production_version
    )


@pytest.fixture
def drifted(production_version, log_decisions):
    frame = applications(1000, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(production_version, frame, at=WINDOW_START)
    return production_version


def test_drift_results_give_the_latest_run_with_features_and_the_history(drifted, validator):
    older = run_job(JobKind.DRIFT, drifted, Window(WINDOW_START.replace(hour=7), WINDOW_START.replace(hour=8)))
    latest = run_job(JobKind.DRIFT, drifted)
    response = token_client(validator).get("/api/v1/monitoring/drift/", {"model": "loan-default"})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "loan-default"
    assert body["latest"]["id"] == latest.pk
    assert body["latest"]["status"] == "completed"
    features = {f["feature"]: f for f in body["latest"]["results"]}
    assert features["Credit_Score"]["band"] == "act"
    assert features["score"]["band"] == "stable"
    assert len(features["Credit_Score"]["current_counts"]) == len(features["Credit_Score"]["bins"])
    assert [run["id"] for run in body["history"]] == [latest.pk, older.pk]
    assert body["history"][1]["status"] == "insufficient_data"
    assert "results" not in body["history"][0]


def test_unknown_model_is_404(validator):
    assert token_client(validator).get("/api/v1/monitoring/drift/", {"model": "nope"}).status_code == 404


def test_running_drift_on_demand_queues_the_window_once(
    drifted, author, celery_eager, django_capture_on_commit_callbacks
):
    client = token_client(author)
    payload = {"model": "loan-default", "window_hours": 1, "window_end": WINDOW_END.isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/monitoring/drift/run/", payload, format="json")
    assert first.status_code == 202
    assert first.json()["results"] == "/api/v1/monitoring/drift/?model=loan-default"
    (queued,) = first.json()["runs"]
    run = MonitoringRun.objects.get(pk=queued["id"])
    assert (run.status, run.trigger, run.requested_by) == ("completed", "api", author)

    again = client.post("/api/v1/monitoring/drift/run/", payload, format="json")
    assert again.status_code == 200  # already done: the stored result, not a new run
    assert again.json()["runs"][0]["id"] == run.pk
    assert {f["feature"]: f["band"] for f in again.json()["runs"][0]["results"]}["Credit_Score"] == "act"
    assert MonitoringRun.objects.count() == 1


def test_on_demand_drift_refuses_a_window_not_on_the_hour(drifted, author):
    response = token_client(author).post(
        "/api/v1/monitoring/drift/run/", {"window_end": "2026-03-02T10:30:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert "on the hour" in response.json()["errors"]["window_end"]


def test_incidents_are_listed_filtered_acknowledged_and_resolved(incident, author):
    client = token_client(author)
    listed = client.get("/api/v1/incidents/", {"status": "open", "model": "loan-default"}).json()
    assert [i["id"] for i in listed["results"]] == [incident.pk]
    assert listed["results"][0]["subject"] == "Credit_Score"
    assert client.get("/api/v1/incidents/", {"status": "resolved"}).json()["results"] == []

    acknowledged = client.post(f"/api/v1/incidents/{incident.pk}/acknowledge/", {"note": "on it"}, format="json")
    assert acknowledged.status_code == 200
    assert (acknowledged.json()["status"], acknowledged.json()["owner"]) == ("acknowledged", "dana-scientist")
    assert client.post(f"/api/v1/incidents/{incident.pk}/acknowledge/", {}, format="json").status_code == 409

    no_note = client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {}, format="json")
    assert no_note.status_code == 400
    assert "note is required" in no_note.json()["detail"]
    resolved = client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {"note": "Feed fixed."}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["resolution_note"] == "Feed fixed."
    assert Incident.objects.get().status == "resolved"
    assert client.post("/api/v1/incidents/999999/resolve/", {"note": "x"}, format="json").status_code == 404


def test_an_incident_about_no_particular_version_is_listed_too(author):
    incident_raise(breach=rules.job_failure_breach(job="retention", error="disk full"), version=None)
    (listed,) = token_client(author).get("/api/v1/incidents/").json()["results"]
    assert (listed["kind"], listed["subject"], listed["model"], listed["version"]) == (
        "job_failure",
        "retention",
        None,
        None,
    )
