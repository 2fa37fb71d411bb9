"""The per-version monitoring page in the admin: charts that render offline, and the incidents."""

import re
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from monitoring.models import Incident, JobKind
from monitoring.windows import Window
from tests.support import applications

from .support import WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitored(production_version, log_decisions):
    frame = applications(1200, seed=11)
    frame["Credit_Score"] = frame["Credit_Score"] * 1.10
    log_decisions(production_version, frame, at=WINDOW_START, defaulted=[False, False, True] * 400)
    run_job(JobKind.DRIFT, production_version, Window(WINDOW_START.replace(hour=8), WINDOW_START))  # no decisions
    run_job(JobKind.DRIFT, production_version)
    run_job(JobKind.FAIRNESS, production_version, Window(WINDOW_START, WINDOW_END))
    run_job(JobKind.PERFORMANCE, production_version, Window(WINDOW_START, WINDOW_END))
    run_job(JobKind.ESTIMATED_PERFORMANCE, production_version)
    return production_version


def test_the_page_charts_drift_score_fairness_and_lists_incidents(monitored, client, compliance_officer):
    client.force_login(compliance_officer)  # read-only roles see it too
    response = client.get(f"/admin/monitoring/monitoredversion/{monitored.pk}/monitoring/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Monitoring of loan-default v1" in page
    charts = re.findall(r"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"([^\"]+)\"", page)
    assert any(c.startswith("PSI per input field") for c in charts)
    assert any(c.startswith("Score distribution: baseline vs window ending 2026-03-02 10:00") for c in charts)
    assert any(c.startswith("Adverse impact ratio by Gender group") for c in charts)
    assert any(c.startswith("ROC-AUC by month cohort") for c in charts)
    assert any(c.startswith("Estimated ROC-AUC (no outcomes)") for c in charts)
    assert any(c.startswith("Backtest: estimated vs realized ROC-AUC") for c in charts)
    assert any(c.startswith("Backtest: estimated vs realized default rate") for c in charts)
    assert "Credit_Score, 03-02 10:00: PSI" in page and "(act)</title>" in page  # the heatmap cell
    incident = Incident.objects.get(subject="Credit_Score")
    assert f'href="/admin/monitoring/incident/{incident.pk}/change/"' in page


def test_the_page_needs_nothing_from_the_internet(monitored, client, validator):
    client.force_login(validator)
    page = client.get(f"/admin/monitoring/monitoredversion/{monitored.pk}/monitoring/").content.decode()
    assert external_urls(page) == set()


# A URL naming another host: absolute (http://, https://) or protocol-relative (//cdn...),
# in an attribute, a CSS url() or @import. Random text (a CSRF token) cannot match.
EXTERNAL_URL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"'\s)>]+)""",
    re.IGNORECASE,
)


def external_urls(page: str) -> set[str]:
    return {url for url in EXTERNAL_URL.findall(page) if not re.match(r"(?:https?:)?//testserver(?:[/:]|$)", url)}


@pytest.mark.parametrize(
    "snippet, found",
    [
        ('<script src="https://cdn.jsdelivr.net/npm/x.js"></script>', True),
        ("<link rel=stylesheet href=//cdnjs.cloudflare.com/a.css>", True),
        ("<style>body { background: url('http://example.com/bg.png') }</style>", True),
        ('<style>@import "//fonts.example.com/f.css";</style>', True),
        ('<input name="csrfmiddlewaretoken" value="mvuc2fcdnzkh4s">', False),
        ('<a href="/admin/">admin</a> <img src="/static/x.png">', False),
        ('<a href="http://testserver/admin/">same host</a>', False),
    ],
)
def test_the_external_url_check_finds_other_hosts_only(snippet, found):
    assert bool(external_urls(snippet)) is found


def test_a_version_without_runs_says_so(production_version, client, validator):
    client.force_login(validator)
    page = client.get(f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/").content.decode()
    assert "No drift window has been computed for this version yet." in page


def test_people_without_a_portal_role_cannot_open_it(production_version, client, api_client_user):
    client.force_login(api_client_user)  # not staff
    response = client.get(f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_index_lists_versions_with_their_active_incidents(monitored, register_version, client, validator):
    draft = register_version()
    client.force_login(validator)
    page = client.get("/admin/monitoring/monitoredversion/").content.decode()
    production_link = f'href="/admin/monitoring/monitoredversion/{monitored.pk}/monitoring/"'
    assert production_link in page
    assert f'href="/admin/monitoring/monitoredversion/{draft.pk}/monitoring/"' in page
    assert page.index(production_link) < page.index(f"/monitoredversion/{draft.pk}/monitoring/")  # production first
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.DOTALL)
    production_row = next(r for r in rows if production_link in r)
    active = Incident.objects.filter(model_version=monitored, status="open").count()
    assert active >= 1
    assert f'<td class="field-active_incidents">{active}</td>' in production_row
    assert "2026-03-02 10:00:00 UTC" in production_row  # latest drift window end, ISO and marked UTC


def test_each_field_has_a_data_quality_panel_that_its_incidents_link_to(
    production_version, log_decisions, client, validator
):
    frame = applications(800, seed=13)
    frame["income"] = np.nan  # the feed stopped filling it
    log_decisions(production_version, frame, at=WINDOW_START)
    run_job(JobKind.DATA_QUALITY, production_version)
    incident = Incident.objects.get(kind="data_quality", subject="income")
    client.force_login(validator)
    page = client.get(f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/").content.decode()
    for field in production_version.feature_schema["fields"]:
        assert f'id="data-quality-{field["name"]}"' in page
    assert "<h3>income (breached)</h3>" in page
    assert 'href="#data-quality-income"' in page  # the version's incident list
    queue = client.get("/admin/monitoring/incident/").content.decode()
    assert f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/#data-quality-income" in queue
    assert incident.severity == "P2"


def test_drift_charts_of_windows_with_too_few_decisions_say_so(production_version, log_decisions, client, validator):
    log_decisions(production_version, applications(120, seed=3), at=WINDOW_START)
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
    client.force_login(validator)
    page = client.get(f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/").content.decode()
    # Across the heatmap and the score PSI chart, and in every cell's tooltip.
    assert page.count(">insufficient data: 120 decisions</text>") == 2
    assert "Credit_Score, 03-02 10:00: insufficient data: 120 decisions" in page
