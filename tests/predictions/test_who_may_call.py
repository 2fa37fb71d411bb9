"""Token authentication for every call: no, a bad or a deactivated client's token is 401;
an API client sees and records outcomes only for its own decisions. Which role may call
which endpoint is tests/security/test_role_matrix.py."""

import pytest
from rest_framework.test import APIClient

from loanportal.roles import Role
from predictions.models import DecisionLog

from .support import BATCH_URL, PREDICT_URL, post_json, token_client

OUTCOME = {"defaulted": False, "observed_at": "2030-01-01T00:00:00Z"}


@pytest.fixture
def decision_id(api, application):
    return post_json(api, PREDICT_URL, application).json()["prediction_id"]


def calls(decision_id, application):
    return [
        ("post", PREDICT_URL, application),
        ("post", BATCH_URL, {"applications": [application]}),
        ("get", f"{PREDICT_URL}{decision_id}/", None),
        ("post", f"{PREDICT_URL}{decision_id}/outcome/", OUTCOME),
        ("post", "/api/v1/outcomes/", {"outcomes": [{"prediction_id": decision_id, **OUTCOME}]}),
    ]


def call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return post_json(client, url, body)


def test_every_endpoint_answers_401_without_a_token_or_with_a_wrong_one(decision_id, application):
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    for client in (APIClient(), wrong):
        for method, url, body in calls(decision_id, application):
            response = call(client, method, url, body)
            assert response.status_code == 401, url
            assert response["WWW-Authenticate"] == "Token"
            assert response.json()["errors"] == {}
    assert DecisionLog.objects.count() == 1


def test_a_deactivated_client_is_refused(api, api_client_user, application, production_version):
    api_client_user.is_active = False
    api_client_user.save()
    assert post_json(api, PREDICT_URL, application).status_code == 401


def test_an_api_client_cannot_see_or_record_another_clients_decisions(make_user, decision_id):
    other = token_client(make_user("other-los", Role.API_CLIENT))
    assert other.get(f"{PREDICT_URL}{decision_id}/").status_code == 404
    assert post_json(other, f"{PREDICT_URL}{decision_id}/outcome/", OUTCOME).status_code == 404
    bulk = post_json(other, "/api/v1/outcomes/", {"outcomes": [{"prediction_id": decision_id, **OUTCOME}]})
    assert bulk.status_code == 400
    assert bulk.json()["errors"] == {"0": {"prediction_id": f"there is no prediction {decision_id} of yours"}}
