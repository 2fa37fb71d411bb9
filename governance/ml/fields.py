"""The Loan Default application payload: which fields exist and what the model may use.

The public API accepts exactly `APPLICATION_FIELDS`. The model never sees fields that are
unknown when an application is decided (`NOT_AVAILABLE_AT_DECISION`) nor the protected
attributes, which are kept for fairness monitoring only.
"""

NUMERIC_FIELDS: tuple[str, ...] = (
    "loan_amount",
    "property_value",
    "income",
    "Credit_Score",
    "term",
    "LTV",
    "dtir1",
)

# In the order of the public payload.
APPLICATION_FIELDS: tuple[str, ...] = (
    "loan_limit",
    "loan_type",
    "loan_purpose",
    "loan_amount",
    "property_value",
    "construction_type",
    "occupancy_type",
    "Gender",
    "age",
    "income",
    "credit_type",
    "Credit_Score",
    "term",
    "LTV",
    "dtir1",
    "approv_in_adv",
    "open_credit",
    "business_or_commercial",
    "Neg_ammortization",
    "interest_only",
    "lump_sum_payment",
    "Secured_by",
    "total_units",
    "Credit_Worthiness",
    "co_applicant_credit_type",
    "submission_of_application",
    "Region",
    "Security_Type",
)
CATEGORICAL_FIELDS: tuple[str, ...] = tuple(f for f in APPLICATION_FIELDS if f not in NUMERIC_FIELDS)

PROTECTED_ATTRIBUTES: tuple[str, ...] = ("Gender", "age")

# Set at pricing, after the credit decision, or bookkeeping: never model inputs.
NOT_AVAILABLE_AT_DECISION: tuple[str, ...] = (
    "ID",
    "year",
    "rate_of_interest",
    "Interest_rate_spread",
    "Upfront_charges",
)

TARGET = "Status"

# The CSV spells one column differently from the public API.
CSV_COLUMN_RENAMES: dict[str, str] = {"co-applicant_credit_type": "co_applicant_credit_type"}

# Amounts and ratios that cannot be negative; `term` must also be positive.
NON_NEGATIVE_FIELDS: tuple[str, ...] = ("loan_amount", "property_value", "income", "LTV", "dtir1", "term")

# Derived model feature: name -> (numerator, denominator). A zero or missing denominator
# gives a missing value, which the model handles natively.
DERIVED_FEATURES: dict[str, tuple[str, str]] = {"loan_to_income": ("loan_amount", "income")}
