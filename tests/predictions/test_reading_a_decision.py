"""A logged decision can be read back as it was logged, with its inputs and outcome."""

import uuid

from django.utils import timezone

from .support import PREDICT_URL, post_json


def test_the_client_reads_back_its_decision_as_logged(api, declined_application):
    scored = post_json(api, PREDICT_URL, declined_application, HTTP_X_REQUEST_ID="los-42").json()
    response = api.get(f"{PREDICT_URL}{scored['prediction_id']}/")
    assert response.status_code == 200
    record = response.json()
    assert {k: record[k] for k in scored} == scored
    assert record["request_id"] == "los-42"
    assert record["client"] == "los-client"
    assert {k: v for k, v in record["inputs"].items() if v is not None} == declined_application
    assert record["latency_ms"] > 0
    assert record["inputs_removed_at"] is None and record["outcome"] is None


def test_compliance_sees_the_recorded_outcome(api, compliance, application):
    prediction_id = post_json(api, PREDICT_URL, application).json()["prediction_id"]
    observed = timezone.now().isoformat().replace("+00:00", "Z")
    response = post_json(api, f"{PREDICT_URL}{prediction_id}/outcome/", {"defaulted": True, "observed_at": observed})
    assert response.status_code == 201
    record = compliance.get(f"{PREDICT_URL}{prediction_id}/").json()
    assert record["outcome"] == response.json()
    assert record["outcome"]["defaulted"] is True and record["outcome"]["observed_at"] == observed


def test_an_unknown_prediction_is_a_404(api, production_version):
    response = api.get(f"{PREDICT_URL}{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.json()["errors"] == {}
