"""Telling people about incidents: email, and optionally a Slack-compatible webhook.

Configured in settings (README "Monitoring: notifications"):

* `MONITORING_NOTIFY_EMAILS`: recipients; empty sends no email. Mail goes through
  Django's email backend (`EMAIL_URL`), from `DEFAULT_FROM_EMAIL`.
* `MONITORING_WEBHOOK_URL`: an http(s) incoming-webhook URL (Slack, Mattermost, Teams'
  Slack mode) that receives `{"text": ...}`; empty sends nothing. `MONITORING_WEBHOOK_TIMEOUT`
  seconds (default 3) bounds the call.
* `MONITORING_PORTAL_URL`: the portal's public address, to link the incident.

A notification that fails is logged and never fails the job that raised the incident: the
incident is in the database and the admin queue either way. The webhook URL carries a
secret token, so it is never logged.
"""

import json
import logging
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

if TYPE_CHECKING:
    from .models import Incident

logger = logging.getLogger(__name__)

OPENED, ESCALATED = "opened", "escalated"


def _message(incident: "Incident", event: str, previous_severity: str | None) -> tuple[str, str]:
    what = f"{incident.get_kind_display()} on {incident.model_version or 'no model version'} ({incident.subject})"
    happened = "opened" if event == OPENED else f"escalated from {previous_severity}"
    headline = f"[{incident.severity}] Incident #{incident.pk} {happened}: {what}"
    snapshot = incident.metric_snapshot
    lines = [
        incident.summary,
        (
            f"Status: {incident.status}; seen {incident.occurrences} time(s), "
            f"first {incident.first_seen:%Y-%m-%d %H:%M} UTC, last {incident.last_seen:%Y-%m-%d %H:%M} UTC"
        ),
    ]
    if "window_start" in snapshot:
        lines.append(
            f"Window: {snapshot['window_start']} to {snapshot['window_end']} ({snapshot.get('rows')} decisions)"
        )
    if settings.MONITORING_PORTAL_URL:
        portal = settings.MONITORING_PORTAL_URL.rstrip("/")
        lines.append(f"Incident: {portal}{reverse('admin:monitoring_incident_change', args=[incident.pk])}")
        if incident.model_version_id:
            page = reverse("admin:monitoring_version", args=[incident.model_version_id])
            lines.append(f"Monitoring page: {portal}{page}")
    return headline, "\n".join(lines)


def incident_notify(*, incident: "Incident", event: str, previous_severity: str | None = None) -> None:
    """Send the incident by email and webhook, as configured; log failures, raise nothing."""
    subject, body = _message(incident, event, previous_severity)
    channels_send(subject=subject, body=body, about=f"incident #{incident.pk} ({event})")


def channels_send(*, subject: str, body: str, about: str, extra_emails: Sequence[str] = ()) -> None:
    """Send a message through the incident channels (the configured emails, plus
    `extra_emails`, and the webhook); log failures under `about`, raise nothing."""
    recipients = list(dict.fromkeys([*settings.MONITORING_NOTIFY_EMAILS, *extra_emails]))
    if recipients:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            logger.exception("Could not email %s", about)
    if settings.MONITORING_WEBHOOK_URL.startswith(("https://", "http://")):
        request = urllib.request.Request(
            settings.MONITORING_WEBHOOK_URL,
            data=json.dumps({"text": f"{subject}\n{body}"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            # Only http(s) URLs get here (checked above), never file: or custom schemes.
            with urllib.request.urlopen(request, timeout=settings.MONITORING_WEBHOOK_TIMEOUT) as response:  # nosec B310
                response.read()
        except Exception as exc:
            reason = getattr(exc, "code", None) or getattr(exc, "reason", None) or type(exc).__name__
            logger.warning("Could not post %s to the webhook: %s", about, reason)
