"""A compliance officer reconstructs who moved which version, when and why, from a CSV export."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.errors import WorkflowConflict
from governance.models import EventKind, GovernanceEvent, Transition
from governance.services import model_version_transition
from loanportal.roles import Role

pytestmark = pytest.mark.django_db


def export(client, headers=None, **filters):
    response = client.get(reverse("admin:governance_transition_export"), filters, headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def compliance(client, make_user):
    officer = make_user("cora-compliance", Role.COMPLIANCE_OFFICER)
    client.force_login(officer)
    return officer


def test_export_reconstructs_the_path_to_production(client, compliance, draft_version, take_to, validator, approver):
    with pytest.raises(WorkflowConflict):
        model_version_transition(version_id=draft_version.pk, action="approve", actor=approver, comment="too early")
    take_to(draft_version, "production")
    rows = export(client, **{"version__registered_model__id__exact": draft_version.registered_model_id})
    steps = [(r["action"], r["outcome"], r["actor"], r["from_state"], r["to_state"]) for r in rows]
    assert steps == [
        ("register", "accepted", "dana-scientist", "", "draft"),
        ("approve", "refused", "ada-approver", "draft", "draft"),
        ("submit", "accepted", "dana-scientist", "draft", "submitted"),
        ("validate", "accepted", "victor-validator", "submitted", "validated"),
        ("approve", "accepted", "ada-approver", "validated", "approved"),
        ("promote", "accepted", "ada-approver", "approved", "production"),
    ]
    refused = rows[1]
    assert "is draft; approve needs it to be validated" in refused["refusal_reason"]
    validate = rows[3]
    assert validate["actor_roles"] == "Model Validator"
    assert "TARGET_LEAKAGE_SEGMENT:credit_type:EQUI" in validate["waivers"]
    assert all(r["time_utc"] and r["model"] == "loan-default" and r["version"] == "1" for r in rows)


def test_export_follows_the_date_range_filter(client, compliance, draft_version):
    assert Transition.objects.filter(version=draft_version).count() == 1  # registered today
    today = timezone.now().date()
    assert len(export(client, created_at__date__gte=today.isoformat(), created_at__date__lte=today.isoformat())) == 1
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert export(client, created_at__date__gte=tomorrow) == []


def test_every_export_is_itself_recorded(client, compliance, draft_version):
    export(client, action__exact="register")
    event = GovernanceEvent.objects.get(kind=EventKind.AUDIT_EXPORTED)
    assert event.actor == compliance
    assert event.details == {"filters": {"action__exact": "register"}, "rows": 1}
    assert event.registered_model is None


def test_an_export_of_one_models_trail_names_the_model_and_the_request(client, compliance, draft_version):
    model = draft_version.registered_model
    export(client, headers={"X-Request-ID": "audit-2026-0042"}, version__registered_model__id__exact=model.pk)
    event = GovernanceEvent.objects.get(kind=EventKind.AUDIT_EXPORTED)
    assert (event.registered_model, event.request_id) == (model, "audit-2026-0042")
