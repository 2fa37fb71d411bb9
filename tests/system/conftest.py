"""Real processes for the fault tests: gunicorn and Celery workers run as in production
(production settings) against the test database, with their PostgreSQL or Redis
connection routed through a `FaultProxy` the test can cut.

The test database must be committed for another process to see it, so these tests use
`transaction=True`; they need PostgreSQL (several processes on one database) and Redis
(the broker and cache under test), and skip without them. Every process is started in its
own session and killed, children included, when the test ends, pass or fail.
"""

import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from governance.ledger import generate_signing_key
from governance.models import ModelVersion
from governance.services import api_token_issue
from predictions.selectors import serving_model
from tests.predictions.support import as_application
from tests.support import applications

from .faultproxy import FaultProxy
from .support import START_TIMEOUT, Portal, Process, free_port, request, wait_for


@pytest.fixture
def portal(transactional_db: None, tmp_path: Path) -> Iterator[Portal]:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    database = connection.settings_dict
    redis = urlsplit(settings.REDIS_URL)
    database_proxy = FaultProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
    redis_proxy = FaultProxy(redis.hostname or "127.0.0.1", redis.port or 6379)
    processes: list[Process] = []
    # Production refuses to seal (and /ready/ fails) without a signing key: provision one
    # as an operator would, so that readiness reports only the fault under test.
    signing_key = tmp_path / "audit_signing_key.pem"
    signing_key.write_bytes(generate_signing_key())

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
            "AUDIT_SIGNING_KEY": str(signing_key),
            "AUDIT_CHECKPOINT_DIR": str(tmp_path / "audit-checkpoints"),
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
