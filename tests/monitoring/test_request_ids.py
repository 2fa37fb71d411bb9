"""Monitoring actions taken through the API or the admin carry the request's id, as workflow
transitions do: a drift run asked for by the API, and the history rows of incidents and
of the monitoring policy."""

import pytest
from django.forms.models import model_to_dict

from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import Incident, MonitoringPolicy, MonitoringRun

from ..predictions.support import token_client
from .support import WINDOW_END

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(production_version):
    breach = rules.drift_breach(subject="Credit_Score", psi=0.4, alerting=True, act=0.25)
    return incident_raise(breach=breach, version=production_version)


def history(incident):
    return list(incident.history.order_by("history_date", "history_id").values_list("status", "request_id"))


def test_a_drift_run_asked_for_through_the_api_carries_the_request_id(production_version, author):
    response = token_client(author).post(
        "/api/v1/monitoring/drift/run/",
        {"window_end": WINDOW_END.isoformat()},
        format="json",
        headers={"X-Request-ID": "ops-7731"},
    )
    assert response.status_code == 202
    assert MonitoringRun.objects.get().request_id == "ops-7731"


def test_acknowledging_and_resolving_through_the_api_record_the_request_id(incident, author):
    client = token_client(author)
    url = f"/api/v1/incidents/{incident.pk}"
    assert client.post(f"{url}/acknowledge/", {}, format="json", headers={"X-Request-ID": "ack-1"}).status_code == 200
    resolved = client.post(f"{url}/resolve/", {"note": "Feed fixed."}, format="json", headers={"X-Request-ID": "res-2"})
    assert resolved.status_code == 200
    # Opened by a job: no request.
    assert history(incident) == [("open", ""), ("acknowledged", "ack-1"), ("resolved", "res-2")]


def test_working_an_incident_in_the_admin_records_the_request_id(incident, client, approver):
    client.force_login(approver)
    selected = {"_selected_action": [incident.pk]}
    client.post(
        "/admin/monitoring/incident/", {"action": "acknowledge_selected", **selected}, headers={"X-Request-ID": "a-9"}
    )
    client.post(
        "/admin/monitoring/incident/",
        {"action": "resolve_selected", "apply": "1", "resolution_note": "Rescaled feed fixed.", **selected},
        headers={"X-Request-ID": "r-9"},
    )
    assert Incident.objects.get().status == "resolved"
    assert history(incident) == [("open", ""), ("acknowledged", "a-9"), ("resolved", "r-9")]


def test_a_policy_change_in_the_admin_records_the_request_id(production_version, client, validator):
    policy = MonitoringPolicy.objects.create(registered_model=production_version.registered_model)
    client.force_login(validator)
    # The change form as the admin shows it, with one bound changed.
    form = {field: "" if value is None else value for field, value in model_to_dict(policy).items()}
    response = client.post(
        f"/admin/monitoring/monitoringpolicy/{policy.pk}/change/",
        {**form, "psi_act": 0.3},
        headers={"X-Request-ID": "policy-3"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = policy.history.order_by("-history_date", "-history_id").first()
    assert (change.psi_act, change.request_id, change.history_change_reason) == (
        0.3,
        "policy-3",
        "Changed in the admin: psi_act",
    )
