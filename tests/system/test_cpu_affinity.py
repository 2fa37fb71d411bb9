"""GUNICORN_CPU_AFFINITY=true gives each gunicorn worker a CPU of its own, and a worker
that replaces a dead one takes the CPU it left; unset, workers may run on every CPU."""

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from .support import Portal, request, wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PREDICT = "/api/v1/predictions/"
ALLOWED = sorted(os.sched_getaffinity(0))


def workers_of(arbiter_pid: int) -> list[int]:
    children = Path(f"/proc/{arbiter_pid}/task/{arbiter_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def cpus_of(pids: list[int]) -> dict[int, list[int]]:
    return {pid: sorted(os.sched_getaffinity(pid)) for pid in pids}


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs")
def test_each_worker_runs_on_a_cpu_of_its_own_and_a_replacement_takes_the_freed_one(
    portal: Portal, client_token: str, valid_applications: list[dict[str, Any]], production_version: Any
) -> None:
    server, port = portal.start_gunicorn(WEB_CONCURRENCY="2", GUNICORN_CPU_AFFINITY="true")
    arbiter = server.popen.pid
    wait_for(lambda: len(workers_of(arbiter)) == 2, timeout=30, what="two gunicorn workers", log=server)
    pinned = cpus_of(workers_of(arbiter))
    assert sorted(pinned.values()) == [[ALLOWED[0]], [ALLOWED[1]]]

    victim, (freed,) = next(iter(pinned.items()))
    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: victim not in workers_of(arbiter) and len(workers_of(arbiter)) == 2,
        timeout=30,
        what="a worker replacing the killed one",
        log=server,
    )
    (replacement,) = set(workers_of(arbiter)) - set(pinned)
    # The worker pins itself in gunicorn's post_fork hook, a moment after it appears.
    wait_for(
        lambda: len(cpus_of([replacement])[replacement]) == 1, timeout=10, what="the replacement pinned", log=server
    )
    assert cpus_of([replacement])[replacement] == [freed]

    answer = request(port, "POST", PREDICT, token=client_token, body=valid_applications[0])
    assert answer.status == 201


def test_without_the_setting_workers_may_run_on_every_cpu(portal: Portal) -> None:
    server, _ = portal.start_gunicorn(WEB_CONCURRENCY="2")
    arbiter = server.popen.pid
    wait_for(lambda: len(workers_of(arbiter)) == 2, timeout=30, what="two gunicorn workers", log=server)
    assert set(map(tuple, cpus_of(workers_of(arbiter)).values())) == {tuple(ALLOWED)}
