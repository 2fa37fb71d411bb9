"""The logistic-regression baseline: when it wins it is registered as plain JSON that scores
and explains exactly as scikit-learn's fitted pipeline does."""

import json

import numpy as np
import pytest

from governance.ml.artifact import ArtifactIntegrityError, read_artifact, write_artifact
from governance.ml.scorer import LogisticScorer, scorer_for_document
from governance.selectors import artifact_location, model_version_scorer
from governance.services import model_version_register

from .support import model_matrix, sklearn_baseline, sklearn_contributions, with_unseen_and_missing


def test_the_baseline_wins_and_is_registered_where_default_risk_is_linear(linear_result):
    winner = linear_result.experiment["leaderboard"][0]
    assert (winner["candidate"], winner["kind"]) == ("logistic", "logistic")
    assert linear_result.experiment["model"]["kind"] == "logistic"
    assert linear_result.document["format"] == "loanportal.logistic-json"
    assert "lightgbm_model" not in linear_result.document
    assert "boosting_rounds" not in linear_result.metrics


def test_logistic_artifact_probabilities_equal_the_fitted_pipelines(linear_result, linear_dataset, tmp_path):
    relative, sha256, _ = write_artifact(tmp_path, "loan-default", linear_result.document)
    scorer = scorer_for_document(read_artifact(tmp_path / relative, sha256))
    assert isinstance(scorer, LogisticScorer)
    schema = linear_result.feature_schema
    matrix = with_unseen_and_missing(model_matrix(schema, linear_dataset.frame), schema)
    expected = sklearn_baseline(linear_result, linear_dataset.frame).predict_proba(matrix)[:, 1]
    np.testing.assert_allclose(scorer.probabilities(matrix), expected, rtol=0, atol=1e-9)
    rows = len(linear_dataset.frame)
    np.testing.assert_allclose(scorer.score_frame(linear_dataset.frame), expected[:rows], rtol=0, atol=1e-9)


def test_logistic_contributions_are_coefficients_times_standardised_deviations(linear_result, linear_dataset):
    scorer = scorer_for_document(linear_result.document)
    schema = linear_result.feature_schema
    matrix = with_unseen_and_missing(model_matrix(schema, linear_dataset.frame), schema)
    pipeline = sklearn_baseline(linear_result, linear_dataset.frame)
    contributions = scorer.contributions(matrix)
    np.testing.assert_allclose(contributions, sklearn_contributions(pipeline, matrix), atol=1e-9)
    # The intercept plus the contributions is the model's own log-odds, row by row.
    np.testing.assert_allclose(
        scorer.expected_log_odds + contributions.sum(axis=1), pipeline.decision_function(matrix), atol=1e-9
    )
    credit_score = scorer.model_features.index("Credit_Score")
    assert np.abs(contributions[:, credit_score]).mean() > np.abs(contributions).mean()


def test_the_logistic_artifact_is_plain_json_numbers(linear_result):
    model = linear_result.document["logistic_model"]
    assert json.loads(json.dumps(model)) == model
    assert {c["kind"] for c in model["columns"]} == {"value", "missing", "category"}
    for column in model["columns"]:
        assert column["feature"] == linear_result.feature_schema["model_features"][column["column"]]
        assert all(np.isfinite(column[k]) for k in ("mean", "scale", "coefficient"))


@pytest.mark.django_db
def test_a_registered_logistic_version_loads_checked_and_refuses_a_tampered_byte(
    registered_model, linear_result, author
):
    version = model_version_register(registered_model=registered_model, result=linear_result, author=author)
    path = artifact_location(version)
    assert isinstance(scorer_for_document(read_artifact(path, version.artifact_sha256)), LogisticScorer)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    with pytest.raises(ArtifactIntegrityError, match="failed its integrity check.*refusing to load"):
        model_version_scorer(version=version)
