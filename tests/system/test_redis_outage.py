"""Redis (cache and broker) stops while the portal serves: scoring goes on and every decision
is logged, readiness names the broker, and monitoring jobs run again once Redis is back."""

import time
from datetime import timedelta
from typing import Any

import pytest

from governance.services import api_token_issue
from monitoring.models import FINISHED_STATUSES, JobKind, MonitoringRun
from monitoring.tasks import runs_schedule
from predictions.models import DecisionLog

from .support import Portal, request, wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PREDICT = "/api/v1/predictions/"
DRIFT_RUN = "/api/v1/monitoring/drift/run/"


def test_predictions_are_served_and_logged_while_redis_is_down_and_jobs_resume_after(
    portal: Portal, client_token: str, valid_applications: list[dict[str, Any]], author: Any
) -> None:
    _, port = portal.start_gunicorn()
    # Checks its broker connection every 2 s instead of 10: the test waits less.
    worker = portal.start_worker(CELERY_BROKER_HEALTH_CHECK_INTERVAL="2")
    scientist = api_token_issue(user=author)
    assert request(port, "POST", PREDICT, token=client_token, body=valid_applications[0]).status == 201

    portal.redis.down()
    logged_before = DecisionLog.objects.count()
    answers = [request(port, "POST", PREDICT, token=client_token, body=body) for body in valid_applications[:20]]
    assert [a.status for a in answers] == [201] * 20
    assert DecisionLog.objects.count() - logged_before == 20
    assert max(a.seconds for a in answers) < 2

    ready = request(port, "GET", "/ready/")
    assert ready.status == 503
    assert ready.json()["failing"] == ["broker"]

    # A person asks for drift while the broker is down: the run is recorded, its message
    # cannot be queued.
    asked = request(port, "POST", DRIFT_RUN, token=scientist, body={})
    assert asked.status == 202
    requested = MonitoringRun.objects.get(pk=asked.json()["runs"][0]["id"])
    assert requested.status == "pending"

    portal.redis.up()
    wait_for(lambda: request(port, "GET", "/ready/").status == 200, timeout=10, what="/ready/ after Redis returned")
    # Beat dispatches every unfinished run of the last day on each tick; the worker, which
    # lost its broker connection in the outage, runs them. Ticks here are 3 s apart: a
    # dispatch sent while the worker is still reconnecting may not reach it.
    returned = time.monotonic()
    ticks: list[float] = []

    def beat_ticks_until_finished() -> bool:
        if finished(requested.pk):
            return True
        if not ticks or time.monotonic() - ticks[-1] >= 3:
            runs_schedule.delay(kind=JobKind.DRIFT, window_hours=1)
            ticks.append(time.monotonic())
        return False

    wait_for(beat_ticks_until_finished, timeout=20, what="the drift run finishing", log=worker)
    print(
        f"\ndrift run requested during the outage finished {time.monotonic() - returned:.1f} s after Redis "
        f"returned ({len(ticks)} dispatch(es))"
    )

    # The web process queues work again: drift for the hour before is requested and run.
    again = request(port, "POST", DRIFT_RUN, token=scientist, body={"window_end": earlier_hour(requested)})
    assert again.status == 202
    took = wait_for(lambda: finished(again.json()["runs"][0]["id"]), timeout=20, what="the next run", log=worker)
    print(f"drift run requested after the outage finished {took:.1f} s after the request")


def finished(run_id: int) -> bool:
    return MonitoringRun.objects.filter(pk=run_id, status__in=FINISHED_STATUSES).exists()


def earlier_hour(run: MonitoringRun) -> str:
    return (run.window_end - timedelta(hours=1)).isoformat()
