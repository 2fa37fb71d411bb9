"""The scoring path stays lean: one query authenticates the client with its roles, and one
INSERT logs the decision while checking, in the same statement, that the version that
scored it is still in production."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .support import PREDICT_URL, post_json


def test_a_prediction_costs_two_queries(api, application):
    post_json(api, PREDICT_URL, application)  # the first request loads the model
    with CaptureQueriesContext(connection) as queries:
        assert post_json(api, PREDICT_URL, application).status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 2, statements
    assert "authtoken_token" in statements[0] and "auth_group" in statements[0]
    assert "INSERT INTO predictions_decisionlog" in statements[1]
    assert "state" in statements[1] and "governance_modelversion" in statements[1]


def test_a_refused_application_costs_authentication_and_one_insert(api, application):
    """Counting refusals (issue: input data quality) adds one INSERT to the 400 path and nothing else."""
    post_json(api, PREDICT_URL, application)
    with CaptureQueriesContext(connection) as queries:
        assert post_json(api, PREDICT_URL, {**application, "favourite_colour": "teal"}).status_code == 400
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 2, statements
    assert "authtoken_token" in statements[0]
    assert statements[1].startswith("INSERT INTO") and "predictions_refusedapplication" in statements[1]
