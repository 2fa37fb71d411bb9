"""PostgreSQL becomes unreachable under a running gunicorn: scoring answers a JSON 503 at
once (never a hang, never an error page), nothing is recorded, and the same server scores
again by itself once the database is back."""

import time
from typing import Any

import pytest

from predictions.models import DecisionLog

from .support import Portal, request, wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PREDICT = "/api/v1/predictions/"


def test_predictions_answer_a_json_503_within_2_s_while_the_database_is_down_and_recover_by_themselves(
    portal: Portal, client_token: str, valid_applications: list[dict[str, Any]]
) -> None:
    server, port = portal.start_gunicorn()
    application = valid_applications[0]
    assert request(port, "POST", PREDICT, token=client_token, body=application).status == 201
    logged_before = DecisionLog.objects.count()

    portal.database.down()
    answers = [request(port, "POST", PREDICT, token=client_token, body=body) for body in valid_applications[:5]]
    for answer in answers:
        assert answer.status == 503, answer.body[:300]
        assert answer.content_type == "application/json"
        assert "database is unavailable" in answer.json()["detail"]
        assert answer.seconds < 2
    print(f"\n503 latency while the database is down: max {max(a.seconds for a in answers) * 1000:.0f} ms")
    ready = request(port, "GET", "/ready/")
    assert ready.status == 503
    assert "database" in ready.json()["failing"]
    assert DecisionLog.objects.count() == logged_before

    portal.database.up()
    returned = time.monotonic()
    scored = []

    def scores_again() -> bool:
        answer = request(port, "POST", PREDICT, token=client_token, body=application)
        assert answer.status in (201, 503), answer.body[:300]
        scored.append(answer.status == 201)
        return scored[-1]

    wait_for(scores_again, timeout=10, what="a prediction scored after the database returned", log=server)
    print(f"scoring again {time.monotonic() - returned:.2f} s after the database returned")
    server.expect_alive()  # the same server: nothing was restarted
    assert DecisionLog.objects.count() == logged_before + 1
