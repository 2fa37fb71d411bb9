"""A logistic-regression version in production scores like scikit-learn's pipeline and
explains its declines with its own per-feature contributions."""

import numpy as np
import pytest

from governance.services import model_version_register
from predictions.reason_codes import MAX_REASONS
from tests.governance.support import model_matrix, sklearn_baseline, sklearn_contributions

from .support import PREDICT_URL, as_application, post_json


@pytest.fixture
def logistic_production(registered_model, linear_result, author, take_to):
    version = model_version_register(registered_model=registered_model, result=linear_result, author=author)
    return take_to(version, "production")


def test_a_logistic_production_version_scores_and_gives_reasons(
    api, logistic_production, linear_result, linear_dataset
):
    frame = linear_dataset.frame.head(400)
    pipeline = sklearn_baseline(linear_result, linear_dataset.frame)
    matrix = model_matrix(linear_result.feature_schema, frame)
    probability = pipeline.predict_proba(matrix)[:, 1]
    declined = int(np.flatnonzero(probability >= logistic_production.threshold)[0])
    approved = int(np.flatnonzero(probability < logistic_production.threshold)[0])

    body = post_json(api, PREDICT_URL, as_application(frame.iloc[declined].to_dict())).json()
    assert (body["decision"], body["model_version"]) == ("decline", logistic_production.version)
    assert body["probability_default"] == pytest.approx(probability[declined], abs=1e-9)
    contributions = sklearn_contributions(pipeline, matrix[declined : declined + 1])[0]
    features = linear_result.feature_schema["model_features"]
    expected = [features[i] for i in np.argsort(-contributions, kind="stable") if contributions[i] > 0][:MAX_REASONS]
    assert [reason["feature"] for reason in body["reason_codes"]] == expected
    for reason in body["reason_codes"]:
        assert reason["contribution"] == pytest.approx(contributions[features.index(reason["feature"])], abs=1e-6)

    body = post_json(api, PREDICT_URL, as_application(frame.iloc[approved].to_dict())).json()
    assert body["decision"] == "approve" and body["reason_codes"] == []
    assert body["probability_default"] == pytest.approx(probability[approved], abs=1e-9)
