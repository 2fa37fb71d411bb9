"""Real processes for the fault tests: gunicorn and Celery workers run as in production
(production settings) against the test database, with their PostgreSQL or Redis
connection routed through a `FaultProxy` the test can cut.

The test database must be committed for another process to see it, so these tests use
`transaction=True`; they need PostgreSQL (several processes on one database) and Redis
(the broker and cache under test), and skip without them. Every process is started in its
own session and killed, children included, when the test ends, pass or fail.
"""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess  # nosec B404
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from governance.models import ModelVersion
from governance.services import api_token_issue
from predictions.selectors import serving_model
from tests.monitoring.support import applications
from tests.predictions.conftest import as_application

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


@pytest.fixture
def portal(transactional_db: None, tmp_path: Path) -> Iterator[Portal]:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    database = connection.settings_dict
    redis = urlsplit(settings.REDIS_URL)
    database_proxy = FaultProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
    redis_proxy = FaultProxy(redis.hostname or "127.0.0.1", redis.port or 6379)
    processes: list[Process] = []

    def environment(**extra: str) -> dict[str, str]:
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "loanportal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": (
                f"postgres://{database['USER']}{password}@127.0.0.1:{database_proxy.port}/{database['NAME']}"
            ),
            "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}{redis.path}",
            "MODEL_ARTIFACT_DIR": str(settings.MODEL_ARTIFACT_DIR),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
            "GUNICORN_ACCESS_LOG": "",
            "MONITORING_NOTIFY_EMAILS": "",
            "MONITORING_WEBHOOK_URL": "",
            **extra,
        }

    def start_gunicorn(**extra: str) -> tuple[Process, int]:
        """gunicorn as the Docker image runs it, one worker unless `WEB_CONCURRENCY` says
        otherwise; returns when /health/ answers."""
        port = free_port()
        server = Process(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "loanportal.wsgi", "-c", "loanportal/gunicorn.conf.py"],
            environment(**{"WEB_CONCURRENCY": "1", "GUNICORN_BIND": f"127.0.0.1:{port}", **extra}),
            tmp_path / f"gunicorn-{port}.log",
        )
        processes.append(server)

        def healthy() -> bool:
            server.expect_alive()
            try:
                return request(port, "GET", "/health/", timeout=1).status == 200
            except OSError:
                return False

        wait_for(healthy, timeout=START_TIMEOUT, what="gunicorn answering /health/", interval=0.2)
        return server, port

    def start_worker(**extra: str) -> Process:
        """A Celery worker (prefork, one child, as `make run` starts it); returns once it
        says it is ready to consume."""
        name = f"system-{uuid.uuid4().hex[:8]}"
        worker = Process(
            "celery worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "loanportal",
                "worker",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={name}@%h",
            ],
            environment(**extra),
            tmp_path / f"{name}.log",
        )
        processes.append(worker)

        def ready() -> bool:
            worker.expect_alive()
            return " ready." in worker.output()

        wait_for(ready, timeout=START_TIMEOUT, what="celery worker ready", interval=0.2)
        return worker

    try:
        yield Portal(database_proxy, redis_proxy, start_gunicorn, start_worker)
    finally:
        for process in processes:
            process.stop()
        database_proxy.close()
        redis_proxy.close()
        # A killed process's PostgreSQL backend may outlive it for a moment (or wait on a
        # lock); the test database is flushed and dropped after this.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def client_token(api_client_user: Any) -> str:
    """A loan origination system's API token."""
    return api_token_issue(user=api_client_user)


@pytest.fixture
def valid_applications(production_version: ModelVersion) -> list[dict[str, Any]]:
    """Demo applications, as a client sends them, that the production version accepts."""
    validator = serving_model(model_name=production_version.registered_model.name).validator
    rows = [as_application(row) for row in applications(100, seed=5).to_dict("records")]
    return [row for row in rows if not validator.validate(row)[1]][:40]
