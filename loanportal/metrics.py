"""Prometheus metrics of the web process, and their exposition at `/metrics`.

Under gunicorn every worker is a process of its own, so counters live in prometheus_client's
multiprocess files under `PROMETHEUS_MULTIPROC_DIR` (set and emptied by
`loanportal/gunicorn.conf.py`) and a scrape adds up all workers. Without the variable
(runserver, tests) the default in-process registry is used.

Other apps expose their own figures by naming a zero-argument callable that returns a
`prometheus_client` collector in `settings.PROMETHEUS_EXTRA_COLLECTORS`; it is called on
every scrape, so it can read fresh values from the database.
"""

import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

# Requests that match no URL pattern share one label value, so a scan of random paths
# cannot blow up the number of time series.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "loanportal_http_requests_total",
    "HTTP requests by URL pattern, method and status class (2xx, 4xx, ...).",
    ["route", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "loanportal_http_request_duration_seconds",
    "Time from the request entering Django to the response leaving it, by URL pattern and method.",
    ["route", "method"],
    buckets=(0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_ERRORS = Counter(
    "loanportal_http_errors_total",
    "Responses with a 4xx or 5xx status, by URL pattern, method and exact status code.",
    ["route", "method", "status"],
)
PREDICTIONS = Counter(
    "loanportal_predictions_total",
    "Scored and logged applications by registered model, version number and decision.",
    ["model", "version", "decision"],
)

DECISIONS_BY_BAND = Counter(
    "loanportal_decisions_by_band_total",
    "Scored and logged applications by registered model, version number and risk band.",
    ["model", "version", "band"],
)
REFUSED_APPLICATIONS = Counter(
    "loanportal_refused_applications_total",
    "Applications the scoring API refused with 400 (each one in a refused batch), by model and version.",
    ["model", "version"],
)


class PrometheusMiddleware:
    """Counts and times every request; outermost, so error pages are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match is not None else UNMATCHED_ROUTE
        method = request.method or ""
        status = response.status_code
        HTTP_REQUESTS.labels(route, method, f"{status // 100}xx").inc()
        HTTP_REQUEST_SECONDS.labels(route, method).observe(elapsed)
        if status >= 400:
            HTTP_ERRORS.labels(route, method, str(status)).inc()
        return response


def metrics_exposition() -> bytes:
    """Every metric of every worker, plus the collectors other apps register, as text."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    for path in settings.PROMETHEUS_EXTRA_COLLECTORS:
        registry.register(import_string(path)())
    return generate_latest(registry)
