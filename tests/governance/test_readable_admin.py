"""Admin screens a person reads: no Python reprs, numbers to 4 digits with the full value in
a tooltip, times marked UTC, ISO date filters, refusal reasons in the transitions list."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from governance.errors import WorkflowRefused
from governance.services import model_version_transition
from governance.templatetags.readable import four_digits, readable
from loanportal.roles import Role
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db
# What str() of a dict or list of strings looks like, escaped or not.
PYTHON_REPR = re.compile(r"\{'|\['|\{&#x27;|\[&#x27;|&#x27;: ")


def test_readable_renders_mappings_lists_and_numbers_for_people():
    assert str(readable({"loan_limit": 0.0222, "age": None})) == (
        '<ul class="readable"><li><strong>loan_limit</strong>: 0.0222</li>'
        "<li><strong>age</strong>: <em>none</em></li></ul>"
    )
    assert str(readable(0.123456789)) == '<span title="0.123456789">0.1235</span>'
    assert str(readable(["CIB", "EQUI"])) == "CIB, EQUI"
    assert str(readable([{"group": "F", "ratio": 0.5}, {"group": "M"}])) == (
        '<table class="readable"><thead><tr><th>group</th><th>ratio</th></tr></thead><tbody>'
        "<tr><td>F</td><td>0.5</td></tr><tr><td>M</td><td></td></tr></tbody></table>"
    )
    assert (
        str(readable({"note": "<script>"}))
        == '<ul class="readable"><li><strong>note</strong>: &lt;script&gt;</li></ul>'
    )
    assert str(four_digits(0.38919362497958687)) == '<span title="0.38919362497958687">0.3892</span>'
    # Times, as datetimes or as the ISO strings JSON keeps them, to the second in UTC.
    at = "2026-12-03T11:59:51.855165+00:00"
    assert str(readable({"at": at})) == (
        f'<ul class="readable"><li><strong>at</strong>: <span title="{at}">2026-12-03 11:59:51 UTC</span></li></ul>'
    )
    moment = datetime(2026, 12, 3, 12, 59, 51, 884663, tzinfo=timezone(timedelta(hours=1)))
    assert str(readable(moment)) == ('<span title="2026-12-03T12:59:51.884663+01:00">2026-12-03 11:59:51 UTC</span>')
    assert str(readable("2026-12-03")) == "2026-12-03"  # a date is not a time


def test_the_model_card_shows_evidence_waivers_and_history_without_python_reprs(
    client, draft_version, take_to, validator
):
    version = take_to(draft_version, "validated")
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_change", args=[version.pk])).content.decode()
    assert "Field-level history" in page or "history" in page.lower()
    assert PYTHON_REPR.findall(page) == []
    assert f'<span title="{version.threshold!r}">{version.threshold:.4f}</span>' in page


def test_the_version_list_rounds_the_threshold_and_says_utc(client, draft_version, validator):
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_changelist")).content.decode()
    assert f'<span title="{draft_version.threshold!r}">{draft_version.threshold:.4f}</span>' in page
    assert f"{draft_version.created_at:%Y-%m-%d %H:%M:%S} UTC" in page
    assert "YYYY-MM-DD" in page


def test_the_transitions_list_shows_the_refusal_reason(client, draft_version, make_user):
    both = make_user("sam", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR)
    model_version_transition(version_id=draft_version.pk, action="submit", actor=both)
    with pytest.raises(WorkflowRefused) as refused:
        model_version_transition(
            version_id=draft_version.pk, action="validate", actor=both, waivers=waive_all_high(draft_version)
        )
    client.force_login(make_user("olga", Role.COMPLIANCE_OFFICER))
    page = client.get(reverse("admin:governance_transition_changelist")).content.decode()
    assert "Refusal reason" in page
    assert refused.value.message.replace("'", "&#x27;") in page


def test_the_monitored_version_form_leads_to_the_monitoring_page(client, draft_version, validator):
    client.force_login(validator)
    response = client.get(reverse("admin:monitoring_monitoredversion_change", args=[draft_version.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:monitoring_version", args=[draft_version.pk])


# Raw JSON as a readonly JSON field shows it, outside the admin's own data-* attributes.
RAW_JSON = re.compile(r">[^<]*(?:\{&quot;|\[\{&quot;)")


def test_decisions_runs_events_and_incidents_show_no_raw_json(
    production_version, log_decisions, api, client, make_user
):
    from io import StringIO

    from django.core.management import call_command

    from monitoring.models import Incident, MonitoringRun
    from predictions.models import DecisionLog
    from predictions.services import decision_log_retention_apply
    from tests.monitoring.support import WINDOW_END, WINDOW_START
    from tests.predictions.support import PREDICT_URL, post_json
    from tests.support import applications

    application = applications(1, seed=3).astype(object).iloc[0]
    assert post_json(api, PREDICT_URL, {k: (None if v != v else v) for k, v in application.items()}).status_code == 201
    frame = applications(600, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.3
    log_decisions(production_version, frame, at=WINDOW_START)
    call_command(
        "run_drift",
        "--model",
        "loan-default",
        "--window-hours",
        "1",
        "--end",
        WINDOW_END.isoformat(),
        stdout=StringIO(),
    )
    event = decision_log_retention_apply()
    client.force_login(make_user("olga", Role.COMPLIANCE_OFFICER, Role.MODEL_VALIDATOR))
    pages = {
        "decision": reverse(
            "admin:predictions_decisionlog_change",
            args=[DecisionLog.objects.first().pk],
        ),
        "run": reverse("admin:monitoring_monitoringrun_change", args=[MonitoringRun.objects.get().pk]),
        "event": reverse("admin:governance_governanceevent_change", args=[event.pk]),
        "incident": reverse("admin:monitoring_incident_change", args=[Incident.objects.first().pk]),
    }
    shown = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert RAW_JSON.findall(page) == [], name
        assert PYTHON_REPR.findall(page) == [], name
        assert '<ul class="readable">' in page or '<table class="readable">' in page, name
        shown[name] = page
    decision = DecisionLog.objects.first()
    assert str(four_digits(decision.probability)) in shown["decision"]
    assert f"{decision.latency_ms:.1f} ms" in shown["decision"]
    drift = MonitoringRun.objects.get().drift_results.order_by("p_value").first()
    assert str(readable(drift.psi)) in shown["run"] and str(readable(drift.p_value)) in shown["run"]
