"""A breach that recurs updates the open incident instead of opening another."""

from datetime import timedelta

import pytest

from monitoring.incidents import incident_resolve
from monitoring.models import DriftResult, Incident, JobKind
from monitoring.windows import Window
from tests.support import applications

from .support import WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db
NEXT_START, NEXT_END = WINDOW_END, WINDOW_END + timedelta(hours=1)


def drifted(shift: float, seed: int):
    frame = applications(2000, seed=seed)
    frame["Credit_Score"] = frame["Credit_Score"] * shift
    return frame


def test_a_recurring_breach_counts_on_the_open_incident(production_version, log_decisions):
    log_decisions(production_version, drifted(1.20, seed=11), at=WINDOW_START)
    log_decisions(production_version, drifted(1.10, seed=12), at=NEXT_START)

    first = run_job(JobKind.DRIFT, production_version, Window(WINDOW_START, WINDOW_END))
    opened = Incident.objects.get()
    second = run_job(JobKind.DRIFT, production_version, Window(NEXT_START, NEXT_END))

    incident = Incident.objects.get()  # still one
    first_psi = DriftResult.objects.get(run=first, subject="Credit_Score").psi
    second_psi = DriftResult.objects.get(run=second, subject="Credit_Score").psi
    assert first_psi > second_psi  # the first window drifted further
    assert incident.pk == opened.pk
    assert incident.occurrences == 2
    assert incident.first_seen == opened.first_seen
    assert incident.last_seen > opened.last_seen
    assert incident.worst_value == pytest.approx(first_psi)  # worst seen, not latest
    assert incident.metric_snapshot["value"] == pytest.approx(second_psi)  # latest snapshot
    assert incident.metric_snapshot["run_id"] == second.pk
    assert incident.last_run == second
    reasons = list(incident.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[0].startswith("Opened") and reasons[1].startswith("Seen again (2x)")


def test_a_breach_after_resolution_opens_a_new_incident(production_version, log_decisions, author):
    log_decisions(production_version, drifted(1.10, seed=11), at=WINDOW_START)
    log_decisions(production_version, drifted(1.10, seed=12), at=NEXT_START)
    run_job(JobKind.DRIFT, production_version, Window(WINDOW_START, WINDOW_END))
    first = Incident.objects.get()
    incident_resolve(incident_id=first.pk, actor=author, note="Upstream bureau changed its scale; fixed in the feed.")

    run_job(JobKind.DRIFT, production_version, Window(NEXT_START, NEXT_END))

    assert Incident.objects.count() == 2
    reopened = Incident.objects.exclude(pk=first.pk).get()
    assert (reopened.status, reopened.occurrences, reopened.subject) == ("open", 1, "Credit_Score")
