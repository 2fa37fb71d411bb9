"""Synthetic demo data: realistic, reproducible and never a copy of real rows."""

import numpy as np
import pandas as pd
import pytest

from governance.ml.demo_data import CSV_COLUMNS, generate, load_profile


@pytest.fixture(scope="module")
def frame():
    return generate(20000, seed=11)


def test_same_seed_same_rows():
    pd.testing.assert_frame_equal(generate(500, seed=3), generate(500, seed=3))


def test_columns_match_the_real_csv_layout(frame):
    assert list(frame.columns) == list(CSV_COLUMNS)


def test_marginals_follow_the_profile(frame):
    profile = load_profile()
    assert frame["Status"].mean() == pytest.approx(profile["default_rate"], abs=0.02)
    for name in ("loan_type", "Region", "credit_type", "Gender"):
        shares = frame[name].value_counts(normalize=True)
        for category, share in profile["categorical"][name]["shares"].items():
            assert shares.get(category, 0) == pytest.approx(share, abs=0.015), (name, category)
    assert frame["dtir1"].isna().mean() == pytest.approx(profile["numeric"]["dtir1"]["missing_rate"], abs=0.01)
    median = profile["numeric"]["loan_amount"]["percentiles"][50]
    assert frame["loan_amount"].median() == pytest.approx(median, rel=0.1)


def test_couplings_of_the_real_file_hold(frame):
    assert ((frame["loan_type"] == "type2") == (frame["business_or_commercial"] == "b/c")).all()
    assert (frame["age"].isna() == frame["submission_of_application"].isna()).all()
    priced = frame["property_value"].notna()
    ltv = frame.loc[priced, "loan_amount"] / frame.loc[priced, "property_value"] * 100
    np.testing.assert_allclose(ltv, frame.loc[priced, "LTV"])


def test_default_signal_is_learnable_beyond_the_artifacts(frame):
    clean = frame[(frame["credit_type"] != "EQUI") & frame["property_value"].notna()]
    by_dtir = clean.groupby(pd.qcut(clean["dtir1"], 4), observed=True)["Status"].mean()
    assert by_dtir.iloc[-1] > by_dtir.iloc[0] * 1.5


@pytest.mark.real_data
def test_no_real_row_is_copied(frame, real_dataset):
    keys = ["loan_amount", "income", "Credit_Score", "dtir1", "LTV"]
    real = real_dataset.frame[keys].dropna()
    synthetic = frame[keys].dropna()
    merged = synthetic.merge(real, on=keys, how="inner")
    # Amounts are banded, so a few coincidences on all five numbers are possible; copies would be thousands.
    assert len(merged) < 0.01 * len(synthetic)
