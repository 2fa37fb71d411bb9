"""The reference training pipeline on demo data: what a registered version records."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from governance.ml.fields import APPLICATION_FIELDS, NOT_AVAILABLE_AT_DECISION
from governance.ml.scorer import Scorer
from governance.ml.training import train


def test_model_inputs_exclude_protected_and_post_decision_fields(training_result):
    features = training_result.feature_schema["model_features"]
    assert "Gender" not in features and "age" not in features
    assert not set(NOT_AVAILABLE_AT_DECISION) & set(features)
    assert [f["name"] for f in training_result.feature_schema["fields"]] == list(APPLICATION_FIELDS)


def test_holdout_metrics_match_an_independent_scoring_of_the_holdout(training_result, demo_dataset):
    metrics = training_result.metrics
    assert metrics["n_rows"] == training_result.training_data["holdout_rows"] == round(len(demo_dataset.frame) * 0.2)
    assert 0.8 < metrics["roc_auc"] < 1.0
    assert metrics["gini"] == pytest.approx(2 * metrics["roc_auc"] - 1)
    cm = metrics["confusion_matrix"]
    assert cm["tn"] + cm["fp"] + cm["fn"] + cm["tp"] == metrics["n_rows"]
    assert metrics["recall"] == pytest.approx(cm["tp"] / (cm["tp"] + cm["fn"]))
    # Scoring every demo row with the artifact must give an AUC in the same range.
    scores = Scorer(training_result.document).score_frame(demo_dataset.frame)
    assert roc_auc_score(demo_dataset.frame["Status"], scores) > metrics["roc_auc"] - 0.05


def test_training_data_fingerprint_describes_the_file(training_result, demo_dataset):
    data = training_result.training_data
    assert data["sha256"] == demo_dataset.sha256
    assert data["rows"] == len(demo_dataset.frame)
    assert data["class_balance"]["1"] == int(demo_dataset.frame["Status"].sum())


def test_baseline_shares_sum_to_one_for_every_field_and_the_score(training_result):
    baseline = training_result.baseline
    assert set(baseline["features"]) == set(APPLICATION_FIELDS)
    for entry in [*baseline["features"].values(), baseline["score"]]:
        assert sum(entry["shares"]) == pytest.approx(1.0)
        assert len(entry["shares"]) == len(entry["bins"]) == len(entry["counts"])
        assert sum(entry["counts"]) == baseline["rows"]
    loan_amount = baseline["features"]["loan_amount"]
    assert len(loan_amount["edges"]) == 9  # deciles
    assert loan_amount["bins"][-1] == "missing"


def test_demo_data_findings_flag_the_leakage_artifacts(training_result):
    high = {f["id"] for f in training_result.findings if f["severity"] == "high"}
    assert "TARGET_LEAKAGE_SEGMENT:credit_type:EQUI" in high
    assert "TARGET_LEAKAGE_SEGMENT:property_value:missing" in high
    codes = {f["code"] for f in training_result.findings}
    assert {"PROTECTED_ATTRIBUTES_EXCLUDED", "MISSING_VALUES", "CLASS_BALANCE", "HOLDOUT_AUC"} <= codes
    for finding in training_result.findings:
        assert set(finding) == {"id", "code", "severity", "message", "evidence"}


def test_fairness_is_recorded_per_protected_attribute(training_result):
    assert set(training_result.fairness) == {"Gender", "age"}
    gender = training_result.fairness["Gender"]["groups"]
    assert {"Female", "Joint", "Male", "Sex Not Available"} <= set(gender)


def test_auc_below_the_floor_is_a_high_finding(demo_dataset):
    result = train(
        demo_dataset, seed=1, protected_attributes=["Gender", "age"], min_auc=0.99, fairness_min_group_size=100
    )
    finding = next(f for f in result.findings if f["code"] == "HOLDOUT_AUC_BELOW_FLOOR")
    assert finding["severity"] == "high"
    assert finding["evidence"]["floor"] == 0.99


def test_fixed_threshold_policy_uses_the_configured_cut_off(demo_dataset):
    result = train(
        demo_dataset,
        seed=1,
        protected_attributes=["Gender", "age"],
        threshold_policy="fixed",
        fixed_threshold=0.5,
        min_auc=0.5,
        fairness_min_group_size=100,
    )
    assert result.threshold == 0.5 == result.metrics["threshold"]


def test_same_seed_gives_the_same_model(demo_dataset, training_result):
    again = train(
        demo_dataset, seed=42, protected_attributes=["Gender", "age"], min_auc=0.75, fairness_min_group_size=100
    )
    assert again.document == training_result.document
    assert np.isclose(again.threshold, training_result.threshold)
