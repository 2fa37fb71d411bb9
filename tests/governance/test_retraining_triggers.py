"""Each retraining trigger firing and not firing, with its evidence; the cooldown; the
daily check; a run triggered by an incident linked from that incident."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import RetrainingRun, RetrainingState, RetrainingTrigger
from governance.retraining.service import retraining_check, retraining_request, retraining_triggers_run
from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import DriftResult, JobKind, MonitoringRun, RunStatus
from tests.governance.retraining_support import log_labelled, quick_policy

pytestmark = pytest.mark.django_db


def drift_run(version, now, acting, *, significant=True, hours_ago=2):
    end = now - timedelta(hours=hours_ago)
    run = MonitoringRun.objects.create(
        kind=JobKind.DRIFT,
        model_version=version,
        window_start=end - timedelta(hours=1),
        window_end=end,
        status=RunStatus.COMPLETED,
        trigger="schedule",
        rows=1000,
    )
    subjects = ["Credit_Score", "LTV", "income", "loan_amount", "dtir1"]
    for i, subject in enumerate(subjects):
        act = i < acting
        DriftResult.objects.create(
            run=run,
            subject=subject,
            psi=0.4 if act else 0.01,
            band="act" if act else "stable",
            chi_square=50.0,
            p_value=1e-6 if significant else 0.5,
            significant=significant,
            bins=[],
            baseline_counts=[],
            current_counts=[],
            baseline_shares=[],
            current_shares=[],
        )
    return run


def check(version, now, **policy):
    quick_policy(version.registered_model, **{"max_model_age_days": 0, "new_outcomes_min": 0, **policy})
    return retraining_check(version=version, now=now, start=False)


def test_drift_in_enough_inputs_of_one_window_fires(production_version):
    now = timezone.now()
    run = drift_run(production_version, now, acting=3)
    incident = incident_raise(
        breach=rules.drift_breach(subject="LTV", psi=0.4, alerting=True, act=0.25), version=production_version
    )
    report = check(production_version, now)
    drift = report["triggers"]["drift"]
    assert drift["fired"] is True
    assert drift["evidence"]["monitoring_run_id"] == run.pk
    assert drift["evidence"]["inputs"] == ["Credit_Score", "LTV", "income"]
    assert drift["evidence"]["incident_ids"] == [incident.pk]
    assert report["fired"] == ["drift"]


@pytest.mark.parametrize(
    ("acting", "significant", "hours_ago"),
    [(2, True, 2), (3, False, 2), (3, True, 30)],
    ids=["too few inputs", "not significant", "window older than a day"],
)
def test_drift_does_not_fire_below_the_policy(production_version, acting, significant, hours_ago):
    now = timezone.now()
    drift_run(production_version, now, acting=acting, significant=significant, hours_ago=hours_ago)
    assert check(production_version, now)["triggers"]["drift"]["fired"] is False


def test_drift_spread_over_two_windows_does_not_fire(production_version):
    now = timezone.now()
    drift_run(production_version, now, acting=2, hours_ago=2)
    drift_run(production_version, now, acting=2, hours_ago=3)
    report = check(production_version, now)
    assert report["triggers"]["drift"]["fired"] is False
    assert report["triggers"]["drift"]["evidence"]["max_inputs_acting"] == 2


def performance_incident(version):
    breach = rules.auc_breach(cohort="2026-05", auc=0.61, validation_auc=0.85, tolerance=0.05, floor=0.75)
    return incident_raise(breach=breach, version=version)


def test_a_performance_incident_fires_unless_the_policy_turns_it_off(production_version):
    now = timezone.now()
    incident = performance_incident(production_version)
    report = check(production_version, now)
    assert report["triggers"]["performance_incident"]["fired"] is True
    assert report["triggers"]["performance_incident"]["evidence"]["incident_ids"] == [incident.pk]
    assert check(production_version, now, on_performance_incident=False)["triggers"]["performance_incident"] == {
        "fired": False,
        "evidence": {"off": "on_performance_incident is off"},
    }


def test_no_performance_incident_does_not_fire(production_version):
    assert check(production_version, timezone.now())["triggers"]["performance_incident"]["fired"] is False


@pytest.mark.parametrize(("days", "fired"), [(29, False), (30, True), (45, True)])
def test_model_age_fires_at_max_model_age_days(production_version, days, fired):
    now = production_version.created_at + timedelta(days=days)
    age = check(production_version, now, max_model_age_days=30)["triggers"]["model_age"]
    assert age["fired"] is fired
    assert age["evidence"]["age_days"] == pytest.approx(days)


def test_model_age_zero_turns_the_trigger_off(production_version):
    now = production_version.created_at + timedelta(days=400)
    assert check(production_version, now, max_model_age_days=0)["triggers"]["model_age"]["fired"] is False


@pytest.mark.parametrize(("outcomes", "fired"), [(99, False), (100, True)])
def test_new_outcomes_since_the_training_data_ended_fire(production_version, log_decisions, outcomes, fired):
    start = production_version.created_at + timedelta(minutes=1)
    log_labelled(log_decisions, production_version, outcomes, seed=3, start=start, days=1)
    # Outcomes of decisions made before the version's training data ended do not count.
    log_labelled(log_decisions, production_version, 50, seed=4, start=start - timedelta(days=5), days=1)
    now = start + timedelta(days=2)
    new = check(production_version, now, new_outcomes_min=100)["triggers"]["new_outcomes"]
    assert new["fired"] is fired
    assert new["evidence"]["new_outcomes"] == outcomes


def test_a_firing_trigger_starts_a_run_linked_from_its_incident(production_version, django_capture_on_commit_callbacks):
    incident = performance_incident(production_version)
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0)
    report = retraining_check(version=production_version)
    run = RetrainingRun.objects.get(pk=report["run"]["id"])
    assert (run.state, run.trigger, run.parent_version) == (
        RetrainingState.PENDING,
        RetrainingTrigger.PERFORMANCE_INCIDENT,
        production_version,
    )
    assert run.evidence["performance_incident"]["incident_ids"] == [incident.pk]
    assert list(incident.retraining_runs.all()) == [run]


def test_a_trigger_inside_the_cooldown_is_recorded_as_skipped(production_version):
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0, cooldown_days=7)
    earlier = retraining_request(model_name="loan-default", reason="by hand", trigger=RetrainingTrigger.COMMAND)
    RetrainingRun.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=6))
    performance_incident(production_version)
    report = retraining_check(version=production_version)
    skipped = RetrainingRun.objects.get(pk=report["run"]["id"])
    assert skipped.state == RetrainingState.SKIPPED
    assert f"7-day cooldown after retraining run #{earlier.pk}" in skipped.failure
    assert skipped.finished_at is not None


def test_after_the_cooldown_a_trigger_starts_a_run(production_version):
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0, cooldown_days=7)
    earlier = retraining_request(model_name="loan-default", reason="by hand", trigger=RetrainingTrigger.COMMAND)
    RetrainingRun.objects.filter(pk=earlier.pk).update(
        created_at=timezone.now() - timedelta(days=8), state=RetrainingState.FAILED
    )
    performance_incident(production_version)
    report = retraining_check(version=production_version)
    assert report["run"]["state"] == RetrainingState.PENDING


def test_a_trigger_while_a_run_is_active_is_recorded_as_skipped(production_version):
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0, cooldown_days=0)
    active = retraining_request(model_name="loan-default", reason="by hand", trigger=RetrainingTrigger.COMMAND)
    performance_incident(production_version)
    report = retraining_check(version=production_version)
    assert report["run"]["state"] == RetrainingState.SKIPPED
    assert f"#{active.pk}" in report["run"]["failure"]


def test_a_disabled_policy_evaluates_but_starts_nothing(production_version):
    quick_policy(production_version.registered_model, enabled=False)
    performance_incident(production_version)
    reports = retraining_triggers_run()
    assert reports[0]["fired"] == ["performance_incident"] and reports[0]["run"] is None
    assert not RetrainingRun.objects.exists()


def test_a_run_whose_worker_was_lost_fails_at_the_next_daily_check(production_version):
    stuck = retraining_request(model_name="loan-default", reason="by hand", trigger=RetrainingTrigger.COMMAND)
    RetrainingRun.objects.filter(pk=stuck.pk).update(
        state=RetrainingState.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    retraining_triggers_run()
    stuck.refresh_from_db()
    assert stuck.state == RetrainingState.FAILED and "worker stopped" in stuck.failure
