"""Realized performance per cohort once outcomes are recorded, and its incidents."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from monitoring.incidents import incident_resolve
from monitoring.models import Incident, JobKind, MonitoringPolicy, PerformanceCohort, RunStatus
from monitoring.performance import cohort_starts
from monitoring.windows import Window
from tests.support import applications

from .support import run_job

START, END = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
JANUARY, FEBRUARY, MARCH = (datetime(2026, m, 10, 12, tzinfo=UTC) for m in (1, 2, 3))


def cohort(version, log_decisions, at, *, defaulters, repayers, p_defaulter, p_repayer, seed):
    log_decisions(
        version,
        applications(defaulters + repayers, seed=seed),
        at=at,
        probabilities=[p_defaulter] * defaulters + [p_repayer] * repayers,
        defaulted=[True] * defaulters + [False] * repayers,
    )


@pytest.fixture
def logged_cohorts(production_version, log_decisions):
    MonitoringPolicy.objects.create(registered_model=production_version.registered_model, min_cohort_outcomes=100)
    # January ranks perfectly and is calibrated: mean predicted (50*0.7 + 150*0.1)/200 = 0.25 = observed.
    cohort(
        production_version, log_decisions, JANUARY, defaulters=50, repayers=150, p_defaulter=0.7, p_repayer=0.1, seed=1
    )
    # February cannot tell defaulters from repayers (AUC 0.5) and predicts 0.2 where 0.5 default.
    cohort(
        production_version,
        log_decisions,
        FEBRUARY,
        defaulters=100,
        repayers=100,
        p_defaulter=0.2,
        p_repayer=0.2,
        seed=2,
    )
    # March: too few outcomes yet to judge.
    cohort(production_version, log_decisions, MARCH, defaulters=5, repayers=15, p_defaulter=0.2, p_repayer=0.2, seed=3)
    return production_version


@pytest.mark.django_db
def test_metrics_per_monthly_cohort_match_a_hand_computation(logged_cohorts):
    run = run_job(JobKind.PERFORMANCE, logged_cohorts, Window(START, END))
    assert (run.status, run.rows) == (RunStatus.COMPLETED, 420)
    january, february, march = PerformanceCohort.objects.filter(run=run).order_by("cohort_start")
    assert [str(c.cohort_start) for c in (january, february, march)] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert (january.outcomes, january.defaults) == (200, 50)
    assert january.roc_auc == pytest.approx(1.0)
    assert january.ks == pytest.approx(1.0)
    assert january.brier == pytest.approx((50 * 0.3**2 + 150 * 0.1**2) / 200)
    assert (january.default_rate, january.mean_probability) == (pytest.approx(0.25), pytest.approx(0.25))
    assert january.calibration_error == pytest.approx(0.0)
    assert february.roc_auc == pytest.approx(0.5)
    assert february.brier == pytest.approx((100 * 0.8**2 + 100 * 0.2**2) / 200)
    assert february.calibration_error == pytest.approx(0.3)
    assert (january.judged, february.judged, march.judged) == (True, True, False)


@pytest.mark.django_db
def test_an_auc_drop_and_a_calibration_error_open_incidents(logged_cohorts):
    run_job(JobKind.PERFORMANCE, logged_cohorts, Window(START, END))
    auc = Incident.objects.get(subject="roc_auc")
    # 0.5 is more than 0.05 below the validation AUC, and below the model's floor of 0.75.
    assert (auc.kind, auc.severity, auc.worst_value) == ("performance", "P1", pytest.approx(0.5))
    assert auc.metric_snapshot["cohorts"] == {"2026-02-01": pytest.approx(0.5)}
    calibration = Incident.objects.get(subject="calibration_error")
    assert (calibration.severity, calibration.worst_value) == ("P2", pytest.approx(0.3))  # above twice the 0.05 bound
    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_a_resolved_cohort_is_not_raised_again_the_next_day_but_a_new_one_is(logged_cohorts, log_decisions, author):
    run_job(JobKind.PERFORMANCE, logged_cohorts, Window(START, END))
    for incident in Incident.objects.all():
        incident_resolve(
            incident_id=incident.pk, actor=author, note="February: broker channel mix; model refit planned."
        )

    run_job(JobKind.PERFORMANCE, logged_cohorts, Window(START + timedelta(days=1), END + timedelta(days=1)))
    assert not Incident.objects.filter(status="open").exists()

    # March matures and is just as bad: that is new.
    cohort(logged_cohorts, log_decisions, MARCH, defaulters=60, repayers=60, p_defaulter=0.2, p_repayer=0.2, seed=4)
    run_job(JobKind.PERFORMANCE, logged_cohorts, Window(START + timedelta(days=2), END + timedelta(days=2)))
    reopened = Incident.objects.get(status="open", subject="roc_auc")
    assert reopened.metric_snapshot["cohorts"] == {"2026-02-01": pytest.approx(0.5), "2026-03-01": pytest.approx(0.5)}


@pytest.mark.django_db
def test_a_version_without_outcomes_yet_reports_insufficient_data(production_version):
    run = run_job(JobKind.PERFORMANCE, production_version, Window(START, END))
    assert (run.status, run.rows) == (RunStatus.INSUFFICIENT_DATA, 0)
    assert not Incident.objects.exists()


def test_weekly_cohorts_start_on_monday():
    decided = np.array(
        ["2026-01-07T23:59", "2026-01-05T00:00", "2026-01-04T12:00", "2026-01-11T08:00"], dtype="datetime64[us]"
    )
    assert [str(d) for d in cohort_starts(decided, "week")] == ["2026-01-05", "2026-01-05", "2025-12-29", "2026-01-05"]
    assert [str(d) for d in cohort_starts(decided, "month")] == ["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-01"]
