"""Liveness, readiness naming what is down, Prometheus metrics (extensible by other apps)."""

from collections import Counter

from django.db import OperationalError, connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from .support import BATCH_URL, PREDICT_URL, post_json


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_health_answers_without_credentials_or_a_database(client):
    # No database fixture: a query would fail this test.
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_when_database_model_and_broker_are_up(client, production_version):
    response = client.get("/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "model", "broker", "audit"}
    assert body["checks"]["model"]["detail"] == "loan-default v1 loaded"


def test_not_ready_without_a_production_model_and_says_so(client, draft_version):
    response = client.get("/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["model"]
    assert "no version of 'loan-default' is in production" in body["checks"]["model"]["detail"]


def test_not_ready_when_the_model_artifact_was_tampered_with(client, production_version, artifact_dir):
    (artifact_dir / production_version.artifact_path).write_text("{}")
    body = client.get("/ready/").json()
    assert body["failing"] == ["model"] and "failed its integrity check" in body["checks"]["model"]["detail"]


def test_not_ready_when_the_broker_is_unreachable(client, production_version, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_not_ready_without_an_audit_signing_key_and_says_why(client, production_version, settings):
    settings.AUDIT_SIGNING_KEY = ""
    body = client.get("/ready/").json()
    assert body["failing"] == ["audit"] and "AUDIT_SIGNING_KEY is not set" in body["checks"]["audit"]["detail"]


def test_not_ready_when_the_database_is_down_and_the_model_is_not_blamed(client, production_version):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(refuse):
        response = client.get("/ready/")
    body = response.json()
    assert response.status_code == 503 and body["failing"] == ["database", "model"]
    assert body["checks"]["model"]["detail"].startswith("not checked")


def test_metrics_count_requests_latency_errors_refusals_and_predictions_per_version_decision_and_band(
    client, api, applications
):
    before = samples(client)
    results = post_json(api, BATCH_URL, {"applications": applications[:20]}).json()["results"]
    post_json(api, PREDICT_URL, {"Region": "nowhere"})
    after = samples(client)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    declines = sum(r["decision"] == "decline" for r in results)
    version = {"model": "loan-default", "version": "1"}
    assert grew("loanportal_predictions_total", decision="decline", **version) == declines
    assert grew("loanportal_predictions_total", decision="approve", **version) == 20 - declines
    bands = Counter(r["risk_band"] for r in results)
    for band, count in bands.items():
        assert grew("loanportal_decisions_by_band_total", band=band, **version) == count
    assert grew("loanportal_refused_applications_total", **version) == 1
    batch = {"route": "/api/v1/predictions/batch/", "method": "POST"}
    assert grew("loanportal_http_requests_total", status="2xx", **batch) == 1
    assert grew("loanportal_http_request_duration_seconds_count", **batch) == 1
    assert grew("loanportal_http_request_duration_seconds_bucket", le="+Inf", **batch) == 1
    assert grew("loanportal_http_errors_total", route="/api/v1/predictions/", method="POST", status="400") == 1


def test_unknown_urls_share_one_metric_label(client, db):  # a scrape reads monitoring results
    before = samples(client)
    client.get("/no/such/page-1")
    client.get("/no/such/page-2")
    after = samples(client)
    key = ("loanportal_http_requests_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "4xx")))
    assert after[key] - before.get(key, 0) == 2


class QueueDepth:
    def collect(self):
        yield GaugeMetricFamily("monitoring_jobs_pending", "Jobs waiting.", value=3)


def queue_depth() -> QueueDepth:
    return QueueDepth()


def test_other_apps_add_collectors_through_the_setting(client, settings):
    settings.PROMETHEUS_EXTRA_COLLECTORS = [f"{__name__}.queue_depth"]
    assert samples(client)[("monitoring_jobs_pending", ())] == 3
