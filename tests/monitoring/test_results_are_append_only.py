"""Stored monitoring results are evidence: nobody rewrites them, not even with raw SQL."""

import pytest
from django.db import connection, transaction

from governance.audit import AppendOnlyError
from monitoring.models import DriftResult, JobKind

from .support import WINDOW_START, applications, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(production_version, log_decisions) -> DriftResult:
    log_decisions(production_version, applications(600, seed=11), at=WINDOW_START)
    run_job(JobKind.DRIFT, production_version)
    return DriftResult.objects.get(subject="Credit_Score")


def test_a_stored_result_cannot_be_changed_or_deleted_through_the_orm(stored):
    stored.band = "act"
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.delete()


@pytest.mark.postgresql
def test_the_database_refuses_to_rewrite_results_even_with_raw_sql(stored):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    for sql in (
        "UPDATE monitoring_driftresult SET psi = 0, band = 'stable'",
        "DELETE FROM monitoring_driftresult",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
