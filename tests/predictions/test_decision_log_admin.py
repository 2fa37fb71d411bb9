"""Compliance reads the decision log in the admin, filters it and exports it; nobody can
add, change or delete a decision or an outcome there, superusers included."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from loanportal.roles import Role
from predictions.models import DecisionLog, Outcome

from .support import BATCH_URL, PREDICT_URL, post_json, token_client

CHANGELIST = "/admin/predictions/decisionlog/"
EXPORT = "/admin/predictions/decisionlog/export.csv"


@pytest.fixture
def logged(api, applications):
    results = post_json(api, BATCH_URL, {"applications": applications[:40]}).json()["results"]
    pid = results[0]["prediction_id"]
    post_json(api, f"{PREDICT_URL}{pid}/outcome/", {"defaulted": True, "observed_at": timezone.now().isoformat()})
    return results


@pytest.fixture
def superuser_browser(db):
    browser = Client()
    browser.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "root-password-123"))
    return browser


@pytest.fixture
def compliance_browser(make_user):
    browser = Client()
    browser.force_login(make_user("olga-compliance", Role.COMPLIANCE_OFFICER))
    return browser


def exported(browser, query: str = "") -> list[dict[str, str]]:
    response = browser.get(EXPORT + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_compliance_lists_decisions_filtered_by_decision_version_client_and_date(
    compliance_browser, logged, production_version, api_client_user, make_user, register_version, take_to, applications
):
    newer = take_to(register_version(), "production")
    other_client = token_client(make_user("second-los", Role.API_CLIENT))
    assert post_json(other_client, PREDICT_URL, applications[0]).json()["model_version"] == newer.version
    page = compliance_browser.get(CHANGELIST)
    assert page.status_code == 200
    assert [spec.title for spec in page.context["cl"].filter_specs] == [
        "model version",
        "decision",
        "created at",
        "client",
        "demo",
    ]
    declines = DecisionLog.objects.filter(decision="decline").count()
    assert declines == sum(r["decision"] == "decline" for r in logged) + (
        DecisionLog.objects.filter(model_version=newer, decision="decline").count()
    )
    filtered = compliance_browser.get(CHANGELIST, {"decision__exact": "decline"})
    assert filtered.context["cl"].result_count == declines
    every_filter = {
        "model_version__id__exact": production_version.pk,
        "client__id__exact": api_client_user.pk,
        "created_at__date__gte": timezone.now().date().isoformat(),
        "created_at__date__lte": timezone.now().date().isoformat(),
    }
    assert compliance_browser.get(CHANGELIST, every_filter).context["cl"].result_count == 40
    assert compliance_browser.get(CHANGELIST, {"model_version__id__exact": newer.pk}).context["cl"].result_count == 1


def test_the_csv_export_has_every_row_the_filters_select(compliance_browser, logged):
    rows = exported(compliance_browser, "?decision__exact=decline")
    expected = {r["prediction_id"]: r for r in logged if r["decision"] == "decline"}
    assert {row["prediction_id"] for row in rows} == set(expected)
    row = rows[0]
    result = expected[row["prediction_id"]]
    assert float(row["probability_default"]) == result["probability_default"]
    assert row["reason_codes"] == ";".join(r["code"] for r in result["reason_codes"])
    assert (row["client"], row["model"], row["risk_band"]) == ("los-client", "loan-default", result["risk_band"])
    assert len(exported(compliance_browser)) == 40


def test_the_changelist_links_to_the_export_with_its_filters(compliance_browser, logged):
    page = compliance_browser.get(CHANGELIST, {"decision__exact": "approve"}).content.decode()
    assert f'href="{EXPORT}?decision__exact=approve"' in page


@pytest.mark.parametrize("model", ["decisionlog", "outcome"])
def test_nobody_can_add_change_or_delete_in_the_admin_not_even_a_superuser(superuser_browser, logged, model):
    target = DecisionLog.objects.first() if model == "decisionlog" else Outcome.objects.get()
    base = f"/admin/predictions/{model}/"
    assert superuser_browser.get(base).status_code == 200
    assert superuser_browser.get(f"{base}{target.pk}/change/").status_code == 200  # a read-only view
    assert superuser_browser.get(f"{base}add/").status_code == 403
    assert superuser_browser.post(f"{base}{target.pk}/change/", {"decision": "approve"}).status_code == 403
    assert superuser_browser.post(f"{base}{target.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = superuser_browser.post(base, {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert DecisionLog.objects.count() == 40 and Outcome.objects.count() == 1


def test_staff_without_the_compliance_role_cannot_see_the_decision_log(make_user, logged):
    browser = Client()
    browser.force_login(make_user("sam-scientist", Role.DATA_SCIENTIST))
    assert browser.get(CHANGELIST).status_code == 403
    assert browser.get(EXPORT).status_code == 403


def test_demo_decisions_are_marked_and_filtered_in_the_decision_log(compliance_browser, logged, production_version):
    from datetime import timedelta

    from predictions.demo import demo_decisions_backdate
    from tests.support import applications as demo_applications

    yesterday = timezone.now() - timedelta(days=1)
    demo_decisions_backdate(
        version=production_version,
        applications=demo_applications(3, seed=5),
        created_at=[yesterday] * 3,
        client=DecisionLog.objects.first().client,
        request_id="demo-history-test",
    )
    page = compliance_browser.get(CHANGELIST + "?demo__exact=1").content.decode()
    assert page.count("demo-history-test") == 3
    assert "demo-history-test" not in compliance_browser.get(CHANGELIST + "?demo__exact=0").content.decode()
    rows = exported(compliance_browser, "?demo__exact=1")
    assert len(rows) == 3 and {row["demo"] for row in rows} == {"True"}
    detail = compliance_browser.get(f"{CHANGELIST}{DecisionLog.objects.filter(demo=True).first().pk}/change/")
    assert "Demo data" in detail.content.decode()
