"""Drift opens an incident; a validator works it to resolution in a real browser."""

from datetime import timedelta

import numpy as np
import pytest

from governance.services import portal_user_provision
from loanportal.roles import Role
from monitoring.models import Incident, IncidentStatus, JobKind
from monitoring.windows import Window
from tests.browser.support import log_in
from tests.monitoring.support import WINDOW_END, run_job
from tests.support import applications

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long browser test password"
HOURS = 4


@pytest.fixture
def drifted_version(draft_version, take_to, log_decisions, scorer):
    """Four scheduled hours of decisions; in the last one Credit_Score came in 10% higher.
    Outcomes are drawn from the model's own probabilities, so performance looks as validated."""
    version = take_to(draft_version, "production")
    rng = np.random.default_rng(5)
    for hour in range(HOURS):
        start = WINDOW_END - timedelta(hours=HOURS - hour)
        frame = applications(900, seed=40 + hour)
        if hour == HOURS - 1:
            frame["Credit_Score"] = frame["Credit_Score"] * 1.10
        probability = scorer.probabilities(scorer.encoder.model_matrix(scorer.encoder.encode_frame(frame)))
        defaulted = rng.random(len(frame)) < probability
        log_decisions(version, frame, at=start + timedelta(minutes=30), defaulted=defaulted)
        run_job(JobKind.DRIFT, version, Window(start, start + timedelta(hours=1)))
    run_job(JobKind.FAIRNESS, version, Window(WINDOW_END - timedelta(hours=HOURS), WINDOW_END))
    run_job(JobKind.PERFORMANCE, version, Window(WINDOW_END - timedelta(hours=HOURS), WINDOW_END))
    return version


def choose_action(page, incident: Incident, action: str) -> None:
    page.goto("/admin/monitoring/incident/")
    page.check(f"input[name=_selected_action][value='{incident.pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_validator_acknowledges_and_resolves_a_drift_incident(page, drifted_version, screenshot_dir):
    portal_user_provision(username="vic", role=Role.MODEL_VALIDATOR, password=PASSWORD, check_password=False)
    incident = Incident.objects.get(subject="Credit_Score", status=IncidentStatus.OPEN)
    drift = Incident.objects.filter(kind__in=["data_drift", "score_drift"])
    assert list(drift.values_list("subject", flat=True)) == ["Credit_Score"]  # that input only
    log_in(page, "vic", PASSWORD)

    page.goto(f"/admin/monitoring/monitoredversion/{drifted_version.pk}/monitoring/")
    assert page.locator("svg[aria-label^='PSI per input field']").count() == 1
    assert page.locator(f"a[href='/admin/monitoring/incident/{incident.pk}/change/']").count() >= 1
    page.screenshot(path=str(screenshot_dir / "monitoring-page-hourly-drift.png"), full_page=True)

    choose_action(page, incident, "acknowledge_selected")
    assert f"Incident #{incident.pk} acknowledged." in page.locator("ul.messagelist").inner_text()
    incident.refresh_from_db()
    assert (incident.status, incident.owner.username) == (IncidentStatus.ACKNOWLEDGED, "vic")

    choose_action(page, incident, "resolve_selected")
    note = page.locator("textarea[name=resolution_note]")
    page.click("input[type=submit][value=Resolve]")  # the browser refuses to send it without a note
    assert note.evaluate("field => field.validity.valueMissing")
    note.fill("Bureau feed re-scaled Credit_Score; fixed upstream.")
    page.click("input[type=submit][value=Resolve]")
    assert f"Incident #{incident.pk} resolved." in page.locator("ul.messagelist").inner_text()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution_note == "Bureau feed re-scaled Credit_Score; fixed upstream."
    reasons = list(incident.history.order_by("history_date").values_list("status", "history_user__username"))
    assert reasons[-2:] == [("acknowledged", "vic"), ("resolved", "vic")]
