"""Batches: all or nothing, results in input order, one log row per application."""

import numpy as np
import pytest

from predictions.models import DecisionLog

from .support import BATCH_URL, features_of, post_json


def test_a_batch_is_scored_and_logged_in_order(api, api_client_user, applications, scored_frame, production_version):
    response = post_json(api, BATCH_URL, {"applications": applications}, HTTP_X_REQUEST_ID="nightly-batch-7")
    assert response.status_code == 201
    results = response.json()["results"]
    assert len(results) == len(applications) == 150
    np.testing.assert_allclose(
        [r["probability_default"] for r in results], scored_frame["probability"].head(150), atol=1e-12
    )
    decisions = {r["decision"] for r in results}
    assert decisions == {"approve", "decline"}
    rows = {str(row.pk): row for row in DecisionLog.objects.all()}
    assert len(rows) == 150
    for sent, result in zip(applications, results, strict=True):
        row = rows[result["prediction_id"]]
        assert row.request_id == "nightly-batch-7" and row.client == api_client_user
        assert {k: v for k, v in row.inputs.items() if v is not None} == sent
        assert len(row.inputs) == 28 and len(features_of(row.features)) == 28
        assert (row.probability, row.decision, row.reason_codes) == (
            result["probability_default"],
            result["decision"],
            result["reason_codes"],
        )
        assert row.model_version == production_version


def test_one_bad_application_refuses_the_whole_batch_keyed_by_index_and_field(api, applications):
    applications[2] = {**applications[2], "Credit_Score": "excellent"}
    applications[140] = {**applications[140], "loan_type": None}
    response = post_json(api, BATCH_URL, {"applications": applications})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The batch is invalid; no application in it was scored.",
        "errors": {
            "2": {"Credit_Score": "must be a number, not a string"},
            "140": {"loan_type": "may not be null"},
        },
    }
    assert DecisionLog.objects.count() == 0


@pytest.mark.parametrize("size", [0, 10_001])
def test_a_batch_must_hold_one_to_ten_thousand_applications(api, production_version, size):
    response = post_json(api, BATCH_URL, {"applications": [{}] * size})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "applications": f"must be a list of 1 to 10,000 applications, not {size:,} applications"
    }
    assert DecisionLog.objects.count() == 0


def test_a_batch_is_logged_with_debug_cursors_too(api, applications, production_version):
    # Capturing queries swaps in Django's debug cursor wrapper, as DEBUG does under make run.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection):
        response = post_json(api, BATCH_URL, {"applications": applications})
    assert response.status_code == 201
    assert DecisionLog.objects.count() == len(applications)
