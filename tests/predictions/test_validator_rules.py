"""The validator on its own (no Django): cleaned output, batch envelope, range display."""

import pytest

from governance.ml.fields import APPLICATION_FIELDS
from predictions.validation import MAX_BATCH_SIZE, ApplicationValidator

SCHEMA = {
    "range_tolerance": 0.1,
    "fields": [
        {"name": "loan_amount", "type": "number", "nullable": False, "min": 16500.0, "max": 3576500.0},
        {"name": "income", "type": "number", "nullable": True, "min": 0.0, "max": 1000.0},
        {"name": "Region", "type": "category", "nullable": False, "categories": ["North", "south"]},
    ],
}


def test_a_valid_application_comes_back_with_every_schema_field_in_schema_order():
    cleaned, errors = ApplicationValidator(SCHEMA).validate({"Region": "south", "loan_amount": 100000})
    assert errors == {}
    assert list(cleaned.items()) == [("loan_amount", 100000), ("income", None), ("Region", "south")]


def test_amounts_cannot_go_below_zero_even_where_the_tolerance_would_allow_it():
    validator = ApplicationValidator(SCHEMA)
    assert validator.validate({"Region": "south", "loan_amount": 100000, "income": -50})[1] == {
        "income": "must not be negative"
    }
    assert validator.validate({"Region": "south", "loan_amount": 100000, "income": 1100.5})[1] == {
        "income": "must be between 0 and 1100"
    }


def test_the_training_schema_of_every_version_covers_exactly_the_public_fields(training_result):
    validator = ApplicationValidator(training_result.feature_schema)
    assert validator.field_names == APPLICATION_FIELDS


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"applications": "must be a list of 1 to 10,000 applications, not nothing"}),
        ({"applications": []}, {"applications": "must be a list of 1 to 10,000 applications, not 0 applications"}),
        ({"applications": {}}, {"applications": "must be a list of 1 to 10,000 applications, not an object"}),
        ([], {"non_field_errors": "must be an object with an 'applications' list, not a list"}),
        (
            {"applications": [{"Region": "south", "loan_amount": 1e5}], "dry_run": True},
            {"dry_run": "unknown field"},
        ),
    ],
)
def test_a_malformed_batch_envelope_is_refused(body, errors):
    assert ApplicationValidator(SCHEMA).validate_batch(body) == (None, errors)


def test_batch_errors_are_keyed_by_index_then_field():
    good = {"Region": "south", "loan_amount": 1e5}
    cleaned, errors = ApplicationValidator(SCHEMA).validate_batch({"applications": [good, {**good, "Region": 3}, "x"]})
    assert cleaned is None
    assert errors == {
        "1": {"Region": "must be one of: North, south (got a number)"},
        "2": {"non_field_errors": "must be an object of application fields, not a string"},
    }


def test_a_batch_may_hold_ten_thousand_applications_and_no_more():
    good = {"Region": "south", "loan_amount": 1e5}
    cleaned, errors = ApplicationValidator(SCHEMA).validate_batch({"applications": [good] * MAX_BATCH_SIZE})
    assert errors == {} and len(cleaned) == MAX_BATCH_SIZE
    _, errors = ApplicationValidator(SCHEMA).validate_batch({"applications": [good] * (MAX_BATCH_SIZE + 1)})
    assert errors == {"applications": "must be a list of 1 to 10,000 applications, not 10,001 applications"}
