"""PDF reports: their text holds the database's figures, the same data gives the same
bytes, each is stored once with its SHA-256 as a governance event, and bad requests are
refused with a sentence and store nothing."""

import hashlib
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.utils import timezone

from governance.models import EventKind, GovernanceEvent, Report, RetrainingRun, RetrainingState, RetrainingTrigger
from governance.reports.data import Month
from governance.reports.pdf import report_pdf
from governance.reports.services import monitoring_reports_generate, report_generate
from governance.reviews import periodic_review_record
from loanportal.errors import Conflict, InvalidInput, NotFound
from monitoring import rules
from monitoring.incidents import incident_raise, incident_resolve
from monitoring.models import DriftResult, JobKind
from monitoring.windows import Window
from tests.monitoring.support import run_job
from tests.predictions.support import token_client
from tests.support import applications, comparison_record

pytestmark = pytest.mark.django_db


def _pdf_tools_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # pango or its fonts are missing
        return f"WeasyPrint's system libraries are missing: {error}"
    if shutil.which("pdftotext") is None:
        return "pdftotext (poppler-utils) is not installed"
    return None


MISSING = _pdf_tools_missing()
if MISSING and os.environ.get("REQUIRE_PDF_TOOLS"):
    raise RuntimeError(f"REQUIRE_PDF_TOOLS is set but {MISSING}")
pytestmark = [pytestmark, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]


def pdf_text(content: bytes, tmp_path) -> str:
    """The PDF's text as pdftotext reads it, without whitespace: table cells wrap long
    names and numbers across lines."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(  # noqa: S603
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return "".join(text.split())


def squeezed(text: str) -> str:
    return "".join(text.split())


def this_month() -> Month:
    return Month.of(timezone.now().astimezone(UTC).date())


@pytest.fixture
def monitored(production_version, log_decisions):
    """A month of the production version: decisions with outcomes in the last full hour,
    a drift run over it, incidents opened and one resolved."""
    end = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    window = Window(end - timedelta(hours=1), end)
    if window.start < this_month().window.start:
        pytest.skip("the first hour of a month has no full hour of it behind it")
    frame = applications(800, seed=5)
    log_decisions(production_version, frame, at=window.start + timedelta(minutes=5), defaulted=[False, True] * 400)
    run_job(JobKind.DRIFT, production_version, window)
    breach = rules.drift_breach(subject="Credit_Score", psi=0.31, alerting=True, act=0.25)
    incident_raise(breach=breach, version=production_version)
    return production_version


def test_validation_report_shows_the_versions_auc_approver_and_reviews(
    production_version, validator, approver, tmp_path
):
    periodic_review_record(
        registered_model=production_version.registered_model,
        reviewer=validator,
        outcome="satisfactory",
        comment="First annual review.",
    )
    report = report_generate(version_id=production_version.pk, kind="validation", actor=approver)

    text = pdf_text(bytes(report.content), tmp_path)
    assert squeezed("Validation report: loan-default v1") in text
    assert f"{production_version.metrics['roc_auc']:.4f}" in text
    assert approver.username in text and validator.username in text
    assert squeezed("First annual review.") in text
    assert production_version.training_data["sha256"] in text
    assert f"TP{production_version.metrics['confusion_matrix']['tp']}" in text
    value = next(f for f in production_version.feature_schema["fields"] if f["name"] == "property_value")
    assert squeezed(f"{value['min']:.0f} to {value['max']:.0f}") in text  # whole dollars, not 1.6508e+07
    assert report.sha256 == hashlib.sha256(bytes(report.content)).hexdigest()


def test_monitoring_report_figures_equal_the_databases(monitored, tmp_path):
    report = report_generate(version_id=monitored.pk, kind="monitoring", month=str(this_month()))
    text = pdf_text(bytes(report.content), tmp_path)

    max_psi = DriftResult.objects.filter(run__model_version=monitored, subject="Credit_Score").aggregate(m=Max("psi"))
    assert f"{max_psi['m']:.4f}" in text
    assert "800" in text
    opened = monitored.incidents.filter(first_seen__gte=this_month().window.start).count()
    assert squeezed(f"Opened in the month: {opened}.") in text
    assert squeezed("Score PSI per drift window") in text
    assert report.data["decisions"]["decisions"] == 800


def test_incidents_resolved_in_the_month_are_counted_with_time_to_resolve(monitored, validator, tmp_path):
    incident = monitored.incidents.first()
    incident_resolve(incident_id=incident.pk, actor=validator, note="Feed fixed.")
    report = report_generate(version_id=monitored.pk, kind="monitoring", month=str(this_month()))
    assert [i["id"] for i in report.data["incidents"]["resolved"]] == [incident.pk]
    assert report.data["incidents"]["resolved"][0]["hours_to_resolve"] is not None
    text = pdf_text(bytes(report.content), tmp_path)
    assert squeezed("Resolved in the month: 1.") in text


def test_the_same_data_gives_a_byte_identical_pdf_and_one_stored_report(monitored):
    first = report_generate(version_id=monitored.pk, kind="monitoring", month=str(this_month()))
    again = report_pdf(data=first.data)
    assert again == bytes(first.content)
    second = report_generate(version_id=monitored.pk, kind="monitoring", month=str(this_month()))
    assert second.pk == first.pk
    assert Report.objects.count() == 1
    assert GovernanceEvent.objects.filter(kind=EventKind.REPORT_GENERATED).count() == 1


def test_new_data_makes_a_new_report_and_a_governance_event(production_version, validator, approver):
    first = report_generate(version_id=production_version.pk, kind="validation", actor=approver)
    periodic_review_record(
        registered_model=production_version.registered_model, reviewer=validator, outcome="satisfactory", comment="ok"
    )
    second = report_generate(version_id=production_version.pk, kind="validation", actor=approver)
    assert second.pk != first.pk and second.sha256 != first.sha256
    events = GovernanceEvent.objects.filter(kind=EventKind.REPORT_GENERATED)
    assert [e.details["report"] for e in events.order_by("id")] == [first.pk, second.pk]
    assert events.first().actor == approver


@pytest.mark.parametrize(
    ("month", "error", "sentence"),
    [
        ("2999-01", InvalidInput, "is in the future"),
        ("2020-01", InvalidInput, "before loan-default v1 existed"),
        ("2026-13", InvalidInput, "is not a month"),
        (None, InvalidInput, "needs a month"),
    ],
)
def test_bad_months_are_refused_and_nothing_is_stored(production_version, month, error, sentence):
    with pytest.raises(error, match=sentence):
        report_generate(version_id=production_version.pk, kind="monitoring", month=month)
    assert not Report.objects.exists()


def test_a_version_never_in_production_that_month_is_a_conflict(draft_version):
    with pytest.raises(Conflict, match="was not in production at any time in"):
        report_generate(version_id=draft_version.pk, kind="monitoring", month=str(this_month()))
    with pytest.raises(NotFound, match="no model version with id 999999"):
        report_generate(version_id=999999, kind="validation")
    assert not Report.objects.exists()


def test_the_command_generates_and_exits_2_with_a_sentence(production_version, capsys):
    call_command("generate_report", "--version", str(production_version.pk), "--kind", "validation")
    assert "Report #" in capsys.readouterr().out
    with pytest.raises(CommandError, match="in the future") as refused:
        call_command(
            "generate_report", "--version", str(production_version.pk), "--kind", "monitoring", "--month", "2999-01"
        )
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="no model version"):
        call_command("generate_report", "--version", "999999", "--kind", "validation")
    assert Report.objects.count() == 1


def test_the_monthly_job_reports_every_version_in_production_that_month(monitored):
    (report,) = monitoring_reports_generate(month=this_month())
    assert (report.version, report.kind, report.month) == (monitored, "monitoring", this_month().first_day)
    assert monitoring_reports_generate(month=this_month())[0].pk == report.pk  # safe to run twice


def test_the_reports_api_lists_and_downloads(production_version, compliance_officer, approver):
    report = report_generate(version_id=production_version.pk, kind="validation", actor=approver)
    client = token_client(compliance_officer)
    listing = client.get("/api/v1/reports/?model=loan-default")
    assert listing.status_code == 200
    (row,) = listing.json()["results"]
    assert (row["id"], row["sha256"], row["kind"]) == (report.pk, report.sha256, "validation")
    download = client.get(row["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert hashlib.sha256(download.content).hexdigest() == report.sha256
    unknown = client.get("/api/v1/reports/?model=no-such-model")
    assert unknown.status_code == 400 and unknown.json()["errors"]["model"]


def test_admin_buttons_generate_both_reports(production_version, approver, client):
    client.force_login(approver)
    url = f"/admin/governance/modelversion/{production_version.pk}/report/"
    assert client.post(url, {"kind": "validation"}).status_code == 302
    assert client.post(url, {"kind": "monitoring", "month": "2999-01"}).status_code == 302
    assert client.post(url, {"kind": "monitoring", "month": str(this_month())}).status_code == 302
    assert sorted(Report.objects.values_list("kind", flat=True)) == ["monitoring", "validation"]
    card = client.get(f"/admin/governance/modelversion/{production_version.pk}/change/").content.decode()
    assert "Generate validation report" in card
    report = Report.objects.get(kind="validation")
    assert f"/api/v1/reports/{report.pk}/download/" in card
    download = client.get(f"/api/v1/reports/{report.pk}/download/")  # the signed-in session suffices
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert hashlib.sha256(download.content).hexdigest() == report.sha256


def test_month_windows_are_calendar_months():
    assert Month.parse("2028-02").window == Window(datetime(2028, 2, 1, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC))
    assert Month.parse("2026-12").window.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert Month.parse("2027-01").previous() == Month(2026, 12)


def test_the_monthly_report_job_is_scheduled_on_the_first_of_the_month():
    from django_celery_beat.models import PeriodicTask

    from loanportal.celery import app

    task = PeriodicTask.objects.select_related("crontab").get(name="Governance: monitoring reports, monthly")
    crontab = task.crontab
    assert (task.task, task.enabled, crontab.minute, crontab.hour, crontab.day_of_month, crontab.day_of_week) == (
        "governance.monitoring_reports",
        True,
        "0",
        "4",
        "1",
        "*",
    )
    app.loader.import_default_modules()
    assert task.task in app.tasks


def test_validation_report_of_a_challenger_shows_its_comparison_and_lineage(
    production_version, challenger_version, tmp_path
):
    comparison_record(production_version, challenger_version, n_decisions=5123, n_outcomes=2345)
    RetrainingRun.objects.create(
        registered_model=production_version.registered_model,
        parent_version=production_version,
        trigger=RetrainingTrigger.COMMAND,
        reason="Quarterly refresh on new outcomes.",
        state=RetrainingState.SUCCEEDED,
        candidate=challenger_version,
        data_summary={"rows": 4321},
        leaderboard=[{"candidate": "lightgbm-0", "cv_roc_auc_mean": 0.87654, "cv_roc_auc_std": 0.0012, "winner": True}],
        comparison={
            "champion_roc_auc": 0.81234,
            "candidate_roc_auc": 0.83456,
            "difference": 0.02222,
            "p_value": 0.0123,
        },
    )
    report = report_generate(version_id=challenger_version.pk, kind="validation")

    text = pdf_text(bytes(report.content), tmp_path)
    assert squeezed(f"Against {production_version}") in text and "5123" in text and "2345" in text
    assert squeezed("Quarterly refresh on new outcomes.") in text and "4321" in text
    assert "0.8765" in text and "0.8123" in text and "0.8346" in text


def test_validation_report_of_a_version_trained_outside_the_loop_says_so(production_version, tmp_path):
    report = report_generate(version_id=production_version.pk, kind="validation")
    text = pdf_text(bytes(report.content), tmp_path)
    assert squeezed("No comparison of this version as a challenger.") in text
    assert squeezed("Trained outside the retraining loop") in text
