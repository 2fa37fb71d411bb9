"""The front page and the operations endpoints: liveness, readiness, Prometheus metrics.

`/health/` and `/metrics` need no credentials and are not throttled: orchestrators and
Prometheus call them. `/metrics` tells how the portal is used, so expose it on the internal
network only (README "Operations").
"""

import logging
import os
from collections.abc import Iterator
from typing import Any

import kombu
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from governance.ledger import key_id, load_signing_key
from governance.sealing.keys import audit_signing_key_path
from governance.selectors import model_version_scorer, production_version

from .metrics import metrics_exposition

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not
    make the orchestrator restart healthy web workers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "reachable"


def _check_model() -> str:
    version = production_version(model_name=settings.DEFAULT_MODEL_NAME)
    if version is None:
        raise LookupError(f"no version of {settings.DEFAULT_MODEL_NAME!r} is in production")
    model_version_scorer(version=version)  # reads the artifact and checks its SHA-256 on first use
    return f"{version} loaded"


def _check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders = sorted({options["data_folder_in"], options["data_folder_out"]})
        unusable = [folder for folder in folders if not (os.path.isdir(folder) and os.access(folder, os.W_OK))]
        if unusable:
            raise OSError(f"broker folder not writable: {', '.join(unusable)}")
        return "filesystem broker folders writable"
    options = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
    with kombu.Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    return "reachable"


def _check_audit_key() -> str:
    """The sealed audit's signing key: without it every seal fails, so say so here."""
    path = audit_signing_key_path()
    if settings.AUDIT_CREATE_MISSING and not path.exists():
        return f"no signing key yet; the first seal creates {path}"
    return f"signing key {key_id(load_signing_key(path).public_key())[:16]} loaded"


READINESS_CHECKS = {
    "database": _check_database,
    "model": _check_model,
    "broker": _check_broker,
    "audit": _check_audit_key,
}


def readiness_checks() -> dict[str, dict[str, Any]]:
    """Each readiness check: `ok` and a detail saying what was found."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in READINESS_CHECKS.items():
        if name == "model" and not checks["database"]["ok"]:
            checks[name] = {"ok": False, "detail": "not checked: the registry is in the database, which is down"}
            continue
        try:
            checks[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # a probe must report any failure, never raise it
            logger.warning("Readiness check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "detail": str(exc) or type(exc).__name__}
    return checks


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database answers, the default model's production version
    loads (SHA-256 verified), the Celery broker is reachable and the audit signing key
    loads; otherwise 503 naming the parts that are down."""
    checks = readiness_checks()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "unavailable" if failing else "ready", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)


@require_GET
def front_page(request: HttpRequest) -> HttpResponse:
    """`/`: where a newcomer lands (and the admin's "View site" leads): links to the admin,
    the API docs and the operations endpoints."""
    return render(request, "front_page.html", {"model_name": settings.DEFAULT_MODEL_NAME})


class ReadinessCollector(Collector):
    """`loanportal_ready` (1 or 0) and `loanportal_readiness_check_ok{check}`: what `/ready/`
    answers, at scrape time, so an alert can fire when the portal stops being ready."""

    def collect(self) -> Iterator[Metric]:
        checks = readiness_checks()
        ready = GaugeMetricFamily("loanportal_ready", "Whether /ready/ would answer 200.")
        ready.add_metric([], float(all(c["ok"] for c in checks.values())))
        per_check = GaugeMetricFamily(
            "loanportal_readiness_check_ok", "Whether one readiness check passes.", labels=["check"]
        )
        for name, result in checks.items():
            per_check.add_metric([name], float(result["ok"]))
        yield from (ready, per_check)


def readiness_collector() -> ReadinessCollector:
    return ReadinessCollector()
