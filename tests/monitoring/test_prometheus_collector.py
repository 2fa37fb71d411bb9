"""Prometheus gauges: the latest PSI per feature and the fairness ratios of production versions."""

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.utils.module_loading import import_string
from prometheus_client import CollectorRegistry, generate_latest

from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import DriftResult, EstimatedPerformance, FairnessResult, JobKind, PerformanceCohort
from monitoring.windows import Window
from tests.support import applications

from .support import WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db


def scrape() -> CollectorRegistry:
    registry = CollectorRegistry()
    for path in settings.PROMETHEUS_EXTRA_COLLECTORS:
        registry.register(import_string(path)())
    return registry


def test_latest_psi_fairness_ratios_and_active_incidents_are_exported(production_version, log_decisions):
    frame = applications(1200, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(production_version, frame, at=WINDOW_START)
    drift = run_job(JobKind.DRIFT, production_version)
    fairness = run_job(JobKind.FAIRNESS, production_version, Window(WINDOW_START, WINDOW_END))
    incident_raise(breach=rules.job_failure_breach(job="retention", error="disk full"), version=None)

    registry = scrape()
    labels = {"model": "loan-default", "version": "1"}
    credit = DriftResult.objects.get(run=drift, subject="Credit_Score")
    assert registry.get_sample_value("loanportal_drift_psi", {**labels, "feature": "Credit_Score"}) == pytest.approx(
        credit.psi
    )
    score = DriftResult.objects.get(run=drift, subject="score")
    assert registry.get_sample_value("loanportal_score_psi", labels) == pytest.approx(score.psi)
    assert registry.get_sample_value("loanportal_drift_window_end_timestamp_seconds", labels) == WINDOW_END.timestamp()
    gender = FairnessResult.objects.get(run=fairness, attribute="Gender")
    assert registry.get_sample_value(
        "loanportal_fairness_min_adverse_impact_ratio", {**labels, "attribute": "Gender"}
    ) == pytest.approx(gender.min_adverse_impact_ratio)
    judged = [g for g, row in gender.groups.items() if row["sufficient"]]
    assert judged
    for group in judged:
        assert registry.get_sample_value(
            "loanportal_fairness_adverse_impact_ratio", {**labels, "attribute": "Gender", "group": group}
        ) == pytest.approx(gender.groups[group]["adverse_impact_ratio"])
    assert (
        registry.get_sample_value(
            "loanportal_incidents_active", {"model": "loan-default", "kind": "data_drift", "severity": "P1"}
        )
        == 1
    )
    assert (
        registry.get_sample_value("loanportal_incidents_active", {"model": "", "kind": "job_failure", "severity": "P2"})
        == 1
    )
    assert registry.get_sample_value("loanportal_monitoring_collector_up", {}) == 1
    assert b"loanportal_drift_psi{" in generate_latest(registry)


def test_the_latest_estimated_auc_and_default_rate_are_exported_beside_the_validation_and_realized_auc(
    production_version, log_decisions
):
    log_decisions(production_version, applications(800, seed=12), at=WINDOW_START, defaulted=[False, True] * 400)
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, production_version)
    performance = run_job(JobKind.PERFORMANCE, production_version, Window(WINDOW_START, WINDOW_END))
    (cohort,) = PerformanceCohort.objects.filter(run=performance)
    estimate = EstimatedPerformance.objects.get(run=run)
    registry = scrape()
    labels = {"model": "loan-default", "version": "1"}
    assert registry.get_sample_value("loanportal_estimated_roc_auc", labels) == pytest.approx(estimate.expected_roc_auc)
    assert registry.get_sample_value("loanportal_estimated_default_rate", labels) == pytest.approx(
        estimate.expected_default_rate
    )
    assert registry.get_sample_value("loanportal_validation_roc_auc", labels) == production_version.metrics["roc_auc"]
    assert registry.get_sample_value("loanportal_realized_roc_auc", labels) == pytest.approx(cohort.roc_auc)


def test_a_retired_version_is_not_exported(production_version, log_decisions, take_to, register_version):
    log_decisions(production_version, applications(600, seed=11), at=WINDOW_START)
    run_job(JobKind.DRIFT, production_version)
    take_to(register_version(), "production")  # v2 replaces v1
    registry = scrape()
    assert registry.get_sample_value("loanportal_score_psi", {"model": "loan-default", "version": "1"}) is None


def test_a_database_outage_reports_the_collector_down_instead_of_breaking_the_scrape(production_version):
    def unavailable(execute, sql, params, many, context):
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(unavailable):
        registry = scrape()
        assert registry.get_sample_value("loanportal_monitoring_collector_up", {}) == 0
        assert b"loanportal_monitoring_collector_up 0.0" in generate_latest(registry)
