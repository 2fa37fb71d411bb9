"""Whatever a client sends, the API answers JSON with a 4xx (or a 503 when the database is
down), never a 500 page, and logs nothing it did not score."""

import json

import pytest
from django.db import OperationalError, connection

from predictions.models import DecisionLog

from .support import BATCH_URL, PREDICT_URL, post_json


def error_body(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    assert DecisionLog.objects.count() == 0
    return body


@pytest.mark.parametrize(
    "raw, detail",
    [
        ('{"loan_amount": 100000,', "JSON parse error - Expecting property name"),
        ('{"income": 5000, "income": 900000}', "JSON parse error - duplicated key 'income'"),
        ('{"income": NaN}', "JSON parse error - NaN is not a JSON number"),
        ('{"income": Infinity}', "JSON parse error - Infinity is not a JSON number"),
        ('{"income": -Infinity}', "JSON parse error - -Infinity is not a JSON number"),
        (b'{"Region": "\xff"}', "JSON parse error - 'utf-8' codec can't decode"),
        ("[" * 100_000 + "]" * 100_000, "JSON parse error - the document is nested too deeply"),
    ],
)
def test_malformed_json_is_a_400_naming_the_problem(api, production_version, raw, detail):
    body = error_body(api.post(PREDICT_URL, raw, content_type="application/json"), 400)
    assert body["detail"].startswith(detail)


def test_duplicated_keys_are_refused_inside_batch_applications_too(api, application):
    raw = json.dumps({"applications": [application]})[:-3] + ', "Region": "south"}]}'
    body = error_body(api.post(BATCH_URL, raw, content_type="application/json"), 400)
    assert body["detail"] == "JSON parse error - duplicated key 'Region'"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_a_415(api, application, content_type):
    body = error_body(api.post(PREDICT_URL, json.dumps(application), content_type=content_type), 415)
    assert content_type in body["detail"]


def test_a_body_over_the_limit_is_a_413_and_one_at_the_limit_is_read(api, application, settings):
    raw = json.dumps(application)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw)
    assert api.post(PREDICT_URL, raw, content_type="application/json").status_code == 201
    response = api.post(PREDICT_URL, raw + " ", content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than this API accepts ({len(raw):,} bytes).",
        "errors": {},
    }
    assert DecisionLog.objects.count() == 1


def test_the_default_limit_takes_a_full_batch_of_ten_thousand_indented_applications(settings, application):
    indented = json.dumps({"applications": [application] * 10_000}, indent=2)
    assert len(indented) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_an_empty_body_is_an_application_missing_its_required_fields(api, production_version):
    body = error_body(api.post(PREDICT_URL, "", content_type="application/json"), 400)
    assert body["errors"]["loan_type"] == "this field is required"


def test_a_database_outage_is_a_503_with_retry_after_and_nothing_logged(api, application):
    def refuse_insert(execute, sql, params, many, context):
        if sql.startswith("INSERT INTO") and "predictions_decisionlog" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_insert):
        response = post_json(api, PREDICT_URL, application)
    body = error_body(response, 503)
    assert response["Retry-After"] == "5"
    assert "database is unavailable" in body["detail"]


def test_an_unknown_api_url_is_a_json_404(api):
    body = error_body(api.get("/api/v1/predictions/not-a-uuid/"), 404)
    assert body == {"detail": "Not found.", "errors": {}}
