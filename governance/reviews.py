"""Periodic review of production versions and the review clock's incidents.

`periodic_review_record` writes the append-only `PeriodicReview` (four-eyes:
`workflow.review_refusal`), which restarts the review clock; an unsatisfactory review
opens a P1 `review_failed` incident, a satisfactory one (with or without findings)
resolves the model's `review_due` incident with a note naming the review.
`review_due_incidents_raise` is the daily job: one `review_due` incident per model,
opened 30 days before the due date and escalated on it and 30 days after
(`monitoring.rules.review_due_breach`), through the incident machinery's dedup.
"""

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from loanportal.errors import InvalidInput
from loanportal.roles import user_roles
from monitoring import rules
from monitoring.incidents import incident_raise, incident_resolve
from monitoring.models import ACTIVE_STATUSES, Incident, IncidentKind

from .errors import WorkflowConflict, WorkflowRefused
from .inventory import inventory_entries
from .models import (
    ModelVersion,
    PeriodicReview,
    RegisteredModel,
    ReviewFindingSeverity,
    ReviewFindingType,
    ReviewOutcome,
    VersionState,
)
from .workflow import review_refusal

FINDING_FIELDS = ("type", "severity", "owner", "description")


def _checked_findings(findings: Any) -> list[dict[str, str]]:
    """The findings as stored, or `InvalidInput` saying which finding and field is wrong."""
    if not isinstance(findings, list):
        raise InvalidInput("The review is invalid.", {"findings": "A list of findings."})
    errors: dict[str, Any] = {}
    checked = []
    choices = {"type": ReviewFindingType.values, "severity": ReviewFindingSeverity.values}
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict):
            errors[str(index)] = "A finding is an object with type, severity, owner and description."
            continue
        wrong = {}
        for field in FINDING_FIELDS:
            value = finding.get(field)
            if not isinstance(value, str) or not value.strip():
                wrong[field] = "This field is required."
            elif field in choices and value not in choices[field]:
                wrong[field] = f"{value!r} is not one of {', '.join(choices[field])}."
        extra = sorted(set(finding) - set(FINDING_FIELDS))
        if extra:
            wrong[extra[0]] = "Unknown field."
        if wrong:
            errors[str(index)] = wrong
        else:
            checked.append({field: finding[field].strip() for field in FINDING_FIELDS})
    if errors:
        raise InvalidInput("The review's findings are invalid.", {"findings": errors})
    return checked


def periodic_review_record(
    *,
    registered_model: RegisteredModel,
    reviewer: User,
    outcome: str,
    comment: str,
    findings: list[dict[str, str]] | None = None,
    request_id: str = "",
) -> PeriodicReview:
    """Record a periodic review of the model's production version; nothing is stored
    when it is refused (`WorkflowRefused`: role or four-eyes; `WorkflowConflict`: no
    production version; `InvalidInput`: outcome, comment or findings)."""
    if outcome not in ReviewOutcome.values:
        raise InvalidInput(
            "The review is invalid.", {"outcome": f"{outcome!r} is not one of {', '.join(ReviewOutcome.values)}."}
        )
    if not comment.strip():
        raise InvalidInput("The review is invalid.", {"comment": "A comment saying what was reviewed is required."})
    checked = _checked_findings(findings or [])
    if outcome == ReviewOutcome.SATISFACTORY_WITH_FINDINGS and not checked:
        raise InvalidInput("The review is invalid.", {"findings": "A review with findings lists at least one."})
    with transaction.atomic():
        RegisteredModel.objects.select_for_update(no_key=True).get(pk=registered_model.pk)
        version = (
            ModelVersion.objects.select_related("registered_model")
            .filter(registered_model=registered_model, state=VersionState.PRODUCTION)
            .first()
        )
        if version is None:
            raise WorkflowConflict(f"{registered_model} has no version in production; there is nothing to review.")
        refusal = review_refusal(version, reviewer)
        if refusal:
            raise WorkflowRefused(refusal)
        review = PeriodicReview.objects.create(
            registered_model=registered_model,
            version=version,
            reviewer=reviewer,
            reviewer_roles=sorted(user_roles(reviewer)),
            outcome=outcome,
            comment=comment.strip(),
            findings=checked,
            request_id=request_id,
        )
        if outcome == ReviewOutcome.UNSATISFACTORY:
            incident_raise(
                breach=rules.review_failed_breach(model=registered_model.name, review_id=review.pk, comment=comment),
                version=version,
            )
        else:
            _resolve_review_due(version=version, review=review, request_id=request_id)
    return review


def _resolve_review_due(*, version: ModelVersion, review: PeriodicReview, request_id: str) -> None:
    key = Incident.key(version.pk, IncidentKind.REVIEW_DUE, version.registered_model.name)
    incident = Incident.objects.filter(dedup_key=key, status__in=ACTIVE_STATUSES).first()
    if incident is not None:
        incident_resolve(
            incident_id=incident.pk,
            actor=review.reviewer,
            note=f"Periodic review #{review.pk} ({review.get_outcome_display().lower()}) by {review.reviewer}.",
            request_id=request_id,
        )


def review_due_incidents_raise(*, today: date | None = None) -> list[Incident]:
    """The daily job: for every model with a version in production and a due date, open or
    escalate its `review_due` incident when the due date is 30 days off or past."""
    today = today or timezone.localdate()
    raised = []
    for entry in inventory_entries(today=today):
        if entry.production_version_id is None or entry.next_review_due is None:
            continue
        breach = rules.review_due_breach(
            model=entry.name, due=entry.next_review_due.isoformat(), days_to_due=(entry.next_review_due - today).days
        )
        if breach is not None:
            version = ModelVersion.objects.get(pk=entry.production_version_id)
            raised.append(incident_raise(breach=breach, version=version))
    return raised
