"""Periodic review: four-eyes, the review clock it restarts, the incidents it opens and
resolves, and the daily job that opens and escalates `review_due`."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from governance.inventory import inventory_entries
from governance.models import PeriodicReview
from governance.reviews import review_due_incidents_raise
from governance.tasks import review_due_dates
from loanportal.roles import Role
from monitoring.models import Incident, IncidentStatus
from tests.predictions.support import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/models/loan-default/reviews/"
FINDING = {"type": "limitation", "severity": "medium", "owner": "Retail Credit Risk", "description": "Thin files."}


def review(user, outcome="satisfactory", comment="Annual revalidation.", findings=()):
    body = {"outcome": outcome, "comment": comment, "findings": list(findings)}
    return token_client(user).post(URL, body, format="json")


def test_an_independent_validator_records_a_review_with_findings(production_version, validator):
    response = review(validator, "satisfactory_with_findings", findings=[FINDING])
    assert response.status_code == 201, response.content
    stored = PeriodicReview.objects.get()
    assert (stored.version, stored.reviewer, stored.outcome, stored.findings) == (
        production_version,
        validator,
        "satisfactory_with_findings",
        [FINDING],
    )
    assert stored.reviewer_roles == [Role.MODEL_VALIDATOR]
    assert response.json()["reviewer"] == validator.username


@pytest.mark.parametrize("username", ["dana-scientist", "ada-approver"], ids=["author and submitter", "approver"])
def test_authors_submitters_and_approvers_may_not_review_even_as_validators(production_version, make_user, username):
    user = make_user(username, Role.MODEL_VALIDATOR)  # the fixtures' author or approver, now also a validator
    response = review(user)
    assert response.status_code == 403
    assert "four-eyes review requires someone else to review it" in response.json()["detail"]
    assert not PeriodicReview.objects.exists()


def test_a_data_scientist_may_not_review_and_is_told_why(production_version, make_user):
    response = review(make_user("sam-scientist", Role.DATA_SCIENTIST))
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only a Model Validator may review")


def test_no_production_version_is_a_conflict(draft_version, validator):
    response = review(validator)
    assert response.status_code == 409
    assert "no version in production" in response.json()["detail"]
    assert not PeriodicReview.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "fine", "comment": "x"},
        {"outcome": "satisfactory", "comment": ""},
        {"outcome": "satisfactory", "comment": "x", "findings": [{**FINDING, "type": "opinion"}]},
        {"outcome": "satisfactory_with_findings", "comment": "x", "findings": []},
    ],
)
def test_bad_reviews_are_refused_with_per_field_messages(production_version, validator, body):
    response = token_client(validator).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["errors"]
    assert not PeriodicReview.objects.exists()


def test_a_review_restarts_the_review_clock(production_version, validator):
    review(validator)
    (entry,) = inventory_entries()
    stored = PeriodicReview.objects.get()
    assert entry.last_validated_at == stored.created_at
    assert entry.next_review_due == timezone.localdate(stored.created_at) + relativedelta(months=12)


def test_an_unsatisfactory_review_opens_a_p1_review_failed_incident(production_version, validator):
    review(validator, "unsatisfactory", comment="Calibration has drifted beyond appetite.")
    incident = Incident.objects.get(kind="review_failed")
    assert (incident.severity, incident.model_version, incident.status) == ("P1", production_version, "open")
    assert f"#{PeriodicReview.objects.get().pk}" in incident.summary


def test_review_due_opens_at_p3_30_days_before_and_escalates_on_the_due_date_and_30_days_after(production_version):
    (entry,) = inventory_entries()
    due = entry.next_review_due

    assert review_due_incidents_raise(today=due - timedelta(days=31)) == []
    seen = [
        review_due_incidents_raise(today=day)[0].severity
        for day in (due - timedelta(days=30), due - timedelta(days=1), due, due + timedelta(days=29))
    ]
    seen.append(review_due_incidents_raise(today=due + timedelta(days=30))[0].severity)

    assert seen == ["P3", "P3", "P2", "P2", "P1"]
    incident = Incident.objects.get(kind="review_due")  # one incident, updated in place
    assert (incident.occurrences, incident.subject, incident.model_version) == (5, "loan-default", production_version)
    reasons = [h.history_change_reason for h in incident.history.order_by("history_id")]
    assert sum(reason.startswith("Escalated") for reason in reasons) == 2
    # A lower severity on a later run never lowers the incident's.
    review_due_incidents_raise(today=due - timedelta(days=10))
    incident.refresh_from_db()
    assert incident.severity == "P1"


def test_a_satisfactory_review_resolves_review_due_with_a_note_naming_it(production_version, validator):
    (entry,) = inventory_entries()
    review_due_incidents_raise(today=entry.next_review_due)
    review(validator, "satisfactory_with_findings", findings=[FINDING])
    incident = Incident.objects.get(kind="review_due")
    stored = PeriodicReview.objects.get()
    assert (incident.status, incident.resolved_by) == (IncidentStatus.RESOLVED, validator)
    assert f"Periodic review #{stored.pk}" in incident.resolution_note
    assert not Incident.objects.filter(kind="review_due", status__in=["open", "acknowledged"]).exists()


def test_the_daily_task_runs_the_job_and_is_safe_to_run_twice(production_version, monkeypatch):
    (entry,) = inventory_entries()
    real = timezone.localdate
    # "Today" is the due date; dates of stored times are converted as before.
    monkeypatch.setattr(timezone, "localdate", lambda *a: real(*a) if a else entry.next_review_due)
    first, second = review_due_dates.apply().get(), review_due_dates.apply().get()
    assert first == second and len(first) == 1
    assert Incident.objects.filter(kind="review_due").count() == 1


def test_the_model_card_shows_reviews_and_records_one(production_version, validator, client):
    client.force_login(validator)
    card = f"/admin/governance/modelversion/{production_version.pk}/change/"
    assert "Record a periodic review" in client.get(card).content.decode()
    response = client.post(
        f"/admin/governance/modelversion/{production_version.pk}/review/",
        {"outcome": "satisfactory", "comment": "Reviewed from the card."},
    )
    assert response.status_code == 302
    page = client.get(card).content.decode()
    assert "Reviewed from the card." in page
    assert PeriodicReview.objects.get().reviewer == validator


def test_the_review_clock_job_is_scheduled_daily_in_the_database():
    from django_celery_beat.models import PeriodicTask

    from loanportal.celery import app

    task = PeriodicTask.objects.select_related("crontab").get(name="Governance: review due dates")
    assert (task.task, task.enabled, task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == (
        "governance.review_due_dates",
        True,
        "0",
        "1",
        "*",
    )
    app.loader.import_default_modules()
    assert task.task in app.tasks
