"""What the API benchmarks share: Django set up for the bench database, the demo bootstrapped
with a token, valid applications, gunicorn started as the Docker image starts it, a client.

Importing this module sets Django up (local settings, demo mode, DEBUG off), so a bench
script imports it before any project module that touches the models.
"""

import http.client
import io
import os
import secrets
import signal
import subprocess  # nosec B404
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings.local")
os.environ["DEMO_MODE"] = "true"
os.environ["DJANGO_DEBUG"] = "false"

import django  # noqa: E402

django.setup()

import pandas as pd  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from governance.ml.demo_data import generate  # noqa: E402
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES  # noqa: E402
from governance.services import api_token_issue  # noqa: E402
from predictions.selectors import serving_model  # noqa: E402

PREDICT = "/api/v1/predictions/"
BATCH = "/api/v1/predictions/batch/"
GUNICORN_LOG = settings.VAR_DIR / "bench-gunicorn.log"


def prepare() -> str:
    """Migrate and bootstrap the demo (both idempotent) on PostgreSQL; a fresh API token."""
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the targets are for gunicorn + PostgreSQL.")
    call_command("migrate", verbosity=0)
    call_command("bootstrap_demo", stdout=io.StringIO())
    return api_token_issue(user=get_user_model().objects.get(username="api-client"))


def applications(count: int) -> list[dict[str, Any]]:
    """Synthetic demo applications that the serving version accepts."""
    validator = serving_model(model_name=settings.DEFAULT_MODEL_NAME).validator
    frame = generate(count * 2, seed=2024).rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)]
    rows = [{k: v for k, v in row.items() if not pd.isna(v)} for row in frame.to_dict("records")]
    valid = [row for row in rows if not validator.validate(row)[1]]
    return valid[:count]


class Api:
    """One client connection, kept alive between requests where the server allows it."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection before reading this request:
            # nothing was processed, so sending it again on a new connection is safe.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return self._send("POST", path, body, self.headers)

    def get(self, path: str) -> tuple[int, bytes]:
        return self._send("GET", path, None, {})

    def reconnect(self) -> None:
        """Drop the connection after an error; the next request opens a new one."""
        self.connection.close()


@contextmanager
def gunicorn(port: int, workers: int) -> Iterator[subprocess.Popen]:
    """gunicorn as the Docker image runs it (production settings), on 127.0.0.1 with the
    throttle raised, answering `/health/` when the block starts and stopped after it.
    Its log goes to var/bench-gunicorn.log."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loanportal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DEMO_MODE": "false",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": str(settings.VAR_DIR / "bench-access.log"),
        "PROMETHEUS_MULTIPROC_DIR": str(settings.VAR_DIR / "bench-prometheus"),
        "API_THROTTLE_RATE": "100000000/min",
        "API_BATCH_THROTTLE_RATE": "100000/min",
    }
    with open(GUNICORN_LOG, "w") as log:
        # A fixed argv of our own, no shell (bandit B603).
        server = subprocess.Popen(  # nosec B603
            [sys.executable, "-m", "gunicorn", "loanportal.wsgi", "-c", "loanportal/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_healthy(server, port)
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}; see {GUNICORN_LOG}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark stopped: {message}")


def run_concurrently(threads: list[threading.Thread]) -> float:
    """Start the load generator's client threads together, wait for all; seconds elapsed."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
