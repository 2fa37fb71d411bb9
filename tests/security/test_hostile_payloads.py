"""Hostile bodies sent to the scoring and outcome endpoints: each is refused with a 4xx in
the `{detail, errors}` shape, naming the field at fault where there is one, and nothing is
scored, logged or recorded. (Malformed JSON on the single endpoint and the field rules are
in tests/predictions/test_request_errors.py and test_application_validation.py.)"""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection

from governance.ml.fields import APPLICATION_FIELDS
from predictions.models import DecisionLog, Outcome

from ..predictions.support import BATCH_URL, PREDICT_URL, post_json

BULK_OUTCOME_URL = "/api/v1/outcomes/"

SQL_INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE predictions_decisionlog; --",
    "south'); DELETE FROM predictions_decisionlog; --",
    "' UNION SELECT key FROM authtoken_token --",
]
HTML_INJECTIONS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "{{ settings.SECRET_KEY }}"]
UNICODE = [
    "south\u202e",  # right-to-left override
    "sou\u200bth",  # zero-width space inside a valid category
    "\U0001f3e6",  # emoji
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "south\x00",  # a null byte
]


@pytest.fixture
def outcome_url(api: Any, application: dict[str, Any]) -> str:
    prediction_id = post_json(api, PREDICT_URL, application).json()["prediction_id"]
    return f"{PREDICT_URL}{prediction_id}/outcome/"


def refused(response: Any, status: int = 400, *, logged: int = 0) -> dict[str, Any]:
    """The refusal's body, after checking its shape and that nothing was stored."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"} and body["detail"]
    assert DecisionLog.objects.count() == logged
    assert Outcome.objects.count() == 0
    return body


def send(api: Any, url: str, raw: str | bytes) -> Any:
    return api.post(url, raw, content_type="application/json")


def as_batch(raw_application: str) -> str:
    return '{"applications": [' + raw_application + "]}"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused_in_batches_and_outcomes_too(api, outcome_url, literal):
    body = refused(send(api, BATCH_URL, as_batch(f'{{"income": {literal}}}')), logged=1)
    assert body["detail"] == f"JSON parse error - {literal} is not a JSON number"
    body = refused(send(api, outcome_url, f'{{"defaulted": false, "observed_at": {literal}}}'), logged=1)
    assert body["detail"] == f"JSON parse error - {literal} is not a JSON number"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9" * 400, "-" + "9" * 400])
@pytest.mark.parametrize("field", ["loan_amount", "income", "Credit_Score", "LTV"])
def test_a_number_beyond_a_double_is_refused_for_its_field(api, application, field, number):
    raw = json.dumps(application)[:-1] + f', "{field}": {number}}}'
    raw = raw.replace(f'"{field}": {json.dumps(application[field])}, ', "", 1)
    errors = refused(send(api, PREDICT_URL, raw))["errors"]
    assert set(errors) == {field}
    assert errors[field] in {"must be a finite number", "must not be negative"} or errors[field].startswith(
        "must be between"
    )
    errors = refused(send(api, BATCH_URL, as_batch(raw)))["errors"]
    assert set(errors) == {"0"} and set(errors["0"]) == {field}


def test_an_integer_too_long_for_python_to_read_is_a_parse_error(api, production_version):
    # Python refuses to convert integers of over 4,300 digits (CVE-2020-10735): a 400, not a 500.
    body = refused(send(api, PREDICT_URL, '{"income": ' + "9" * 5000 + "}"))
    assert body["detail"].startswith("JSON parse error - Exceeds the limit")


@pytest.mark.parametrize("url", [PREDICT_URL, BATCH_URL, BULK_OUTCOME_URL])
def test_a_body_over_the_default_limit_is_a_413_before_it_is_parsed(api, production_version, settings, url):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 16 * 1024 * 1024
    raw = '{"applications": "' + "x" * limit + '"}'
    body = refused(send(api, url, raw), 413)
    assert body["detail"] == f"The request body is larger than this API accepts ({limit:,} bytes)."


@pytest.mark.parametrize("url", [PREDICT_URL, BATCH_URL])
def test_ten_megabytes_under_the_limit_is_read_and_refused_as_invalid(api, production_version, url):
    raw = json.dumps({"applications": ["x" * 10_000_000]}) if url == BATCH_URL else json.dumps({"x" * 10_000_000: 1})
    errors = refused(send(api, url, raw))["errors"]
    assert errors


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
@pytest.mark.parametrize("url", [BATCH_URL, BULK_OUTCOME_URL, "outcome"])
def test_a_hundred_thousand_levels_of_nesting_are_a_400(api, outcome_url, url, opening, closing):
    url = outcome_url if url == "outcome" else url
    body = refused(send(api, url, opening * 100_000 + "1" + closing * 100_000), logged=1)
    assert body["detail"] == "JSON parse error - the document is nested too deeply"


@pytest.mark.parametrize("url", [BULK_OUTCOME_URL, "outcome"])
def test_duplicated_keys_are_refused_in_outcomes(api, outcome_url, url):
    url = outcome_url if url == "outcome" else url
    raw = '{"defaulted": false, "defaulted": true, "observed_at": "2030-01-01T00:00:00Z"}'
    body = refused(send(api, url, raw), logged=1)
    assert body["detail"] == "JSON parse error - duplicated key 'defaulted'"


@pytest.mark.parametrize("value", UNICODE, ids=["rtl", "zero-width", "emoji", "lone-surrogate", "null-byte"])
def test_unicode_tricks_in_a_category_are_refused_for_that_field(api, application, value):
    raw = json.dumps({**application, "Region": value})  # ensure_ascii: "\ud800" travels escaped
    errors = refused(send(api, PREDICT_URL, raw))["errors"]
    assert errors == {"Region": "must be one of: North, North-East, central, south"}
    errors = refused(send(api, BATCH_URL, as_batch(raw)))["errors"]
    assert errors == {"0": {"Region": "must be one of: North, North-East, central, south"}}


@pytest.mark.parametrize("key", UNICODE + HTML_INJECTIONS, ids=lambda key: ascii(key)[:20])
def test_an_unknown_field_of_any_name_is_named_back_as_json(api, application, key):
    raw = json.dumps({**application, key: 1})
    errors = refused(send(api, PREDICT_URL, raw))["errors"]
    assert errors == {key: "unknown field"}


@pytest.mark.parametrize("injection", SQL_INJECTIONS + HTML_INJECTIONS)
@pytest.mark.parametrize("field", APPLICATION_FIELDS)
def test_injection_strings_in_any_application_field_are_refused_for_that_field(api, application, field, injection):
    for url, application_errors in [(PREDICT_URL, lambda e: e), (BATCH_URL, lambda e: e["0"])]:
        raw = json.dumps({**application, field: injection})
        body = {"applications": [json.loads(raw)]} if url == BATCH_URL else json.loads(raw)
        errors = application_errors(refused(post_json(api, url, body))["errors"])
        assert list(errors) == [field]
        assert injection not in errors[field]  # the message states the rule; it does not echo input
    with connection.cursor() as cursor:  # the tables the strings name are still there
        for table in ("predictions_decisionlog", "authtoken_token"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names


@pytest.mark.parametrize("model", SQL_INJECTIONS + HTML_INJECTIONS + ["loan-default\x00"])
@pytest.mark.parametrize("url", [PREDICT_URL, BATCH_URL])
def test_injection_strings_as_the_model_name_find_no_model(api, application, url, model):
    body = {"applications": [application]} if url == BATCH_URL else application
    refused(post_json(api, f"{url}?{urlencode({'model': model})}", body), 404)


@pytest.mark.parametrize("injection", SQL_INJECTIONS + HTML_INJECTIONS)
@pytest.mark.parametrize("field", ["observed_at", "defaulted"])
def test_injection_strings_in_an_outcome_are_refused_for_that_field(api, outcome_url, field, injection):
    body = {"defaulted": False, "observed_at": "2030-01-01T00:00:00Z", field: injection}
    errors = refused(post_json(api, outcome_url, body), logged=1)["errors"]
    assert list(errors) == [field]


@pytest.mark.parametrize("body", ["a string", 7, None, True, [{"applications": []}]], ids=repr)
def test_a_body_of_the_wrong_type_is_refused_on_every_endpoint(api, outcome_url, body):
    assert refused(post_json(api, PREDICT_URL, body), logged=1)["errors"] == {
        "non_field_errors": f"must be an object of application fields, not {json_type(body)}"
    }
    assert "non_field_errors" in refused(post_json(api, BATCH_URL, body), logged=1)["errors"]
    assert refused(post_json(api, outcome_url, body), logged=1)["errors"]
    assert refused(post_json(api, BULK_OUTCOME_URL, body), logged=1)["errors"]


@pytest.mark.parametrize("applications", [{"0": {}}, "[]", 1, None], ids=repr)
def test_a_batch_whose_applications_are_not_a_list_names_the_key(api, production_version, applications):
    errors = refused(post_json(api, BATCH_URL, {"applications": applications}))["errors"]
    assert errors["applications"].startswith("must be a list of 1 to 10,000 applications, not ")


@pytest.mark.parametrize(
    "field, value", [("defaulted", "true"), ("defaulted", 1), ("observed_at", 1_700_000_000), ("prediction_id", 1)]
)
def test_outcome_fields_of_the_wrong_type_are_refused_for_that_field(api, outcome_url, field, value):
    prediction_id = outcome_url.split("/")[-3]
    item = {"prediction_id": prediction_id, "defaulted": False, "observed_at": "2030-01-01T00:00:00Z", field: value}
    errors = refused(post_json(api, BULK_OUTCOME_URL, {"outcomes": [item]}), logged=1)["errors"]
    assert list(errors["outcomes"]["0"]) == [field]


def json_type(value: Any) -> str:
    return {str: "a string", int: "a number", bool: "a boolean", list: "a list", type(None): "NoneType"}[type(value)]
