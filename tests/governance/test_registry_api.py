"""The registry and workflow REST API: who may read, and actions through the workflow."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.models import Transition, VersionState
from loanportal.roles import Role
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


READS = [
    "/api/v1/models/",
    "/api/v1/models/loan-default/",
    "/api/v1/models/loan-default/versions/",
    "/api/v1/versions/{id}/",
]


@pytest.mark.parametrize(
    "role", [Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER, Role.COMPLIANCE_OFFICER]
)
def test_portal_roles_read_the_registry(make_user, draft_version, role):
    client = api_as(make_user("reader", role))
    for url in READS:
        assert client.get(url.format(id=draft_version.pk)).status_code == 200, url


def test_api_clients_and_anonymous_callers_cannot_read_the_registry(make_user, draft_version):
    los = api_as(make_user("los", Role.API_CLIENT))
    for url in READS:
        assert los.get(url.format(id=draft_version.pk)).status_code == 403
        assert api_as().get(url.format(id=draft_version.pk)).status_code == 401


def test_version_detail_includes_the_transition_history(validator, draft_version, take_to):
    take_to(draft_version, "submitted")
    body = api_as(validator).get(f"/api/v1/versions/{draft_version.pk}/").json()
    assert [t["action"] for t in body["transitions"]] == ["register", "submit"]
    assert body["state"] == "submitted"
    assert body["artifact"]["sha256"] == draft_version.artifact_sha256
    for key in ("metrics", "feature_schema", "fairness", "findings", "baseline", "training_data", "threshold"):
        assert key in body


def test_model_detail_names_the_production_version(validator, draft_version, take_to):
    assert api_as(validator).get("/api/v1/models/loan-default/").json()["production_version"] is None
    take_to(draft_version, "production")
    assert api_as(validator).get("/api/v1/models/loan-default/").json()["production_version"] == 1


def test_validate_through_the_api_with_waivers(validator, draft_version, take_to):
    version = take_to(draft_version, "submitted")
    response = api_as(validator).post(
        f"/api/v1/versions/{version.pk}/validate/",
        {"comment": "Looks right", "waivers": waive_all_high(version)},
        format="json",
        HTTP_X_REQUEST_ID="req-42",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "validated"
    assert Transition.objects.get(version=version, action="validate").request_id == "req-42"


def test_a_refusal_is_a_403_with_a_readable_reason_and_is_recorded(author, draft_version, take_to):
    version = take_to(draft_version, "submitted")
    response = api_as(author).post(f"/api/v1/versions/{version.pk}/validate/", {"comment": "mine"}, format="json")
    assert response.status_code == 403
    assert "Only a Model Validator may validate" in response.json()["detail"]
    assert Transition.objects.filter(version=version, accepted=False, actor=author).exists()


def test_compliance_officer_cannot_change_anything(make_user, draft_version, take_to):
    version = take_to(draft_version, "production")
    response = api_as(make_user("cora", Role.COMPLIANCE_OFFICER)).post(
        f"/api/v1/versions/{version.pk}/retire/", {"comment": "no"}, format="json"
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.state == VersionState.PRODUCTION


def test_wrong_state_is_a_409(approver, draft_version):
    response = api_as(approver).post(f"/api/v1/versions/{draft_version.pk}/promote/", {}, format="json")
    assert response.status_code == 409
    assert "is draft; promote needs it to be approved" in response.json()["detail"]


def test_unknown_version_or_action_is_a_404(approver, draft_version):
    client = api_as(approver)
    assert client.post("/api/v1/versions/999999/approve/", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/versions/{draft_version.pk}/frobnicate/", {}, format="json").status_code == 404


def test_malformed_waivers_are_a_400_per_field(validator, draft_version, take_to):
    version = take_to(draft_version, "submitted")
    response = api_as(validator).post(f"/api/v1/versions/{version.pk}/validate/", {"waivers": ["x"]}, format="json")
    assert response.status_code == 400
    assert "waivers" in response.json()["errors"]
