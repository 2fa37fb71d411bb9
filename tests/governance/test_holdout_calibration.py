"""Registration records how well calibrated a version's probabilities are on the holdout:
the reliability curve, the expected calibration error, the bound, and an isotonic
recalibration when the error is above it. Checked against scikit-learn's calibration curve
on the holdout rebuilt independently of the pipeline."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from governance.ml.calibration import HOLDOUT_CALIBRATION_BOUND, holdout_calibration, isotonic_mapping_apply
from governance.ml.fields import TARGET
from governance.ml.schema import Encoder
from governance.ml.scorer import Scorer
from governance.ml.training import holdout_split


def sklearn_ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    codes = np.clip(np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], p), 0, bins - 1)
    counts = np.bincount(codes, minlength=bins)
    counts = counts[counts > 0]
    return float(np.sum(counts / len(p) * np.abs(observed - predicted)))


@pytest.mark.django_db
def test_a_registered_version_carries_its_holdout_calibration(draft_version, training_result, demo_dataset):
    frame = demo_dataset.frame
    y = frame[TARGET].to_numpy(dtype=np.int64)
    holdout = holdout_split(y, seed=42).holdout_rows
    encoder = Encoder(training_result.feature_schema)
    p = Scorer(training_result.document).probabilities(encoder.model_matrix(encoder.encode_frame(frame))[holdout])

    calibration = draft_version.calibration
    assert calibration["bound"] == HOLDOUT_CALIBRATION_BOUND
    assert calibration["expected_calibration_error"] == pytest.approx(sklearn_ece(y[holdout], p), abs=1e-9)
    curve = calibration["reliability_curve"]
    assert sum(b["count"] for b in curve) == len(holdout) == training_result.training_data["holdout_rows"]
    observed, _ = calibration_curve(y[holdout], p, n_bins=10, strategy="uniform")
    assert [b["observed_rate"] for b in curve if b["count"]] == pytest.approx(list(observed))
    above = calibration["expected_calibration_error"] > HOLDOUT_CALIBRATION_BOUND
    assert (calibration["isotonic"] is not None) == above


def test_miscalibrated_probabilities_get_an_isotonic_recalibration_that_fixes_them():
    rng = np.random.default_rng(3)
    true_p = rng.beta(1.5, 5.0, 20_000)
    y = rng.binomial(1, true_p)
    overconfident = true_p**2  # every probability of default understated
    calibration = holdout_calibration(y_true=y, probability=overconfident)
    assert calibration["expected_calibration_error"] == pytest.approx(sklearn_ece(y, overconfident), abs=1e-9)
    assert calibration["expected_calibration_error"] > HOLDOUT_CALIBRATION_BOUND
    mapping = calibration["isotonic"]
    assert mapping is not None
    recalibrated = isotonic_mapping_apply(mapping=mapping, probability=overconfident)
    assert sklearn_ece(y, recalibrated) < HOLDOUT_CALIBRATION_BOUND


def test_calibrated_probabilities_need_no_recalibration():
    rng = np.random.default_rng(4)
    p = rng.beta(1.5, 5.0, 50_000)
    calibration = holdout_calibration(y_true=rng.binomial(1, p), probability=p)
    assert calibration["expected_calibration_error"] < HOLDOUT_CALIBRATION_BOUND
    assert calibration["isotonic"] is None
