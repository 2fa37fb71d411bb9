"""A promotion reaches every web worker at once: the first request after it, on any
gunicorn worker, is scored and logged by the new production version, without a restart."""

from typing import Any

import pytest

from governance.models import ModelVersion
from governance.services import model_version_transition
from predictions.models import DecisionLog
from tests.support import waive_challenger_evidence

from .support import Portal, request

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PREDICT = "/api/v1/predictions/"
WORKERS = 2


def test_every_worker_scores_with_the_promoted_version_from_the_next_request(
    portal: Portal,
    client_token: str,
    valid_applications: list[dict[str, Any]],
    production_version: ModelVersion,
    register_version: Any,
    take_to: Any,
    approver: Any,
) -> None:
    _, port = portal.start_gunicorn(WEB_CONCURRENCY=str(WORKERS))

    def versions_scoring(applications: list[dict[str, Any]]) -> list[int]:
        """One request per application, each on a new connection, so both workers answer."""
        answers = [request(port, "POST", PREDICT, token=client_token, body=body) for body in applications]
        assert [answer.status for answer in answers] == [201] * len(answers)
        return [answer.json()["model_version"] for answer in answers]

    # Every worker has scored with, and keeps in memory, the version in production.
    assert set(versions_scoring(valid_applications)) == {production_version.version}
    successor = take_to(register_version(), "approved")

    model_version_transition(
        version_id=successor.pk,
        action="promote",
        actor=approver,
        comment="Better holdout AUC.",
        waivers=waive_challenger_evidence(successor),
    )

    assert set(versions_scoring(valid_applications)) == {successor.version}
    logged_since = DecisionLog.objects.order_by("-created_at")[: len(valid_applications)]
    assert {row.model_version_id for row in logged_since} == {successor.pk}
