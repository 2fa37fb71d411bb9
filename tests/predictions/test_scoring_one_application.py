"""One application in, one answer out, and a decision log row that says the same."""

import uuid
from datetime import datetime

import numpy as np
import pytest

from governance.selectors import model_version_scorer
from predictions.models import DecisionLog
from predictions.risk_bands import risk_bands

from .support import PREDICT_URL, features_of, post_json

FIELDS = {
    "prediction_id": str,
    "model": str,
    "model_version": int,
    "probability_default": float,
    "probability_no_default": float,
    "prediction": int,
    "prediction_label": str,
    "decision": str,
    "risk_band": str,
    "threshold": float,
    "reason_codes": list,
    "timestamp": str,
}


@pytest.mark.parametrize(
    "fixture, decision, label, prediction",
    [
        ("application", "approve", "No Default", 0),
        ("declined_application", "decline", "Default", 1),
    ],
)
def test_the_answer_has_every_field_with_the_right_type_and_values(
    request, api, production_version, scored_frame, fixture, decision, label, prediction
):
    sent = request.getfixturevalue(fixture)
    response = post_json(api, PREDICT_URL, sent)
    assert response.status_code == 201
    body = response.json()
    assert {name: type(value) for name, value in body.items()} == FIELDS
    assert uuid.UUID(body["prediction_id"]).version == 7  # time-ordered: see loanportal.ids
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert (body["model"], body["model_version"]) == ("loan-default", production_version.version)
    assert body["threshold"] == production_version.threshold
    assert (body["decision"], body["prediction_label"], body["prediction"]) == (decision, label, prediction)
    assert body["probability_default"] + body["probability_no_default"] == pytest.approx(1.0)
    assert body["risk_band"] == risk_bands(np.array([body["probability_default"]]))[0]


def test_the_probability_is_the_models_own(api, application, scored_frame, production_version):
    body = post_json(api, PREDICT_URL, application).json()
    complete = scored_frame.dropna()
    expected = complete[complete["probability"] < production_version.threshold].iloc[0]["probability"]
    assert body["probability_default"] == pytest.approx(expected, abs=1e-12)


def test_the_decision_is_logged_with_request_client_version_inputs_and_encoded_features(
    api, api_client_user, application, production_version
):
    response = post_json(api, PREDICT_URL, application, HTTP_X_REQUEST_ID="los-2026-000123")
    body = response.json()
    assert response["X-Request-ID"] == "los-2026-000123"
    row = DecisionLog.objects.get()
    assert str(row.pk) == body["prediction_id"]
    assert row.request_id == "los-2026-000123"
    assert row.client == api_client_user and row.model_version == production_version
    assert sorted(row.inputs) == sorted(f["name"] for f in production_version.feature_schema["fields"])
    assert {k: v for k, v in row.inputs.items() if v is not None} == application
    scorer = model_version_scorer(version=production_version)
    expected = scorer.encoder.encode_records([application])[0]
    assert len(row.features) == 28 * 8
    np.testing.assert_array_equal(features_of(row.features), expected)
    assert row.probability == body["probability_default"]
    assert (row.decision, row.risk_band, row.reason_codes) == (
        body["decision"],
        body["risk_band"],
        body["reason_codes"],
    )
    assert 0 < row.latency_ms < 5000
    assert row.created_at.isoformat().replace("+00:00", "Z") == body["timestamp"]


def test_the_decision_log_holds_exactly_one_row_per_scored_application(api, application, declined_application):
    statuses = [
        post_json(api, PREDICT_URL, body).status_code
        for body in (application, {**application, "Region": "x"}, declined_application, {}, application, [])
    ]
    assert statuses == [201, 400, 201, 400, 201, 400]
    assert DecisionLog.objects.count() == statuses.count(201)
