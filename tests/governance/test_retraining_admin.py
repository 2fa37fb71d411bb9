"""Retraining in the admin: runs read-only with their filters, the policy editable by
Model Approvers only, and the run linked from the model card, the incident and the
monitoring page."""

import pytest
from django.urls import reverse

from governance.ml.search import DEFAULT_ROWS
from governance.models import RetrainingPolicy, RetrainingRun, RetrainingTrigger
from governance.retraining.service import retraining_check, retraining_run_execute
from governance.templatetags.readable import readable
from monitoring import rules
from monitoring.incidents import incident_raise
from tests.governance.retraining_support import log_labelled, quick_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(production_version, log_decisions):
    """A performance incident that triggered a run which registered a candidate."""
    log_labelled(log_decisions, production_version, 1200, seed=13)
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0)
    breach = rules.auc_breach(cohort="2026-05", auc=0.61, validation_auc=0.85, tolerance=0.05, floor=0.75)
    incident = incident_raise(breach=breach, version=production_version)
    report = retraining_check(version=production_version)
    run = retraining_run_execute(run_id=report["run"]["id"])
    assert run.state == "succeeded", run.failure
    return run, incident


def test_the_candidates_model_card_shows_its_run_parent_and_comparison(client, finished_run, author):
    run, _ = finished_run
    client.force_login(author)
    page = client.get(reverse("admin:governance_modelversion_change", args=[run.candidate.pk])).content.decode()
    assert f"retraining run #{run.pk}</a>" in page
    assert reverse("admin:governance_modelversion_change", args=[run.parent_version.pk]) in page
    assert "Champion vs candidate" in page and "DeLong p" in page
    assert "Leaderboard" in page
    parent = client.get(reverse("admin:governance_modelversion_change", args=[run.parent_version.pk])).content.decode()
    assert reverse("admin:governance_retrainingrun_change", args=[run.pk]) in parent


def test_the_incident_page_shows_the_run_and_its_candidate(client, finished_run, author):
    run, incident = finished_run
    client.force_login(author)
    page = client.get(reverse("admin:monitoring_incident_change", args=[incident.pk])).content.decode()
    assert f"Retraining run #{run.pk}</a> succeeded" in page
    assert reverse("admin:governance_modelversion_change", args=[run.candidate.pk]) in page


def test_runs_are_read_only_and_filter_by_model_trigger_and_state(client, finished_run, approver):
    run, _ = finished_run
    client.force_login(approver)
    changelist = reverse("admin:governance_retrainingrun_changelist")
    listed = reverse("admin:governance_retrainingrun_change", args=[run.pk])
    for query in (
        f"registered_model__id__exact={run.registered_model_id}",
        f"trigger__exact={RetrainingTrigger.PERFORMANCE_INCIDENT}",
        "state__exact=succeeded",
        f"parent_version__id__exact={run.parent_version_id}",
    ):
        response = client.get(f"{changelist}?{query}")
        assert response.status_code == 200 and listed in response.content.decode(), query
    assert listed not in client.get(f"{changelist}?state__exact=failed").content.decode()
    page = client.get(reverse("admin:governance_retrainingrun_change", args=[run.pk]))
    assert page.status_code == 200 and "out-of-time ROC-AUC" in page.content.decode()
    winner = run.leaderboard[0]
    assert f"<td>{winner['cv_roc_auc_mean']:.4f}</td>" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    # Evidence, data summary, comparison and parameters as lists people read, not JSON or reprs.
    assert "{&quot;" not in page.content.decode() and "=True" not in page.content.decode()
    assert str(readable(run.comparison["p_value"])) in page.content.decode()
    posted = client.post(reverse("admin:governance_retrainingrun_change", args=[run.pk]), {"reason": "x"})
    assert posted.status_code == 403
    assert RetrainingRun.objects.get(pk=run.pk).reason == run.reason


def test_the_monitoring_page_links_the_runs(client, production_version, author):
    client.force_login(author)
    page = client.get(reverse("admin:monitoring_version", args=[production_version.pk])).content.decode()
    assert (
        reverse("admin:governance_retrainingrun_changelist") + f"?parent_version__id__exact={production_version.pk}"
        in page
    )


def test_model_approvers_edit_the_policy_and_data_scientists_read_it(client, production_version, approver, author):
    policy = RetrainingPolicy.objects.create(registered_model=production_version.registered_model)
    url = reverse("admin:governance_retrainingpolicy_change", args=[policy.pk])
    client.force_login(author)
    assert client.get(url).status_code == 200
    form = {
        "enabled": "on",
        "drift_inputs_min": 5,
        "on_performance_incident": "on",
        "max_model_age_days": 30,
        "new_outcomes_min": 10000,
        "cooldown_days": 7,
        "min_labelled_rows": 2000,
        "out_of_time_share": 0.2,
        "search_trials": 4,
        "search_seconds": 40,
        "search_rows": 80_000,
        # The admin's form posts these hidden initial values for fields with callable defaults.
        "initial-search_trials": 4,
        "initial-search_seconds": 40.0,
        "initial-search_rows": DEFAULT_ROWS,
    }
    assert client.post(url, form).status_code == 403
    client.force_login(approver)
    assert client.post(url, form).status_code == 302
    policy.refresh_from_db()
    assert (policy.drift_inputs_min, policy.search_rows) == (5, 80_000)
    assert (
        policy.history.first().history_change_reason
        == "Retraining policy changed in the admin: drift_inputs_min, search_rows"
    )
    assert policy.history.last().search_rows == DEFAULT_ROWS  # the default, in the history
