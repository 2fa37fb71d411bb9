"""Incidents: opened or updated by job results (`incident_raise`), worked by people
(`incident_acknowledge`, `incident_resolve`).

When a breach opens an incident and how severe it is: `monitoring.rules`. There is one
active incident per version, kind and subject; a recurring breach updates it. Status
changes lock the row and record history with a reason, the actor and the request id.
"""

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.models import ModelVersion
from loanportal.history import history_stamp
from loanportal.roles import WORK_MONITORING

from . import rules
from .errors import IncidentConflict, IncidentNoteRequired, IncidentRefused
from .models import ACTIVE_STATUSES, Incident, IncidentStatus, MonitoringRun
from .notifications import ESCALATED, OPENED, incident_notify
from .selectors import run_get


def incident_raise(*, breach: rules.Breach, version: ModelVersion | None, run: MonitoringRun | None = None) -> Incident:
    """Open an incident for the breach, or update the active one on the same subject
    (occurrences, last seen, worst value, latest snapshot; severity only ever rises).
    Notifies when it opens and when its severity rises."""
    now = timezone.now()
    key = Incident.key(version.pk if version else None, breach.kind, breach.subject)
    snapshot: dict[str, Any] = {"value": breach.value, "severity": breach.severity, **breach.snapshot}
    if run is not None:
        snapshot.update(
            run_id=run.pk,
            job=run.kind,
            window_start=run.window_start.isoformat(),
            window_end=run.window_end.isoformat(),
            rows=run.rows,
        )
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",)).filter(dedup_key=key, status__in=ACTIVE_STATUSES).first()
        )
        if incident is None:
            incident = Incident(
                kind=breach.kind,
                subject=breach.subject,
                severity=breach.severity,
                model_version=version,
                dedup_key=key,
                summary=breach.summary[:300],
                metric_snapshot=snapshot,
                worst_value=breach.value,
                first_seen=now,
                last_seen=now,
                last_run=run,
            )
            history_stamp(incident, reason=f"Opened: {breach.summary}")
            try:
                with transaction.atomic():
                    incident.save()
            except IntegrityError:
                # Another job opened it a moment ago: update that one instead.
                incident = Incident.objects.select_for_update(of=("self",)).get(
                    dedup_key=key, status__in=ACTIVE_STATUSES
                )
            else:
                opened = incident
                transaction.on_commit(lambda: incident_notify(incident=opened, event=OPENED))
                return incident

        previous = incident.severity
        escalated = rules.more_severe(breach.severity, previous)
        incident.occurrences += 1
        incident.last_seen = now
        incident.last_run = run
        incident.summary = breach.summary[:300]
        incident.metric_snapshot = snapshot
        if rules.worse(breach.value, incident.worst_value, higher_is_worse=breach.higher_is_worse):
            incident.worst_value = breach.value
        if escalated:
            incident.severity = breach.severity
            history_stamp(incident, reason=f"Escalated {previous} -> {breach.severity}: {breach.summary}")
        else:
            history_stamp(incident, reason=f"Seen again ({incident.occurrences}x): {breach.summary}")
        incident.save()
        if escalated:
            updated = incident
            transaction.on_commit(
                lambda: incident_notify(incident=updated, event=ESCALATED, previous_severity=previous)
            )
    return incident


def incident_record_job_failure(*, job: str, error: str, run_id: int | None = None) -> Incident:
    """A monitoring job gave up: open (or update) a job-failure incident about it."""
    run = run_get(run_id=run_id) if run_id else None
    return incident_raise(
        breach=rules.job_failure_breach(job=job, error=error[:200]),
        version=run.model_version if run else None,
        run=run,
    )


def _check_worker(actor: User, action: str) -> None:
    if not WORK_MONITORING.allows(actor):
        raise IncidentRefused(
            f"Only a {', '.join(WORK_MONITORING.roles)} may {action} an incident; {actor} is not one."
        )


def incident_acknowledge(*, incident_id: int, actor: User, note: str = "", request_id: str = "") -> Incident:
    """open -> acknowledged: `actor` owns the incident from now on."""
    _check_worker(actor, "acknowledge")
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
        if incident.status != IncidentStatus.OPEN:
            raise IncidentConflict(
                f"Incident #{incident.pk} is {incident.status}; only an open incident can be acknowledged."
            )
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.owner = actor
        incident.acknowledged_at = timezone.now()
        reason = f"Acknowledged: {note.strip()}" if note.strip() else "Acknowledged"
        history_stamp(incident, reason=reason, user=actor, request_id=request_id)
        incident.save()
    return incident


def incident_resolve(*, incident_id: int, actor: User, note: str, request_id: str = "") -> Incident:
    """open or acknowledged -> resolved, with a resolution note saying what was done."""
    _check_worker(actor, "resolve")
    note = note.strip()
    if not note:
        raise IncidentNoteRequired("A resolution note is required: say what was found and what was done.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
        if incident.status not in ACTIVE_STATUSES:
            raise IncidentConflict(f"Incident #{incident.pk} is already {incident.status}.")
        incident.status = IncidentStatus.RESOLVED
        incident.owner = incident.owner or actor
        incident.resolved_by = actor
        incident.resolved_at = timezone.now()
        incident.resolution_note = note
        history_stamp(incident, reason=f"Resolved: {note}", user=actor, request_id=request_id)
        incident.save()
    return incident
