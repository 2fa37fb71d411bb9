"""Provisioning users by command, and rotating or revoking their API tokens."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.models import EventKind, GovernanceEvent
from loanportal.roles import user_roles

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_portal_user_gives_the_role_and_prints_a_token(django_user_model):
    output = run("create_portal_user", "los-prod", "--role", "api-client", "--token")
    user = django_user_model.objects.get(username="los-prod")
    assert user_roles(user) == {"API Client"}
    assert not user.is_staff and not user.has_usable_password()
    assert f"API token: {Token.objects.get(user=user).key}" in output
    assert GovernanceEvent.objects.get(kind=EventKind.USER_PROVISIONED).details["role"] == "API Client"


def test_staff_roles_may_use_the_admin_with_a_checked_password(django_user_model):
    run("create_portal_user", "vera", "--role", "Model Validator", "--password", "correct horse battery staple")
    user = django_user_model.objects.get(username="vera")
    assert user.is_staff and user.check_password("correct horse battery staple")
    with pytest.raises(CommandError, match="Password refused"):
        run("create_portal_user", "weak", "--role", "model_validator", "--password", "short")
    assert not django_user_model.objects.filter(username="weak").exists()


def test_rotating_a_token_retires_the_old_one_at_once(django_user_model):
    run("create_portal_user", "los", "--role", "API Client", "--token")
    old = Token.objects.get(user__username="los").key
    output = run("rotate_api_token", "los")
    new = Token.objects.get(user__username="los").key
    assert new != old and new in output
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get("/api/v1/models/").status_code == 401
    assert GovernanceEvent.objects.filter(kind=EventKind.TOKEN_ROTATED).count() == 1


def test_revoking_a_token_locks_the_client_out():
    run("create_portal_user", "los", "--role", "API Client", "--token")
    key = Token.objects.get(user__username="los").key
    assert "revoked" in run("revoke_api_token", "los")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/models/").status_code == 401
    assert GovernanceEvent.objects.get(kind=EventKind.TOKEN_REVOKED).details == {"username": "los", "revoked": True}


def test_unknown_user_is_reported():
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("rotate_api_token", "ghost")
