"""Helpers of the fault tests: real processes started in their own session, HTTP requests
timed end to end, and waiting for a condition."""

import http.client
import json
import os
import signal
import socket
import subprocess  # nosec B404
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .faultproxy import FaultProxy

ROOT = Path(settings.BASE_DIR)
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def request(port: int, method: str, path: str, *, token: str = "", body: Any = None, timeout: float = 10) -> Answer:
    """One HTTP request on a new connection, timed from connect to the last byte."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        client.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = client.getresponse()
        content = response.read()
    finally:
        client.close()
    return Answer(response.status, response.getheader("Content-Type", ""), content, time.perf_counter() - started)


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    log: "Process | None" = None,
) -> float:
    """Seconds until `condition()` is true; fails the test after `timeout`, with the end
    of `log`'s output when given."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            tail = f"\n{log.name} output:\n{log.output()[-3000:]}" if log else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s{tail}")
        time.sleep(interval)
    return time.monotonic() - started


class Process:
    """A child process in its own session, logging to a file, killed with its children."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, *, cwd: Path = ROOT) -> None:
        self.name, self.log = name, log
        with open(log, "wb") as out:
            # A fixed argv of our own, no shell.
            self.popen = subprocess.Popen(  # nosec B603
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: a Celery worker's pool children die with it."""
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            self.popen.wait(timeout=10)
        self.kill()  # any pool child left behind by its parent

    def expect_alive(self) -> None:
        if not self.alive():
            pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.output()[-3000:]}")


@dataclass
class Portal:
    """How the test reaches the services the processes use, and starts the processes."""

    database: FaultProxy
    redis: FaultProxy
    start_gunicorn: Callable[..., tuple[Process, int]]
    start_worker: Callable[..., Process]
