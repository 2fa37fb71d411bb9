"""The model card in the admin: what reviewers see and the workflow buttons they may press."""

import csv
import re

import numpy as np
import pytest
from django.urls import reverse

from governance.ml.schema import decimals_needed
from governance.models import ThresholdPolicy, Transition, VersionState
from governance.templatetags.readable import readable
from loanportal.roles import Role
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db


def card_url(version):
    return reverse("admin:governance_modelversion_change", args=[version.pk])


def workflow_url(version):
    return reverse("admin:governance_modelversion_workflow", args=[version.pk])


def test_validator_sees_the_card_with_validate_and_reject_buttons(client, draft_version, take_to, validator):
    version = take_to(draft_version, "submitted")
    client.force_login(validator)
    page = client.get(card_url(version)).content.decode()
    for section in ("Holdout metrics", "Validation findings", "Fairness on the holdout", "Feature schema",
                    "Frozen monitoring baseline", "Transition timeline", "Field-level history"):  # fmt: skip
        assert section in page
    assert 'name="action" value="validate"' in page
    assert 'name="action" value="reject"' in page
    assert 'value="approve"' not in page
    for finding in version.findings:
        if finding["severity"] == "high":
            assert f'name="waiver:{finding["id"]}"' in page
    assert "draft &rarr; submitted" in page  # timeline
    assert reverse("admin:monitoring_version", args=[version.pk]) in page
    assert "<code>state</code>: draft &rarr; submitted" in page  # field-level history diff


def test_author_and_compliance_officer_get_no_buttons_on_a_submitted_version(
    client, draft_version, take_to, author, make_user
):
    version = take_to(draft_version, "submitted")
    for user in (author, make_user("cora", Role.COMPLIANCE_OFFICER)):
        client.force_login(user)
        response = client.get(card_url(version))
        assert response.status_code == 200
        assert 'name="action"' not in response.content.decode()


def test_validating_from_the_card_calls_the_workflow_with_the_waivers(client, draft_version, take_to, validator):
    version = take_to(draft_version, "submitted")
    client.force_login(validator)
    form = {"action": "validate", "comment": "Reviewed in the card"}
    form.update({f"waiver:{k}": v for k, v in waive_all_high(version).items()})
    response = client.post(workflow_url(version), form, follow=True)
    assert "is now validated" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.VALIDATED
    assert set(version.waivers) == set(waive_all_high(version))
    transition = version.transitions.get(action="validate", accepted=True)
    assert transition.comment == "Reviewed in the card" and transition.request_id


def test_a_refusal_in_the_card_is_shown_and_recorded(client, draft_version, take_to, validator):
    version = take_to(draft_version, "submitted")
    client.force_login(validator)
    response = client.post(workflow_url(version), {"action": "validate", "comment": "no waivers"}, follow=True)
    assert "high-severity findings without a waiver" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.SUBMITTED
    assert Transition.objects.filter(version=version, action="validate", accepted=False).count() == 1


def test_superuser_sees_the_card_but_cannot_approve(client, draft_version, take_to, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    version = take_to(draft_version, "validated")
    client.force_login(root)
    assert 'name="action"' not in client.get(card_url(version)).content.decode()
    response = client.post(workflow_url(version), {"action": "approve", "comment": "I am root"}, follow=True)
    assert "Only a Model Approver may approve" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.VALIDATED


def test_api_clients_cannot_open_the_admin(client, draft_version, make_user):
    client.force_login(make_user("los", Role.API_CLIENT))
    response = client.get(card_url(draft_version))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_version_list_filters_by_state_and_searches_by_author(client, register_version, take_to, validator):
    take_to(register_version(), "submitted")
    register_version()
    client.force_login(validator)
    listing = reverse("admin:governance_modelversion_changelist")
    assert client.get(listing, {"state__exact": "submitted"}).context["cl"].result_count == 1
    assert client.get(listing, {"q": "dana-scientist"}).context["cl"].result_count == 2
    assert client.get(listing, {"q": "2"}).context["cl"].result_count == 1


def test_nobody_can_edit_or_delete_audit_records_in_the_admin(client, draft_version, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    transition = Transition.objects.get(version=draft_version)
    change = reverse("admin:governance_transition_change", args=[transition.pk])
    delete = reverse("admin:governance_transition_delete", args=[transition.pk])
    client.post(change, {"comment": "rewritten"})
    assert client.post(delete, {"post": "yes"}).status_code == 403
    transition.refresh_from_db()
    assert transition.comment != "rewritten"
    history = reverse("admin:governance_modelversion_history", args=[draft_version.pk])
    assert client.get(history).status_code == 200
    assert (
        client.post(
            reverse("admin:governance_modelversion_delete", args=[draft_version.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def csv_decimals(path, column: str) -> int:
    """The decimals the training file writes a column with, read from its text (at most 4,
    the portal's reading precision): an independent count of what the card should show."""
    with open(path, newline="") as handle:
        values = [row[column] for row in csv.DictReader(handle) if row[column] not in ("", "NA")]
    return min(4, max(len(value.partition(".")[2].rstrip("0")) for value in values))


def test_the_training_ranges_show_the_decimals_of_the_training_data(client, draft_version, validator, demo_csv):
    client.force_login(validator)
    page = client.get(card_url(draft_version)).content.decode()
    decimals = {}
    for field in draft_version.feature_schema["fields"]:
        if field["type"] != "number":
            continue
        decimals[field["name"]] = places = csv_decimals(demo_csv, field["name"])
        low, high = field["min"], field["max"]
        assert f'<span title="{low!r} .. {high!r}">{low:.{places}f} .. {high:.{places}f}</span>' in page, field
    # The demo file has both kinds: whole dollars, scores and months, and a computed ratio.
    assert decimals == {n: 4 if n == "LTV" else 0 for n in decimals}
    credit = next(f for f in draft_version.feature_schema["fields"] if f["name"] == "Credit_Score")
    assert f">{credit['min']:.0f} .. {credit['max']:.0f}</span>" in page


def test_a_schema_recorded_without_decimals_shows_the_decimals_of_its_ends(
    client, register_version, training_result, validator
):
    fields = [{k: v for k, v in f.items() if k != "decimals"} for f in training_result.feature_schema["fields"]]
    term = next(f for f in fields if f["name"] == "term")
    term.update(min=96.0, max=360.0)
    ratio = next(f for f in fields if f["name"] == "LTV")
    ratio.update(min=0.5, max=98.125)
    version = register_version(feature_schema={**training_result.feature_schema, "fields": fields})
    client.force_login(validator)
    page = client.get(card_url(version)).content.decode()
    assert '<span title="96.0 .. 360.0">96 .. 360</span>' in page
    assert '<span title="0.5 .. 98.125">0.500 .. 98.125</span>' in page


def test_decimals_needed_counts_the_decimals_that_write_every_value():
    assert decimals_needed(np.array([360.0, 96.0, np.nan])) == 0
    assert decimals_needed(np.array([1.25, 3.0])) == 2
    assert decimals_needed(np.array([98.72881356, 1.5])) == 4  # the real file's LTV: 8 decimals, shown 4
    assert decimals_needed(np.array([0.1 + 0.2])) == 1  # float noise is not precision


def test_the_fixed_threshold_and_the_parameters_are_readable(client, draft_version, validator):
    model = draft_version.registered_model
    model.threshold_policy, model.fixed_threshold = ThresholdPolicy.FIXED, 0.123456789
    model.save()
    client.force_login(validator)
    page = client.get(card_url(draft_version)).content.decode()
    assert '(<span title="0.123456789">0.1235</span>)' in page
    draft_version.refresh_from_db()  # the parameters in the order the database keeps them
    params = draft_version.experiment["model"]["params"]
    shown = ", ".join(f"{name} {readable(value)}" for name, value in params.items())
    assert f"<tr><th>Parameters</th><td>{shown}</td></tr>" in page
    assert any(isinstance(value, bool) for value in params.values())  # shown yes/no, never True
    assert not re.search(r"Parameters</th><td>[^<]*\b(True|False)\b", page)
