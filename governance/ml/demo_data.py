"""Synthetic loan applications in the Loan Default CSV layout, for machines without the data.

The generator is calibrated from a profile of aggregate statistics of the real file
(`demo_profile.json`: category shares, percentiles, rank correlations and default rates
per category and decile); no real row is copied. It reproduces what matters to the
portal:

* realistic marginals, the rank correlation of the amounts, and the couplings the real
  file has (type2 loans are exactly the business loans; `construction_type = mh`,
  `Secured_by = land` and `Security_Type = Indriect` go together; `age` and
  `submission_of_application` are missing together);
* a learnable default signal: log-odds add up the real per-category and per-decile
  effects, with the intercept solved so the default rate matches the real one;
* the real file's artifacts, so validation has something to find: `credit_type = EQUI`
  and missing `property_value`/`LTV` default almost surely, and the pricing fields
  (`rate_of_interest`, ...) are missing mostly for defaults.

Regenerate the profile from the real file with
`python -m governance.ml.demo_data PATH_TO_loan_default.csv > governance/ml/demo_profile.json`.
"""

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit, ndtr

from .dataset import load_dataset
from .fields import CATEGORICAL_FIELDS, NUMERIC_FIELDS, TARGET

PROFILE_PATH = Path(__file__).with_name("demo_profile.json")
CSV_COLUMNS = (
    "ID", "year", "loan_limit", "Gender", "approv_in_adv", "loan_type", "loan_purpose",
    "Credit_Worthiness", "open_credit", "business_or_commercial", "loan_amount",
    "rate_of_interest", "Interest_rate_spread", "Upfront_charges", "term", "Neg_ammortization",
    "interest_only", "lump_sum_payment", "property_value", "construction_type", "occupancy_type",
    "Secured_by", "total_units", "income", "credit_type", "Credit_Score",
    "co-applicant_credit_type", "age", "submission_of_application", "LTV", "Region",
    "Security_Type", "Status", "dtir1",
)  # fmt: skip
CORRELATED = ("loan_amount", "income", "LTV", "dtir1", "Credit_Score")
PRICING_FIELDS = ("rate_of_interest", "Interest_rate_spread", "Upfront_charges")
# Fields the generator derives from others instead of drawing them.
COUPLED = ("business_or_commercial", "Secured_by", "Security_Type", "submission_of_application")
PERCENTILES = np.linspace(0, 100, 101)
MISSING = "__missing__"


def build_profile(path: str | Path) -> dict[str, Any]:
    """Aggregate statistics of a real file: everything `generate` needs, no rows."""
    frame = load_dataset(path).frame
    raw = pd.read_csv(path, na_values=["NA", ""], keep_default_na=False, usecols=list(PRICING_FIELDS) + [TARGET])
    y = frame[TARGET].to_numpy()
    artifact = (frame["credit_type"] == "EQUI").to_numpy()
    clean = ~artifact & frame["property_value"].notna().to_numpy()
    profile: dict[str, Any] = {
        "rows": int(len(frame)),
        "default_rate": float(y.mean()),
        "clean_default_rate": float(y[clean].mean()),
        "artifact_default_rate": float(y[artifact].mean()),
        "property_missing_given_equi": float(frame.loc[artifact, "property_value"].isna().mean()),
        "categorical": {},
        "numeric": {},
        "pricing": {},
    }
    for name in CATEGORICAL_FIELDS:
        column = frame[name].fillna(MISSING)
        shares = column.value_counts(normalize=True).sort_index()
        rates = pd.Series(y[clean]).groupby(column[clean].to_numpy()).mean()
        profile["categorical"][name] = {
            "shares": {k: round(float(v), 6) for k, v in shares.items()},
            "clean_default_rate": {k: round(float(v), 6) for k, v in rates.items()},
        }
    for name in NUMERIC_FIELDS:
        column = frame[name]
        present = column.dropna().to_numpy()
        edges = np.unique(np.quantile(present, np.linspace(0.1, 0.9, 9)))
        bins = np.searchsorted(edges, column.to_numpy(), side="left")
        bins[column.isna().to_numpy()] = len(edges) + 1
        rates = pd.Series(y[clean]).groupby(bins[clean]).mean()
        profile["numeric"][name] = {
            "missing_rate": round(float(column.isna().mean()), 6),
            "percentiles": [float(v) for v in np.percentile(present, PERCENTILES)],
            "edges": [float(e) for e in edges],
            "clean_default_rate": {str(k): round(float(v), 6) for k, v in rates.items()},
        }
    profile["numeric"]["term"]["values"] = {
        str(k): round(float(v), 6) for k, v in frame["term"].dropna().value_counts(normalize=True).items() if v > 0.001
    }
    ranks = frame[list(CORRELATED)].rank()
    profile["rank_correlation"] = ranks.corr().round(4).to_numpy().tolist()
    for name in PRICING_FIELDS:
        present = raw[name].dropna().to_numpy()
        profile["pricing"][name] = {
            "missing_rate_by_status": {str(s): float(raw.loc[raw[TARGET] == s, name].isna().mean()) for s in (0, 1)},
            "percentiles": [float(v) for v in np.percentile(present, PERCENTILES)],
        }
    return profile


def load_profile() -> dict[str, Any]:
    return json.loads(PROFILE_PATH.read_text())


def _from_percentiles(u: np.ndarray, percentiles: list[float]) -> np.ndarray:
    return np.interp(u * 100, PERCENTILES, percentiles)


def _log_odds_effect(rate: float, base: float) -> float:
    return float(logit(np.clip(rate, 1e-3, 1 - 1e-3)) - logit(base))


def generate(rows: int, seed: int, profile: dict[str, Any] | None = None) -> pd.DataFrame:
    """`rows` synthetic applications with outcomes, columns as in the real CSV."""
    profile = profile or load_profile()
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    base = profile["clean_default_rate"]
    log_odds = np.zeros(rows)

    for name, stats in profile["categorical"].items():
        if name in COUPLED:
            continue
        labels = list(stats["shares"])
        column = rng.choice(
            np.array(labels, dtype=object),
            size=rows,
            p=np.array(list(stats["shares"].values())) / sum(stats["shares"].values()),
        )
        effects = {k: _log_odds_effect(v, base) for k, v in stats["clean_default_rate"].items()}
        log_odds += np.array([effects.get(v, 0.0) for v in column])
        data[name] = np.where(column == MISSING, np.full(rows, None, dtype=object), column)

    data["business_or_commercial"] = np.where(data["loan_type"] == "type2", "b/c", "nob/c")
    manufactured = data["construction_type"] == "mh"
    data["Secured_by"] = np.where(manufactured, "land", "home")
    data["Security_Type"] = np.where(manufactured, "Indriect", "direct")
    submission = profile["categorical"]["submission_of_application"]["shares"]
    to_inst = submission["to_inst"] / (submission["to_inst"] + submission["not_inst"])
    data["submission_of_application"] = np.where(
        pd.isna(data["age"]),
        np.full(rows, None, dtype=object),
        np.where(rng.random(rows) < to_inst, "to_inst", "not_inst"),
    )

    # Amounts: a Gaussian copula carries the real rank correlation between them.
    rank_corr = np.asarray(profile["rank_correlation"])
    pearson = 2 * np.sin(np.pi * rank_corr / 6)
    uniforms = ndtr(rng.multivariate_normal(np.zeros(len(CORRELATED)), pearson, size=rows))
    for k, name in enumerate(CORRELATED):
        data[name] = _from_percentiles(uniforms[:, k], profile["numeric"][name]["percentiles"])
    data["loan_amount"] = np.maximum(np.round((data["loan_amount"] - 6500) / 10000), 1) * 10000 + 6500
    data["income"] = np.round(data["income"] / 60) * 60
    data["dtir1"] = np.round(data["dtir1"])
    data["Credit_Score"] = np.round(data["Credit_Score"])
    property_value = np.maximum(np.round((data["loan_amount"] * 100 / data["LTV"] - 8000) / 10000), 0) * 10000 + 8000
    data["property_value"] = property_value
    data["LTV"] = data["loan_amount"] / property_value * 100
    terms = profile["numeric"]["term"]["values"]
    data["term"] = rng.choice(
        np.array([float(t) for t in terms]), size=rows, p=np.array(list(terms.values())) / sum(terms.values())
    )

    for name in NUMERIC_FIELDS:
        stats = profile["numeric"][name]
        bins = np.searchsorted(np.asarray(stats["edges"]), data[name], side="left")
        effects = {int(k): _log_odds_effect(v, base) for k, v in stats["clean_default_rate"].items()}
        if name != "property_value" and name != "LTV":
            missing = rng.random(rows) < stats["missing_rate"]
            bins[missing] = len(stats["edges"]) + 1
            data[name] = np.where(missing, np.nan, data[name])
        log_odds += np.array([effects.get(int(b), 0.0) for b in bins])

    artifact = data["credit_type"] == "EQUI"
    no_property = artifact & (rng.random(rows) < profile["property_missing_given_equi"])
    data["property_value"] = np.where(no_property, np.nan, data["property_value"])
    data["LTV"] = np.where(no_property, np.nan, data["LTV"])

    intercept = brentq(lambda b: expit(b + log_odds[~artifact]).mean() - base, -20, 20)
    p_default = np.where(artifact, profile["artifact_default_rate"], expit(intercept + log_odds))
    status = (rng.random(rows) < p_default).astype(int)
    data[TARGET] = status

    for name, stats in profile["pricing"].items():
        u = rng.random(rows)
        value = _from_percentiles(rng.random(rows), stats["percentiles"])
        missing_rate = np.where(status == 1, stats["missing_rate_by_status"]["1"], stats["missing_rate_by_status"]["0"])
        data[name] = np.where(u < missing_rate, np.nan, np.round(value, 4))

    data["ID"] = np.arange(1, rows + 1)
    data["year"] = 2019
    data["co-applicant_credit_type"] = data.pop("co_applicant_credit_type")
    return pd.DataFrame(data)[list(CSV_COLUMNS)]


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    frame.to_csv(path, index=False, na_rep="NA")


if __name__ == "__main__":
    json.dump(build_profile(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")
