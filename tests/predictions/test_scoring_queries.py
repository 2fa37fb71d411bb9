"""The scoring path stays lean: one query authenticates the client with its roles, one
finds the production version, one INSERT logs the decision."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import PREDICT_URL, post_json


def test_a_prediction_costs_three_queries_besides_the_transaction(api, application):
    post_json(api, PREDICT_URL, application)  # the first request loads the model
    with CaptureQueriesContext(connection) as queries:
        assert post_json(api, PREDICT_URL, application).status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 3, statements
    assert "authtoken_token" in statements[0] and "auth_group" in statements[0]
    assert "INSERT INTO predictions_decisionlog" in statements[2]
