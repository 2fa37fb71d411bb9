"""The drift job on a logged decision stream: bands per input and score, and the incident."""

import pytest

from monitoring.models import DriftResult, Incident, JobKind, RunStatus
from tests.support import applications

from .support import WINDOW_START, run_job

pytestmark = pytest.mark.django_db


def test_a_stream_like_the_baseline_is_stable_everywhere(production_version, log_decisions):
    log_decisions(production_version, applications(3000, seed=11), at=WINDOW_START)
    run = run_job(JobKind.DRIFT, production_version)
    assert run.status == RunStatus.COMPLETED
    assert run.rows == 3000
    results = DriftResult.objects.filter(run=run)
    assert results.count() == 29  # 28 application fields and the score
    assert set(results.values_list("band", flat=True)) == {"stable"}
    assert not Incident.objects.exists()


def test_credit_score_shifted_up_ten_percent_acts_on_that_feature_only(
    production_version, log_decisions, client, validator
):
    frame = applications(3000, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(production_version, frame, at=WINDOW_START)

    run = run_job(JobKind.DRIFT, production_version)

    bands = dict(DriftResult.objects.filter(run=run).values_list("subject", "band"))
    assert bands.pop("Credit_Score") == "act"
    assert set(bands.values()) == {"stable"}  # every other input, and the score
    credit = DriftResult.objects.get(run=run, subject="Credit_Score")
    assert credit.significant
    assert sum(credit.current_counts) == 3000
    assert credit.bins[-1] == "missing"
    assert run.summary["bands"] == {"watch": [], "act": ["Credit_Score"]}

    incident = Incident.objects.get()
    assert (incident.kind, incident.subject, incident.status) == ("data_drift", "Credit_Score", "open")
    assert incident.model_version == production_version
    assert incident.worst_value == pytest.approx(credit.psi)
    assert credit.psi >= 0.5 and incident.severity == "P1"  # twice the act threshold: P1, not P2
    assert incident.metric_snapshot["run_id"] == run.pk

    client.force_login(validator)
    queue = client.get("/admin/monitoring/incident/")
    assert queue.status_code == 200
    assert "Credit_Score" in queue.content.decode()
    assert f"/admin/monitoring/incident/{incident.pk}/change/" in queue.content.decode()


def test_a_window_below_the_minimum_size_reports_insufficient_data(production_version, log_decisions):
    frame = applications(120, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.5  # would be a huge shift on enough data
    log_decisions(production_version, frame, at=WINDOW_START)

    run = run_job(JobKind.DRIFT, production_version)

    assert run.status == RunStatus.INSUFFICIENT_DATA
    assert run.rows == 120
    assert run.summary["policy"]["min_window_size"] == 500
    assert not DriftResult.objects.filter(run=run).exists()
    assert not Incident.objects.exists()


def test_a_production_version_without_decisions_is_reported_not_skipped(production_version):
    run = run_job(JobKind.DRIFT, production_version)
    assert (run.status, run.rows) == (RunStatus.INSUFFICIENT_DATA, 0)
