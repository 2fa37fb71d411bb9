"""Every application the scoring API refuses with 400 is counted, without its values: who,
when, which version, and per field the rule it broke. Successful predictions pay nothing
for it (tests/predictions/test_scoring_queries.py still counts two statements)."""

import pytest
from prometheus_client import REGISTRY

from predictions.models import DecisionLog, RefusedApplication

from .support import BATCH_URL, PREDICT_URL, post_json

pytestmark = pytest.mark.django_db


def refused_total() -> float:
    return (
        REGISTRY.get_sample_value("loanportal_refused_applications_total", {"model": "loan-default", "version": "1"})
        or 0.0
    )


def test_a_refused_application_is_counted_by_rule_without_its_values(
    api, application, api_client_user, production_version
):
    before = refused_total()
    used = {"Credit_Score", "loan_type", "income"}
    required = next(
        f["name"] for f in production_version.feature_schema["fields"] if not f["nullable"] and f["name"] not in used
    )
    bad = {
        **application,
        "Credit_Score": 10_000_000,  # out of range
        "loan_type": "type99",  # unknown category
        "income": "4000",  # wrong type
        "favourite_colour": "teal",  # unknown field
    }
    del bad[required]
    response = post_json(api, PREDICT_URL, bad)
    assert response.status_code == 400

    (refused,) = RefusedApplication.objects.all()
    assert refused.rules == {
        "Credit_Score": "out_of_range",
        "loan_type": "unknown_category",
        "income": "wrong_type",
        "favourite_colour": "unknown_field",
        required: "required",
    }
    assert (refused.client, refused.batch_index) == (api_client_user, None)
    assert refused.model_version.version == 1 and refused.request_id
    assert "teal" not in str(refused.rules) and "4000" not in str(refused.rules)  # no values kept
    assert refused_total() == before + 1
    assert not DecisionLog.objects.exists()


def test_a_refused_batch_counts_each_application_that_broke_a_rule(api, application):
    applications = [application, {**application, "loan_type": 3}, application, {**application, "LTV": -1.0}]
    response = post_json(api, BATCH_URL, {"applications": applications})
    assert response.status_code == 400
    rows = {r.batch_index: r.rules for r in RefusedApplication.objects.all()}
    assert rows == {1: {"loan_type": "wrong_type"}, 3: {"LTV": "out_of_range"}}


def test_a_body_that_is_not_a_batch_is_one_refusal_without_an_index(api, application):
    assert post_json(api, BATCH_URL, {"applications": "all of them", "extra": 1}).status_code == 400
    (refused,) = RefusedApplication.objects.all()
    assert (refused.batch_index, refused.rules) == (None, {"extra": "unknown_field", "applications": "wrong_type"})


def test_an_accepted_application_is_not_counted(api, application):
    assert post_json(api, PREDICT_URL, application).status_code == 201
    assert not RefusedApplication.objects.exists()
