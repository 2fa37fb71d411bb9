"""Every audit table is guarded in the database: triggers refuse UPDATE and DELETE row by
row and TRUNCATE per statement, whoever runs them (the table's owner and superusers too).
A new audit table without both triggers fails here. PostgreSQL only."""

import pytest
from django.db import DatabaseError, connection, transaction
from psycopg2 import sql

from loanportal.database_roles import audit_models

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

AUDIT_TABLES = sorted({model._meta.db_table for model in audit_models()})


def test_the_audit_tables_are_the_ones_the_readme_names():
    expected = {
        "governance_transition", "governance_governanceevent", "governance_historicalmodelversion",
        "governance_historicalregisteredmodel", "predictions_decisionlog", "predictions_outcome",
        "monitoring_historicalincident", "monitoring_historicalmonitoringpolicy", "monitoring_driftresult",
        "monitoring_fairnessresult", "monitoring_performancecohort",
    }  # fmt: skip
    assert expected <= set(AUDIT_TABLES)


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_every_audit_table_has_its_row_and_truncate_triggers(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
            [table],
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert {f"{table}_append_only", f"{table}_no_truncate"} <= triggers


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_truncate_is_refused_even_for_the_owner(table):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        before = cursor.fetchone()[0]
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.Identifier(table)))
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        assert cursor.fetchone()[0] == before
