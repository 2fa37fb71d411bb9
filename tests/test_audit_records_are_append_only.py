"""Audit records are never changed or deleted: not through the ORM, and on PostgreSQL not
even with raw SQL or TRUNCATE (whoever runs it, the owner too), for every append-only model
and every history table.

`test_every_audit_table_is_covered` fails when an append-only model or a history table is
added without a row in `REWRITES`: a new audit record is not append-only until someone
has shown the database refuses to rewrite it.
"""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from psycopg2 import sql as pg_sql

from governance.models import RetrainingPolicy, ReviewPolicy
from governance.reports.services import report_generate
from governance.reviews import periodic_review_record
from governance.sealing.services import audit_seal
from loanportal.audit import AppendOnlyError, AppendOnlyModel, audit_models
from monitoring import rules
from monitoring.comparisons import comparison_create, comparison_request_check
from monitoring.incidents import incident_raise
from monitoring.models import ChallengerScore, JobKind, Trigger
from predictions.models import DecisionLog
from predictions.services import refused_applications_record
from tests.support import applications

from .monitoring.support import WINDOW_START, run_job

pytestmark = pytest.mark.django_db

# Per audit table, a change to one of its columns that a trigger must refuse.
REWRITES = {
    "governance_transition": "comment = 'rewritten'",
    "governance_governanceevent": "summary = 'rewritten'",
    "governance_historicalmodelversion": "history_change_reason = 'rewritten'",
    "governance_historicalregisteredmodel": "history_change_reason = 'rewritten'",
    "governance_historicalretrainingpolicy": "history_change_reason = 'rewritten'",
    "governance_auditblock": "merkle_root = repeat('0', 64)",
    "governance_auditleaf": "position = position + 1",
    "governance_historicalreviewpolicy": "history_change_reason = 'rewritten'",
    "governance_periodicreview": "outcome = 'satisfactory'",
    "governance_report": "sha256 = 'rewritten'",
    "predictions_decisionlog": "probability = 0.01",
    "predictions_outcome": "defaulted = NOT defaulted",
    "predictions_refusedapplication": "request_id = 'rewritten'",
    "monitoring_driftresult": "psi = 0, band = 'stable'",
    "monitoring_fairnessresult": "passes_four_fifths = NOT passes_four_fifths",
    "monitoring_performancecohort": "brier = 0",
    "monitoring_estimatedperformance": "expected_default_rate = 0",
    "monitoring_dataqualityresult": "missing_share = 0",
    "monitoring_estimationbacktest": "default_rate_error = 0",
    "monitoring_comparison": "n_outcomes = 0",
    "monitoring_challengerscore": "probability = 0.5",
    "monitoring_historicalincident": "history_change_reason = 'rewritten'",
    "monitoring_historicalmonitoringpolicy": "history_change_reason = 'rewritten'",
}
AUDIT_MODELS = audit_models()
APPEND_ONLY_MODELS = [m for m in AUDIT_MODELS if issubclass(m, AppendOnlyModel)]


@pytest.fixture
def audit_rows(production_version, challenger_version, log_decisions, api_client_user, validator):
    """At least one row in every audit table: the workflow's transitions and history, a
    retraining policy's history, a provisioning event, decisions with outcomes, a refused
    application, one run of each job, an incident, a challenger comparison and a shadow score,
    a periodic review, a report and the audit blocks sealing them."""
    RetrainingPolicy.objects.create(registered_model=production_version.registered_model)
    log_decisions(production_version, applications(600, seed=11), at=WINDOW_START, defaulted=[False, True] * 300)
    refused_applications_record(
        version=production_version, client=api_client_user, request_id="r", errors={"x": "unknown field"}, batch=False
    )
    for kind in JobKind:
        run_job(kind, production_version)
    incident_raise(
        breach=rules.drift_breach(subject="Credit_Score", psi=0.4, alerting=True, act=0.25), version=production_version
    )
    comparison_create(
        subject=comparison_request_check(
            model_name=production_version.registered_model.name,
            challenger_id=challenger_version.pk,
            start=WINDOW_START,
            end=WINDOW_START + timedelta(hours=1),
        ),
        trigger=Trigger.COMMAND,
    )
    ChallengerScore.objects.create(
        decision_log=DecisionLog.objects.first(), challenger=challenger_version, probability=0.3, decision="approve"
    )
    policy = ReviewPolicy.objects.get(risk_tier="tier_1")
    policy.months = 12
    policy.save()
    periodic_review_record(
        registered_model=production_version.registered_model,
        reviewer=validator,
        outcome="unsatisfactory",
        comment="Rewrite me if you can.",
    )
    report_generate(version_id=production_version.pk, kind="validation")
    audit_seal()


def test_every_audit_table_is_covered():
    assert {m._meta.db_table for m in AUDIT_MODELS} == set(REWRITES)


@pytest.mark.parametrize("model", APPEND_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_an_audit_record_cannot_be_changed_or_deleted_through_the_orm(audit_rows, model):
    record = model.objects.first()
    assert record is not None, f"the fixture wrote no {model._meta.label}"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


@pytest.mark.postgresql
@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m._meta.label)
def test_the_database_refuses_to_rewrite_or_delete_audit_rows_even_with_raw_sql(audit_rows, model):
    table = model._meta.db_table
    assert model.objects.exists(), f"the fixture wrote no {model._meta.label}"
    # Table names come from the models, the changes from the table above.
    for sql in (f"UPDATE {table} SET {REWRITES[table]}", f"DELETE FROM {table}"):  # nosec B608
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.postgresql
@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m._meta.label)
def test_every_audit_table_has_its_row_and_truncate_triggers(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
            [table],
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert {f"{table}_append_only", f"{table}_no_truncate"} <= triggers


@pytest.mark.postgresql
@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m._meta.label)
def test_truncate_is_refused_even_for_the_tables_owner(audit_rows, model):
    rows = model.objects.count()
    assert rows, f"the fixture wrote no {model._meta.label}"
    # Row-level triggers do not fire on TRUNCATE; the statement-level one must.
    truncate = pg_sql.SQL("TRUNCATE {} CASCADE").format(pg_sql.Identifier(model._meta.db_table))
    with connection.cursor() as cursor:
        # The rows were written in this test's transaction: check their deferred foreign keys
        # now, or PostgreSQL refuses TRUNCATE for pending trigger events before ours can.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(truncate)
    assert model.objects.count() == rows
