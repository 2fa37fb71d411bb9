"""Web workers remember a valid token for API_TOKEN_CACHE_SECONDS, and no longer."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.services import api_token_revoke
from loanportal import authentication
from loanportal.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now[0])
    authentication._recent.clear()
    yield now
    authentication._recent.clear()


def test_a_revoked_token_is_refused_once_the_remembered_seconds_pass(settings, make_user, clock):
    settings.API_TOKEN_CACHE_SECONDS = 5
    reader = make_user("cora", Role.COMPLIANCE_OFFICER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    assert client.get("/api/v1/models/").status_code == 200
    api_token_revoke(user=reader)
    clock[0] += 4.9
    assert client.get("/api/v1/models/").status_code == 200  # still remembered by this worker
    clock[0] += 0.2
    assert client.get("/api/v1/models/").status_code == 401


def test_with_zero_seconds_a_revoked_token_is_refused_at_once(settings, make_user, clock):
    settings.API_TOKEN_CACHE_SECONDS = 0
    reader = make_user("cora", Role.COMPLIANCE_OFFICER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    assert client.get("/api/v1/models/").status_code == 200
    api_token_revoke(user=reader)
    assert client.get("/api/v1/models/").status_code == 401


def test_unknown_tokens_are_never_remembered(settings, clock):
    settings.API_TOKEN_CACHE_SECONDS = 5
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/models/").status_code == 401
    assert authentication._recent == {}
