"""People hear about an incident when it opens and when it gets worse, by email and webhook."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import Incident

pytestmark = pytest.mark.django_db


class Webhook:
    def __init__(self, status: int) -> None:
        self.status = status
        self.posts: list[dict] = []


@pytest.fixture
def webhook(settings) -> Iterator[Webhook]:
    received = Webhook(200)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.posts.append({"content_type": self.headers["Content-Type"], "json": json.loads(body)})
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MONITORING_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hooks/incidents"
    settings.MONITORING_NOTIFY_EMAILS = ["model-risk@bank.example", "oncall@bank.example"]
    settings.MONITORING_PORTAL_URL = "https://portal.bank.example"
    yield received
    server.shutdown()
    server.server_close()


def score_drift(psi: float) -> rules.Breach:
    return rules.drift_breach(subject="score", psi=psi, alerting=True, act=0.25)


def test_an_opened_incident_is_emailed_and_posted_to_the_webhook(
    production_version, webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_raise(breach=score_drift(0.31), version=production_version)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["model-risk@bank.example", "oncall@bank.example"]
    assert message.subject == f"[P1] Incident #{incident.pk} opened: Score drift on loan-default v1 (score)"
    assert "PSI of the model score is 0.310" in message.body
    assert f"https://portal.bank.example/admin/monitoring/incident/{incident.pk}/change/" in message.body
    version_id = incident.model_version_id
    assert f"https://portal.bank.example/admin/monitoring/monitoredversion/{version_id}/monitoring/" in message.body
    assert len(webhook.posts) == 1
    assert webhook.posts[0]["content_type"] == "application/json"
    assert webhook.posts[0]["json"]["text"].startswith(f"[P1] Incident #{incident.pk} opened")


def test_a_recurrence_is_quiet_but_an_escalation_notifies_again(
    production_version, webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_raise(breach=score_drift(0.30), version=production_version)
        incident_raise(breach=score_drift(0.35), version=production_version)  # same severity: no news
    assert len(mail.outbox) == 1 and len(webhook.posts) == 1

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_raise(breach=score_drift(0.60), version=production_version)  # twice the act band: P0
    assert incident.severity == "P0"
    assert len(mail.outbox) == 2 and len(webhook.posts) == 2
    assert (
        mail.outbox[1].subject
        == f"[P0] Incident #{incident.pk} escalated from P1: Score drift on loan-default v1 (score)"
    )
    assert Incident.objects.get().occurrences == 3


def test_a_failing_webhook_does_not_stop_the_incident_or_the_email(
    production_version, webhook, django_capture_on_commit_callbacks, caplog
):
    webhook.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        incident_raise(breach=score_drift(0.31), version=production_version)
    assert Incident.objects.filter(status="open").count() == 1
    assert len(mail.outbox) == 1
    assert "Could not post incident" in caplog.text
    assert "hooks/incidents" not in caplog.text  # the webhook URL is a secret


def test_nothing_is_sent_until_the_incident_is_committed(
    production_version, webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        incident_raise(breach=score_drift(0.31), version=production_version)
    assert mail.outbox == [] and webhook.posts == []
    assert len(pending) == 1
