"""Per-feature contributions add up to the model's own log-odds, row by row."""

import numpy as np

from governance.ml.scorer import Scorer


def test_expected_log_odds_plus_contributions_equal_lightgbm_raw_scores(training_result, demo_dataset):
    scorer = Scorer(training_result.document)
    encoded = scorer.encoder.encode_frame(demo_dataset.frame.head(2000))
    matrix = scorer.encoder.model_matrix(encoded)
    contributions = scorer.contributions(matrix)
    raw = scorer.booster.predict(matrix, raw_score=True)
    assert contributions.shape == (2000, len(scorer.model_features))
    np.testing.assert_allclose(scorer.expected_log_odds + contributions.sum(axis=1), raw, atol=1e-9)
    # and the probabilities are the logistic of that raw score
    np.testing.assert_allclose(scorer.probabilities(matrix), 1 / (1 + np.exp(-raw)), atol=1e-12)


def test_a_missing_property_value_pushes_the_score_up_through_that_feature(training_result, demo_dataset):
    scorer = Scorer(training_result.document)
    frame = demo_dataset.frame
    rows = frame[frame["property_value"].isna()].head(50)
    contributions = scorer.contributions(scorer.encoder.model_matrix(scorer.encoder.encode_frame(rows)))
    pushed = (
        contributions[:, scorer.model_features.index("property_value")]
        + contributions[:, scorer.model_features.index("LTV")]
        + contributions[:, scorer.model_features.index("credit_type")]
    )
    assert (pushed > 0).mean() > 0.9
