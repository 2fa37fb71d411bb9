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
