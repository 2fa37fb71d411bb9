"""Registry invariants the database enforces, not only the code."""

import pytest
from django.db import IntegrityError, connection, transaction

from governance.audit import AppendOnlyError
from governance.models import ModelVersion, Transition, VersionState


@pytest.mark.django_db
def test_a_model_has_at_most_one_production_version(register_version):
    first, second = register_version(), register_version()
    ModelVersion.objects.filter(pk=first.pk).update(state=VersionState.PRODUCTION)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(state=VersionState.PRODUCTION)


@pytest.mark.django_db
def test_registration_records_history_with_a_reason(draft_version):
    record = draft_version.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == "Registered by the training pipeline"
    assert record.history_user == draft_version.created_by


@pytest.mark.django_db
def test_transition_records_cannot_be_changed_or_deleted_through_the_orm(draft_version):
    record = Transition.objects.get(version=draft_version)
    record.comment = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


@pytest.mark.django_db
@pytest.mark.postgresql
def test_database_refuses_to_rewrite_audit_rows_even_with_raw_sql(draft_version):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    for sql in (
        "UPDATE governance_transition SET comment = 'rewritten'",
        "DELETE FROM governance_transition",
        "DELETE FROM governance_historicalmodelversion",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
