"""What the API benchmarks share: Django set up for the bench database, the demo bootstrapped
with a token, valid applications, gunicorn started as the Docker image starts it, a client.

Importing this module sets Django up (local settings, demo mode, DEBUG off), so a bench
script imports it before any project module that touches the models.
"""

import io
import os
import secrets
import select
import signal
import socket
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
    """One keep-alive HTTP/1.1 connection to gunicorn, on a plain socket.

    The load generator shares the two cores with gunicorn and PostgreSQL, so it must cost
    little: `http.client` parses every answer's headers with the `email` package, about
    0.1 ms a request here. This client sends ready-made bytes and reads the status line,
    `Content-Length` and `Connection` only, which is all gunicorn frames Django's answers
    with. A connection the server has closed while idle (keep-alive timeout, a worker
    recycled after `max_requests`) is noticed before a request is sent on it, so a request
    is never sent twice.
    """

    def __init__(self, port: int, token: str | None = None, *, timeout: float = 30) -> None:
        self.address = ("127.0.0.1", port)
        self.timeout = timeout
        authorization = f"Authorization: Token {token}\r\n" if token else ""
        self.headers = f"Host: 127.0.0.1:{port}\r\n{authorization}".encode()
        self.sock: socket.socket | None = None
        self.buffer = bytearray()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = f"POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return self._exchange(head.encode() + self.headers + b"\r\n" + body)

    def get(self, path: str) -> tuple[int, bytes]:
        return self._exchange(f"GET {path} HTTP/1.1\r\n".encode() + self.headers + b"\r\n")

    def reconnect(self) -> None:
        """Drop the connection after an error; the next request opens a new one."""
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buffer.clear()

    def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.sock is not None and select.select([self.sock], [], [], 0)[0]:
            self.reconnect()  # between answers the server only ever sends its goodbye
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock
        sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._receive(sock)
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[: end + 4]
        fields = (line.partition(b":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip().lower() for name, _, value in fields}
        if b"content-length" not in headers:
            raise ConnectionError(f"an answer without Content-Length: {lines[0]!r}")
        length = int(headers[b"content-length"])
        while len(self.buffer) < length:
            self._receive(sock)
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        if headers.get(b"connection") == b"close":
            self.reconnect()
        return int(lines[0].split()[1]), body

    def _receive(self, sock: socket.socket) -> None:
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection before answering")
        self.buffer += chunk


@contextmanager
def gunicorn(port: int, workers: int) -> Iterator[subprocess.Popen]:
    """gunicorn as docker-compose.yml's web service runs it (the Docker image, production
    settings, a CPU per worker), on 127.0.0.1 with the throttle raised, answering
    `/health/` when the block starts and stopped after it. Its log goes to
    var/bench-gunicorn.log. GUNICORN_CPU_AFFINITY=false in the environment measures
    without pinning."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loanportal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DEMO_MODE": "false",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_CPU_AFFINITY": os.environ.get("GUNICORN_CPU_AFFINITY", "true"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": str(settings.VAR_DIR / "bench-access.log"),
        "PROMETHEUS_MULTIPROC_DIR": str(settings.VAR_DIR / "bench-prometheus"),
        "API_THROTTLE_RATE": "100000000/min",
        "API_BATCH_THROTTLE_RATE": "100000/min",
    }
    settings.VAR_DIR.mkdir(exist_ok=True)
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
        probe = Api(port, timeout=1)
        try:
            if probe.get("/health/")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            probe.reconnect()
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
