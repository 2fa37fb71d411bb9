"""Least privilege on PostgreSQL: as the runtime role the portal works (scores, records
outcomes, moves versions, applies retention) but cannot change, delete, truncate or unguard
an audit table. Runs in CI against the machine's PostgreSQL; skipped on SQLite."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg2 import sql
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.services import model_version_transition
from loanportal.audit import audit_models
from predictions.models import DecisionLog, Outcome
from predictions.services import decision_log_retention_apply
from tests.predictions.support import as_application
from tests.support import applications, waive_all_high

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

# Audit table -> its primary key column (every statement below needs one to name).
AUDIT_TABLES = {model._meta.db_table: model._meta.pk.column for model in audit_models()}


@pytest.fixture
def runtime_role() -> Iterator[str]:
    """A runtime role created as deploy/postgres/create_roles.sql does, with its grants."""
    role = f"portal_runtime_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(sql.Identifier(role)))
    call_command("grant_runtime_privileges", "--role", role, stdout=StringIO())
    yield role
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@contextmanager
def connected_as(role: str) -> Iterator[None]:
    """Django's connection logs in as `role` inside the block (trust auth on the test server)."""
    settings_dict = connection.settings_dict
    owner = settings_dict["USER"]
    connection.close()
    settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        settings_dict["USER"] = owner


def refused(statement: sql.Composable) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return str(error.value)


@pytest.mark.parametrize("table", sorted(AUDIT_TABLES))
def test_the_runtime_role_cannot_rewrite_truncate_or_unguard_an_audit_table(runtime_role, table):
    name, key = sql.Identifier(table), sql.Identifier(AUDIT_TABLES[table])
    with connected_as(runtime_role):
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(name))
        # Privileges are checked before any row is looked at: WHERE false still needs them.
        assert "permission denied" in refused(sql.SQL("UPDATE {} SET {} = {} WHERE false").format(name, key, key))
        assert "permission denied" in refused(sql.SQL("DELETE FROM {} WHERE false").format(name))
        assert "permission denied" in refused(sql.SQL("TRUNCATE {}").format(name))
        assert "must be owner" in refused(sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(name))
        assert "must be owner" in refused(sql.SQL("DROP TABLE {}").format(name))


def test_the_runtime_role_cannot_rewrite_a_decision_beyond_retention(runtime_role):
    with connected_as(runtime_role):
        assert "permission denied" in refused(sql.SQL("UPDATE predictions_decisionlog SET probability = 0"))
        assert "permission denied" in refused(sql.SQL("UPDATE predictions_decisionlog SET decision = 'approve'"))


def test_the_portal_works_as_the_runtime_role(
    runtime_role, draft_version, author, validator, approver, api_client_user
):
    token = Token.objects.create(user=api_client_user).key
    application = as_application(applications(1, seed=3).iloc[0])
    with connected_as(runtime_role):
        for action, actor, waivers in (
            ("submit", author, {}),
            ("validate", validator, waive_all_high(draft_version)),
            ("approve", approver, {}),
            ("promote", approver, {}),
        ):
            model_version_transition(
                version_id=draft_version.pk, action=action, actor=actor, comment="as runtime", waivers=waivers
            )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        scored = client.post("/api/v1/predictions/", application, format="json")
        assert scored.status_code == 201, scored.json()
        decision_id = scored.json()["prediction_id"]
        outcome = client.post(
            f"/api/v1/predictions/{decision_id}/outcome/",
            {"defaulted": False, "observed_at": timezone.now().isoformat()},
            format="json",
        )
        assert outcome.status_code == 201, outcome.json()
        event = decision_log_retention_apply(now=timezone.now() + timedelta(days=10_000))
        assert event.details["decisions_cleared"] == 1
    decision = DecisionLog.objects.get(pk=decision_id)
    assert decision.inputs is None and decision.inputs_removed_at is not None
    assert Outcome.objects.filter(decision_log=decision).exists()


def test_granting_to_a_role_that_does_not_exist_says_so():
    with pytest.raises(CommandError, match="There is no database role 'nobody_here'"):
        call_command("grant_runtime_privileges", "--role", "nobody_here")
