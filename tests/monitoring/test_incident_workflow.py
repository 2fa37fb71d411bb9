"""People work incidents: open -> acknowledged -> resolved, with a note, a history and roles."""

import pytest

from monitoring import rules
from monitoring.errors import IncidentConflict, IncidentError, IncidentRefused
from monitoring.incidents import incident_acknowledge, incident_raise, incident_resolve
from monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(production_version):
    breach = rules.drift_breach(subject="Credit_Score", psi=0.31, alerting=True, act=0.25)
    return incident_raise(breach=breach, version=production_version)


def test_acknowledge_then_resolve_with_a_note_records_who_and_why(incident, author, validator):
    incident_acknowledge(incident_id=incident.pk, actor=author, note="Looking at the bureau feed")
    incident_resolve(incident_id=incident.pk, actor=validator, note="Bureau rescaled scores on 2 March; mapping fixed.")

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.owner == author
    assert incident.resolved_by == validator
    assert incident.resolution_note == "Bureau rescaled scores on 2 March; mapping fixed."
    assert incident.acknowledged_at <= incident.resolved_at
    history = list(
        incident.history.order_by("history_date").values_list(
            "status", "history_user__username", "history_change_reason"
        )
    )
    assert history[0][:2] == ("open", None)
    assert history[1] == ("acknowledged", "dana-scientist", "Acknowledged: Looking at the bureau feed")
    assert history[2][:2] == ("resolved", "victor-validator")
    assert history[2][2].startswith("Resolved: Bureau rescaled")


def test_resolving_needs_a_note(incident, author):
    with pytest.raises(IncidentError, match="resolution note is required"):
        incident_resolve(incident_id=incident.pk, actor=author, note="   ")
    incident.refresh_from_db()
    assert incident.status == "open"
    assert incident.history.count() == 1


def test_compliance_reads_but_cannot_work_incidents(incident, compliance_officer):
    with pytest.raises(IncidentRefused):
        incident_acknowledge(incident_id=incident.pk, actor=compliance_officer)
    with pytest.raises(IncidentRefused):
        incident_resolve(incident_id=incident.pk, actor=compliance_officer, note="Fine by me")
    incident.refresh_from_db()
    assert incident.status == "open"


def test_a_resolved_incident_cannot_be_acknowledged_or_resolved_again(incident, author):
    incident_resolve(incident_id=incident.pk, actor=author, note="False alarm: test traffic in the window.")
    with pytest.raises(IncidentConflict):
        incident_acknowledge(incident_id=incident.pk, actor=author)
    with pytest.raises(IncidentConflict):
        incident_resolve(incident_id=incident.pk, actor=author, note="again")


def test_admin_acknowledges_and_resolves_through_the_queue(incident, client, approver):
    client.force_login(approver)
    url = "/admin/monitoring/incident/"
    assert 'value="acknowledge_selected"' in client.get(url).content.decode()
    response = client.post(url, {"action": "acknowledge_selected", "_selected_action": [incident.pk]}, follow=True)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.owner) == ("acknowledged", approver)

    # Resolve asks for the note on an intermediate page, and insists on it.
    form = client.post(url, {"action": "resolve_selected", "_selected_action": [incident.pk]})
    assert form.status_code == 200
    assert 'name="resolution_note"' in form.content.decode()
    client.post(
        url, {"action": "resolve_selected", "_selected_action": [incident.pk], "apply": "1", "resolution_note": ""}
    )
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    client.post(
        url,
        {
            "action": "resolve_selected",
            "_selected_action": [incident.pk],
            "apply": "1",
            "resolution_note": "Rescaled feed fixed.",
        },
    )
    incident.refresh_from_db()
    assert (incident.status, incident.resolution_note, incident.resolved_by) == (
        "resolved",
        "Rescaled feed fixed.",
        approver,
    )

    page = client.get(f"/admin/monitoring/incident/{incident.pk}/change/")
    assert "Resolved: Rescaled feed fixed." in page.content.decode()  # the history table


def test_admin_offers_no_incident_actions_to_compliance(incident, client, compliance_officer):
    client.force_login(compliance_officer)
    queue = client.get("/admin/monitoring/incident/")
    assert queue.status_code == 200
    assert "acknowledge_selected" not in queue.content.decode()
    client.post("/admin/monitoring/incident/", {"action": "acknowledge_selected", "_selected_action": [incident.pk]})
    assert Incident.objects.get().status == "open"
