"""Declines carry the model's own top reasons; approvals carry none."""

import numpy as np
import pytest

from governance.selectors import model_version_scorer
from predictions.reason_codes import MAX_REASONS, REASONS, top_reasons, top_reasons_batch

from .support import BATCH_URL, PREDICT_URL, as_application, post_json

FEATURES = ["Credit_Score", "dtir1", "LTV", "income", "Region", "brand_new_feature"]


def expected_reasons(production_version, application):
    """The top positive contributions, computed here from the scorer directly."""
    scorer = model_version_scorer(version=production_version)
    matrix = scorer.encoder.model_matrix(scorer.encoder.encode_records([application]))
    contributions = scorer.contributions(matrix)[0]
    positive = [(value, i) for i, value in enumerate(contributions) if value > 0]
    top = sorted(positive, key=lambda item: -item[0])[:MAX_REASONS]
    return [(scorer.model_features[i], value) for value, i in top], matrix[0]


def test_a_decline_lists_the_features_that_raised_the_score_most_in_order(
    api, declined_application, production_version
):
    body = post_json(api, PREDICT_URL, declined_application).json()
    assert body["decision"] == "decline"
    expected, _ = expected_reasons(production_version, declined_application)
    assert 1 <= len(body["reason_codes"]) <= MAX_REASONS
    assert [r["feature"] for r in body["reason_codes"]] == [feature for feature, _ in expected]
    for reason, (feature, value) in zip(body["reason_codes"], expected, strict=True):
        assert reason["contribution"] == pytest.approx(value, abs=1e-6)
        assert reason["code"].startswith(REASONS[feature].code)
        assert set(reason) == {"code", "feature", "reason", "contribution"}


def test_an_approval_has_no_reason_codes(api, application):
    body = post_json(api, PREDICT_URL, application).json()
    assert body["decision"] == "approve" and body["reason_codes"] == []


def test_every_decline_of_a_batch_has_reasons_and_no_approval_has_any(api, applications, production_version):
    results = post_json(api, BATCH_URL, {"applications": applications}).json()["results"]
    declines = [(sent, r) for sent, r in zip(applications, results, strict=True) if r["decision"] == "decline"]
    assert declines
    for sent, result in declines:
        expected, _ = expected_reasons(production_version, sent)
        assert [r["feature"] for r in result["reason_codes"]] == [feature for feature, _ in expected]
    assert all(r["reason_codes"] == [] for r in results if r["decision"] == "approve")


def test_a_missing_value_has_its_own_code_and_text(api, production_version, scored_frame):
    declined = scored_frame["probability"] >= production_version.threshold
    missing_property = scored_frame[scored_frame["property_value"].isna() & declined]
    body = post_json(api, PREDICT_URL, as_application(missing_property.iloc[0].to_dict())).json()
    by_feature = {r["feature"]: r for r in body["reason_codes"]}
    assert by_feature["property_value"]["code"] == "PROPERTY_VALUE_MISSING"
    assert by_feature["property_value"]["reason"] == "Property value not provided"


def test_reasons_are_the_positive_contributions_largest_first_ties_in_feature_order():
    contributions = np.array([0.5, -0.2, 0.9, 0.5, 0.0, 0.1])
    inputs = np.array([700.0, 30.0, np.nan, 5000.0, 1.0, 3.0])
    reasons = top_reasons(model_features=FEATURES, contributions=contributions, model_inputs=inputs)
    assert [(r["code"], r["contribution"]) for r in reasons] == [
        ("LTV_MISSING", 0.9),
        ("CREDIT_SCORE", 0.5),
        ("INCOME", 0.5),
        ("FEATURE_BRAND_NEW_FEATURE", 0.1),
    ]
    assert reasons[0]["reason"] == "Loan-to-value ratio not provided"
    assert reasons[1]["reason"] == "Credit score too low"


def test_no_positive_contribution_means_no_reason():
    reasons = top_reasons(
        model_features=FEATURES, contributions=np.array([-0.5, 0.0, -0.1, -1, -2, 0]), model_inputs=np.zeros(6)
    )
    assert reasons == []


def test_every_model_feature_of_the_reference_pipeline_has_its_own_code(production_version):
    features = production_version.feature_schema["model_features"]
    assert set(features) <= set(REASONS)
    codes = [REASONS[f].code for f in REASONS]
    assert len(codes) == len(set(codes))


def test_batch_reasons_are_row_for_row_those_of_one_application():
    rng = np.random.default_rng(7)
    contributions = rng.normal(size=(300, len(FEATURES))).round(1)  # rounded: ties
    contributions[:20] = -np.abs(contributions[:20])  # rows with no reason at all
    contributions[20:40, 2] = 0.0
    # Halfway between two 6-decimal numbers (as near as a float gets), and not: rounded as `round`.
    contributions[40:80] = rng.integers(1, 10**6, size=(40, len(FEATURES))) / 1e6 + 5e-7
    contributions[80:120] = rng.normal(size=(40, len(FEATURES)))
    inputs = rng.normal(size=contributions.shape)
    inputs[rng.random(size=inputs.shape) < 0.2] = np.nan
    batch = top_reasons_batch(model_features=FEATURES, contributions=contributions, model_inputs=inputs)
    single = [
        top_reasons(model_features=FEATURES, contributions=c, model_inputs=x)
        for c, x in zip(contributions, inputs, strict=True)
    ]
    assert batch == single
    assert any(len(r) == MAX_REASONS for r in batch) and batch[:20] == [[]] * 20
    assert any(r["code"].endswith("_MISSING") for reasons in batch for r in reasons)
