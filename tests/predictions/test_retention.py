"""Retention removes applicant inputs from old decisions and keeps what the bank must keep."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from governance.models import EventKind, GovernanceEvent
from monitoring.models import Incident
from predictions import services
from predictions.models import DecisionLog
from predictions.tasks import retention_apply
from tests.support import applications

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_and_new(production_version, log_decisions, settings):
    settings.DECISION_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    old = log_decisions(production_version, applications(3, seed=1), at=now - timedelta(days=31))
    new = log_decisions(production_version, applications(2, seed=2), at=now - timedelta(days=29))
    return old, new


def test_inputs_older_than_the_retention_period_are_removed_and_the_decision_kept(old_and_new):
    old, new = old_and_new
    event = GovernanceEvent.objects.get(pk=json.loads(run_command())["event_id"])

    for row in old:
        stored = DecisionLog.objects.get(pk=row.pk)
        assert stored.inputs is None and stored.features is None
        assert stored.inputs_removed_at is not None
        assert (stored.decision, stored.probability, stored.model_version_id, stored.created_at) == (
            row.decision,
            row.probability,
            row.model_version_id,
            row.created_at,
        )
    for row in new:
        stored = DecisionLog.objects.get(pk=row.pk)
        assert stored.inputs == row.inputs and bytes(stored.features) == row.features
        assert stored.inputs_removed_at is None

    assert event.kind == EventKind.RETENTION
    assert event.details["decisions_cleared"] == 3
    assert event.details["retention_days"] == 30
    assert "Removed applicant inputs from 3 decisions" in event.summary


def test_a_second_run_finds_nothing_new_and_is_still_recorded(old_and_new):
    run_command()
    second = json.loads(run_command())
    assert second["decisions_cleared"] == 0
    assert GovernanceEvent.objects.filter(kind=EventKind.RETENTION).count() == 2


@pytest.mark.postgresql
def test_the_database_refuses_any_other_change_to_a_logged_decision(old_and_new):
    old, _ = old_and_new
    run_command()
    other_decision = "approve" if old[0].decision == "decline" else "decline"
    # Rewriting the score or the decision, or putting personal data back after retention.
    for change in ({"probability": 0.01}, {"decision": other_decision}, {"inputs": {"Gender": "Male"}}):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            DecisionLog.objects.filter(pk=old[0].pk).update(**change)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        DecisionLog.objects.filter(pk=old[0].pk).delete()


def run_command() -> str:
    out = StringIO()
    call_command("apply_retention", stdout=out)
    return out.getvalue()


def test_retention_that_gives_up_opens_a_job_failure_incident(monkeypatch):
    def full_disk(**kwargs):
        raise RuntimeError("could not extend file: No space left on device")

    monkeypatch.setattr(services, "decision_log_retention_apply", full_disk)
    assert retention_apply.apply().failed()
    incident = Incident.objects.get()
    assert (incident.kind, incident.subject, incident.model_version) == ("job_failure", "retention", None)
    assert "No space left on device" in incident.summary
