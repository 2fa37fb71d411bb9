"""Adverse-action reason codes from the model's own per-feature contributions.

Pure: arrays in, reason items out; no Django. A declined applicant is owed the principal
reasons for the decision (ECOA / Regulation B adverse-action notices). The reasons are the
model features that pushed this application's log-odds of default up the most
(`governance.ml.scorer.Scorer.contributions`), largest first, at most `MAX_REASONS`, each as

    {"code": "DTI", "feature": "dtir1", "reason": "Debt-to-income ratio too high", "contribution": 0.4312}

`contribution` is the feature's share of the log-odds, rounded to 6 decimals. Codes are
stable: a notice template or a downstream system may key on them. A feature whose value
was missing has its own code (`<CODE>_MISSING`), because "not provided" is a different
reason from "too high". The texts state the direction in which the factor conventionally
raises credit risk; README "Reason codes" lists them all.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

MAX_REASONS = 4


class Reason(NamedTuple):
    code: str
    text: str
    missing_text: str


# Model feature -> its reason. Keep codes stable: add new features, never rename.
REASONS: dict[str, Reason] = {
    "loan_limit": Reason(
        "LOAN_LIMIT", "Loan limit category of the loan (conforming or not)", "Loan limit category not provided"
    ),
    "loan_type": Reason("LOAN_TYPE", "Type of loan requested", "Type of loan not provided"),
    "loan_purpose": Reason("LOAN_PURPOSE", "Purpose of the loan", "Purpose of the loan not provided"),
    "loan_amount": Reason(
        "LOAN_AMOUNT", "Amount of credit requested too high", "Amount of credit requested not provided"
    ),
    "property_value": Reason("PROPERTY_VALUE", "Value of collateral insufficient", "Property value not provided"),
    "construction_type": Reason("CONSTRUCTION", "Construction type of the property", "Construction type not provided"),
    "occupancy_type": Reason("OCCUPANCY", "Occupancy of the property", "Occupancy of the property not provided"),
    "income": Reason("INCOME", "Income insufficient for amount of credit requested", "Income not provided"),
    "credit_type": Reason("CREDIT_BUREAU", "Credit bureau report type", "Credit bureau report type not provided"),
    "Credit_Score": Reason("CREDIT_SCORE", "Credit score too low", "Credit score not provided"),
    "term": Reason("TERM", "Term of the loan", "Term of the loan not provided"),
    "LTV": Reason("LTV", "Loan-to-value ratio too high", "Loan-to-value ratio not provided"),
    "dtir1": Reason("DTI", "Debt-to-income ratio too high", "Debt-to-income ratio not provided"),
    "approv_in_adv": Reason("PRE_APPROVAL", "No pre-approval of the loan", "Pre-approval status not provided"),
    "open_credit": Reason("OPEN_CREDIT", "Open credit lines", "Open credit status not provided"),
    "business_or_commercial": Reason(
        "BUSINESS_USE", "Business or commercial use of the loan", "Business or commercial use not provided"
    ),
    "Neg_ammortization": Reason(
        "NEG_AMORTIZATION", "Negative amortization feature of the loan", "Negative amortization feature not provided"
    ),
    "interest_only": Reason(
        "INTEREST_ONLY", "Interest-only payment feature of the loan", "Interest-only feature not provided"
    ),
    "lump_sum_payment": Reason(
        "LUMP_SUM", "Lump-sum payment feature of the loan", "Lump-sum payment feature not provided"
    ),
    "Secured_by": Reason("COLLATERAL_TYPE", "Type of collateral", "Type of collateral not provided"),
    "total_units": Reason("UNITS", "Number of units in the property", "Number of units not provided"),
    "Credit_Worthiness": Reason("CREDIT_WORTHINESS", "Credit worthiness grade", "Credit worthiness grade not provided"),
    "co_applicant_credit_type": Reason(
        "CO_APPLICANT_BUREAU",
        "Co-applicant credit bureau report type",
        "Co-applicant credit bureau report type not provided",
    ),
    "submission_of_application": Reason(
        "SUBMISSION_CHANNEL", "Channel through which the application was submitted", "Submission channel not provided"
    ),
    "Region": Reason("REGION", "Region of the property", "Region of the property not provided"),
    "Security_Type": Reason("SECURITY_TYPE", "Type of security interest", "Type of security interest not provided"),
    "loan_to_income": Reason(
        "LOAN_TO_INCOME", "Amount of credit requested too high relative to income", "Income not provided or zero"
    ),
}


def feature_reason(feature: str) -> Reason:
    """The reason of a model feature; a feature a newer model adds before this table knows
    it still gets a stable code derived from its name rather than no reason at all."""
    reason = REASONS.get(feature)
    if reason is None:
        label = feature.replace("_", " ")
        reason = Reason(f"FEATURE_{feature.upper()}", f"Value of {label}", f"{label.capitalize()} not provided")
    return reason


def top_reasons(
    *,
    model_features: Sequence[str],
    contributions: np.ndarray,
    model_inputs: np.ndarray,
    limit: int = MAX_REASONS,
) -> list[dict[str, Any]]:
    """The features that pushed one application's score up most, largest first.

    `contributions` and `model_inputs` are that application's row of
    `Scorer.contributions` and of the model matrix (NaN where a value was missing). Only
    positive contributions are reasons; ties keep model feature order.
    """
    order = np.argsort(-contributions, kind="stable")[:limit]
    items = []
    for index in order:
        value = float(contributions[index])
        if value <= 0:
            break
        feature = model_features[index]
        reason = feature_reason(feature)
        missing = bool(np.isnan(model_inputs[index]))
        items.append(
            {
                "code": f"{reason.code}_MISSING" if missing else reason.code,
                "feature": feature,
                "reason": reason.missing_text if missing else reason.text,
                "contribution": round(value, 6),
            }
        )
    return items


def top_reasons_batch(
    *,
    model_features: Sequence[str],
    contributions: np.ndarray,
    model_inputs: np.ndarray,
    limit: int = MAX_REASONS,
) -> list[list[dict[str, Any]]]:
    """`top_reasons` of every row of `contributions` and `model_inputs` at once.

    The hourly shadow job explains tens of thousands of declines: the ordering, the cut at
    the first non-positive contribution and the missing flags are worked out for all rows
    in numpy, and Python only builds the (at most `limit`) items of each row. The result is
    item for item what `top_reasons` gives for each row.
    """
    # Stable along each row: ties keep model feature order, as in `top_reasons`.
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :limit]
    values = np.take_along_axis(contributions, order, axis=1)
    # `top_reasons` stops at the first contribution that is not positive (NaN is not <= 0).
    kept = np.cumprod(~(values <= 0), axis=1).sum(axis=1)
    # Item labels by (feature index, missing): index 2 * feature + missing.
    labels = []
    for feature in model_features:
        reason = feature_reason(feature)
        labels += [(reason.code, feature, reason.text), (f"{reason.code}_MISSING", feature, reason.missing_text)]
    keys = 2 * order + np.isnan(np.take_along_axis(model_inputs, order, axis=1))
    explained = []
    for row_keys, row_values, count in zip(keys.tolist(), _rounded(values).tolist(), kept.tolist(), strict=True):
        items = []
        for key, value in zip(row_keys[:count], row_values[:count], strict=True):
            code, feature, text = labels[key]
            items.append({"code": code, "feature": feature, "reason": text, "contribution": value})
        explained.append(items)
    return explained


def _rounded(values: np.ndarray) -> np.ndarray:
    """`round(value, 6)` of every value, to the last bit.

    Python rounds the exact binary value to 6 decimals; `np.round` rounds `value * 1e6`,
    whose own rounding error can move a value lying (almost) exactly halfway between two
    6-decimal numbers to the other side. Away from halfway the two agree, because the
    chosen integer divided by 1e6 is correctly rounded in both; the few values near
    halfway (and any too large for the product to be exact) are rounded by Python.
    """
    scaled = values * 1e6
    rounded = np.rint(scaled) / 1e6
    with np.errstate(invalid="ignore"):
        doubtful = (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6) | ~(np.abs(scaled) < 2.0**40)
    doubtful &= ~np.isnan(values)
    for index in zip(*np.nonzero(doubtful), strict=True):
        rounded[index] = round(float(values[index]), 6)
    return rounded
