"""Generating and storing reports.

`report_generate` checks the request (an existing version; for a monitoring report a
month not in the future, not before the version existed, and in which the version was in
production; the month in progress is reported as such), reads the data, renders the PDF
and stores it once: the same version, kind, month and bytes return the report already
stored. A new report is a governance event.
Nothing is stored when the request is refused.
"""

import hashlib
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from loanportal.errors import Conflict, InvalidInput, NotFound

from ..models import EventKind, GovernanceEvent, ModelVersion, Report, ReportKind
from .data import Month, in_production_during, monitoring_report_data, validation_report_data
from .pdf import report_pdf


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, {field: message})


def _month(version: ModelVersion, month: Month | str | None, now: datetime) -> Month:
    if month is None:
        raise _refuse("month", "A monitoring report needs a month (YYYY-MM).")
    if isinstance(month, str):
        try:
            month = Month.parse(month)
        except ValueError:
            raise _refuse("month", f"{month!r} is not a month; give it as YYYY-MM, e.g. 2026-11.") from None
    window = month.window
    if window.start > now:
        raise _refuse("month", f"{month} is in the future; there is nothing to report yet.")
    if window.end <= version.created_at:
        raise _refuse("month", f"{month} is before {version} existed (registered {version.created_at:%Y-%m-%d}).")
    if not in_production_during(version, window):
        raise Conflict(f"{version} was not in production at any time in {month}; there is nothing to report.")
    return month


def report_generate(
    *,
    version_id: int,
    kind: ReportKind | str,
    month: Month | str | None = None,
    actor: User | None = None,
    request_id: str = "",
) -> Report:
    """The report of `kind` for the version (and month), stored once; see the module."""
    if kind not in ReportKind.values:
        raise _refuse("kind", f"{kind!r} is not a report kind; choose validation or monitoring.")
    version = ModelVersion.objects.select_related("registered_model", "created_by").filter(pk=version_id).first()
    if version is None:
        raise NotFound(f"There is no model version with id {version_id}.")
    if kind == ReportKind.MONITORING:
        month = _month(version, month, timezone.now())
        data = monitoring_report_data(version=version, month=month, now=timezone.now())
        first_day = month.first_day
    else:
        if month is not None:
            raise _refuse("month", "A validation report is of the version as it stands; it takes no month.")
        data = validation_report_data(version=version)
        first_day = None
    content = report_pdf(data=data)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        ModelVersion.objects.select_for_update(no_key=True).get(pk=version.pk)  # one writer per version
        existing = Report.objects.filter(version=version, kind=kind, month=first_day, sha256=sha256).first()
        if existing is not None:
            return existing
        report = Report.objects.create(
            registered_model=version.registered_model,
            version=version,
            kind=kind,
            month=first_day,
            sha256=sha256,
            size=len(content),
            content=content,
            data=data,
            generated_by=actor,
            request_id=request_id,
        )
        GovernanceEvent.objects.create(
            kind=EventKind.REPORT_GENERATED,
            actor=actor,
            registered_model=version.registered_model,
            summary=f"{report} generated (SHA-256 {sha256[:12]})",
            details={
                "report": report.pk,
                "version": version.pk,
                "kind": kind,
                "month": data.get("month"),
                "sha256": sha256,
            },
            request_id=request_id,
        )
    return report


def monitoring_reports_generate(*, month: Month | None = None) -> list[Report]:
    """The monthly job: last month's monitoring report of every version in production in it."""
    month = month or Month.of(timezone.now().date()).previous()
    reports = []
    for version in ModelVersion.objects.filter(
        transitions__to_state="production", transitions__accepted=True
    ).distinct():
        if in_production_during(version, month.window) and version.created_at < month.window.end:
            reports.append(report_generate(version_id=version.pk, kind=ReportKind.MONITORING, month=month))
    return reports
