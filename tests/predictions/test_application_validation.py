"""Every kind of invalid application is refused with 400 and a message per field, and
nothing is scored or logged; what the schema allows to be missing may be left out."""

from typing import Any

import numpy as np
import pytest

from governance.models import ModelVersion
from predictions.models import DecisionLog

from .support import PREDICT_URL, post_json


def schema_field(version: ModelVersion, name: str) -> dict[str, Any]:
    return next(f for f in version.feature_schema["fields"] if f["name"] == name)


def refused(api: Any, application: dict[str, Any]) -> dict[str, Any]:
    response = post_json(api, PREDICT_URL, application)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The application is invalid; it was not scored."
    assert DecisionLog.objects.count() == 0
    return body["errors"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("Credit_Score", True, "must be a number, not a boolean"),
        ("Credit_Score", "720", "must be a number, not a string"),
        ("loan_amount", [250000], "must be a number, not a list"),
        ("loan_amount", -1, "must not be negative"),
        ("income", -0.01, "must not be negative"),
        ("term", 0, "must be greater than 0"),
        ("Region", "Atlantis", "must be one of: North, North-East, central, south"),
        ("Region", "SOUTH", "must be one of: North, North-East, central, south"),
        ("loan_type", 1, "must be one of: type1, type2, type3 (got a number)"),
    ],
)
def test_a_wrong_value_is_refused_with_a_message_for_that_field(api, application, field, value, message):
    assert refused(api, {**application, field: value}) == {field: message}


def test_a_number_too_large_for_a_double_is_refused_as_not_finite(api, production_version):
    # Python's JSON parser reads 1e400 as infinity; NaN and Infinity literals are refused
    # by the parser itself (test_request_errors).
    response = api.post(PREDICT_URL, '{"Credit_Score": 1e400}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["Credit_Score"] == "must be a finite number"


def test_an_unknown_field_is_refused_even_a_real_column_the_model_must_not_see(api, application):
    errors = refused(api, {**application, "rate_of_interest": 4.5, "Status": 0})
    assert errors == {"rate_of_interest": "unknown field", "Status": "unknown field"}


def test_a_required_field_may_be_neither_missing_nor_null(api, application, production_version):
    assert not schema_field(production_version, "loan_type")["nullable"]
    missing = {k: v for k, v in application.items() if k != "loan_type"}
    assert refused(api, missing) == {"loan_type": "this field is required"}
    assert refused(api, {**application, "loan_type": None}) == {"loan_type": "may not be null"}


def test_a_nullable_field_may_be_omitted_or_null_and_is_logged_as_null(api, application, production_version):
    assert schema_field(production_version, "dtir1")["nullable"]
    omitted = {k: v for k, v in application.items() if k != "dtir1"}
    assert post_json(api, PREDICT_URL, omitted).status_code == 201
    assert post_json(api, PREDICT_URL, {**application, "property_value": None}).status_code == 201
    first, second = DecisionLog.objects.order_by("created_at")
    assert first.inputs["dtir1"] is None and second.inputs["property_value"] is None
    schema_order = [f["name"] for f in production_version.feature_schema["fields"]]
    assert np.isnan(np.frombuffer(first.features, "<f8")[schema_order.index("dtir1")])


def test_every_error_of_an_application_is_reported_at_once(api, application):
    errors = refused(api, {**application, "Credit_Score": "high", "Region": "Mars", "extra": 1})
    assert set(errors) == {"Credit_Score", "Region", "extra"}


def test_a_body_that_is_not_an_object_is_refused(api, production_version):
    response = post_json(api, PREDICT_URL, [1, 2])
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": "must be an object of application fields, not a list"}


@pytest.mark.parametrize("end", ["min", "max"])
def test_numbers_are_accepted_up_to_the_tolerance_beyond_the_training_range_and_not_past_it(
    api, application, production_version, end
):
    field = schema_field(production_version, "Credit_Score")
    tolerance = production_version.feature_schema["range_tolerance"]
    assert tolerance == 0.10
    span = field["max"] - field["min"]
    edge = field["min"] - tolerance * span if end == "min" else field["max"] + tolerance * span
    assert post_json(api, PREDICT_URL, {**application, "Credit_Score": edge}).status_code == 201
    beyond = float(np.nextafter(edge, -np.inf if end == "min" else np.inf))
    errors = refused_after_one(api, {**application, "Credit_Score": beyond})
    low, high = field["min"] - tolerance * span, field["max"] + tolerance * span
    assert errors == {"Credit_Score": f"must be between {low:.10g} and {high:.10g}"}


def refused_after_one(api: Any, application: dict[str, Any]) -> dict[str, Any]:
    response = post_json(api, PREDICT_URL, application)
    assert response.status_code == 400
    assert DecisionLog.objects.count() == 1  # only the accepted edge value was logged
    return response.json()["errors"]
