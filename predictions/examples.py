"""Descriptions and request/response examples of the prediction API for the OpenAPI schema."""

from drf_spectacular.utils import OpenApiExample

from .validation import MAX_BATCH_SIZE

APPLICATION = {
    "loan_limit": "cf",
    "loan_type": "type1",
    "loan_purpose": "p1",
    "loan_amount": 376500,
    "property_value": None,
    "construction_type": "sb",
    "occupancy_type": "pr",
    "Gender": "Joint",
    "age": "45-54",
    "income": 5460,
    "credit_type": "EQUI",
    "Credit_Score": 880,
    "term": 360,
    "LTV": None,
    "dtir1": 36,
    "approv_in_adv": "nopre",
    "open_credit": "nopc",
    "business_or_commercial": "nob/c",
    "Neg_ammortization": "not_neg",
    "interest_only": "not_int",
    "lump_sum_payment": "not_lpsm",
    "Secured_by": "home",
    "total_units": "1U",
    "Credit_Worthiness": "l1",
    "co_applicant_credit_type": "CIB",
    "submission_of_application": "not_inst",
    "Region": "south",
    "Security_Type": "direct",
}

DECLINE = {
    "prediction_id": "6f1c2a4e-7b0d-4f55-9a43-0c8f1f2d9b17",
    "model": "loan-default",
    "model_version": 1,
    "probability_default": 0.9921,
    "probability_no_default": 0.0079,
    "prediction": 1,
    "prediction_label": "Default",
    "decision": "decline",
    "risk_band": "G",
    "threshold": 0.3892,
    "reason_codes": [
        {
            "code": "CREDIT_BUREAU",
            "feature": "credit_type",
            "reason": "Credit bureau report type",
            "contribution": 2.1034,
        },
        {
            "code": "PROPERTY_VALUE_MISSING",
            "feature": "property_value",
            "reason": "Property value not provided",
            "contribution": 1.2875,
        },
        {"code": "LTV_MISSING", "feature": "LTV", "reason": "Loan-to-value ratio not provided", "contribution": 0.9912},
        {
            "code": "LOAN_TO_INCOME",
            "feature": "loan_to_income",
            "reason": "Amount of credit requested too high relative to income",
            "contribution": 0.1168,
        },
    ],
    "timestamp": "2026-11-21T14:03:27.512345Z",
}

APPROVAL = {
    **DECLINE,
    "prediction_id": "0b5e8c1d-3a2f-4e6b-8d9c-7f1a2b3c4d5e",
    "probability_default": 0.0412,
    "probability_no_default": 0.9588,
    "prediction": 0,
    "prediction_label": "No Default",
    "decision": "approve",
    "risk_band": "B",
    "reason_codes": [],
}

INVALID = {
    "detail": "The application is invalid; it was not scored.",
    "errors": {
        "Credit_Score": "must be between 460 and 940",
        "loan_type": "must be one of: type1, type2, type3",
        "income": "must be a number, not a string",
        "rate_of_interest": "unknown field",
    },
}

ERROR_MEANINGS = {
    400: "Invalid input (per-field `errors`), malformed JSON or duplicated keys; nothing was scored or recorded.",
    401: "No or unknown token: send `Authorization: Token <key>`.",
    403: "The token's user lacks the role this endpoint needs.",
    404: "Unknown registered model (`?model=`), or no such prediction that you may see.",
    409: "A different outcome is already recorded.",
    413: "The body is larger than the limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 16 MiB by default).",
    415: "The body is not `application/json`.",
    429: "Too many requests from this client; retry after `Retry-After` seconds.",
    503: "The model has no production version, or the database is unavailable; nothing was recorded.",
}

PREDICTION_DESCRIPTION = (
    "Validates the application against the feature schema of the model's production version "
    "(README 'Validation'), scores it, and logs the decision in the same transaction before answering. "
    "`decision` is `decline` when `probability_default` >= `threshold`. For a decline `reason_codes` "
    "lists up to 4 factors that raised the score most, from the model's own per-feature contributions."
)
BATCH_DESCRIPTION = (
    f'`{{"applications": [...]}}` with 1 to {MAX_BATCH_SIZE:,} applications. Validation is all or nothing: '
    "any invalid application gives 400 with `errors` keyed by index and then field, and nothing is scored or "
    "logged. Otherwise every application is scored and logged in one transaction and the results come back "
    "in input order."
)
DETAIL_DESCRIPTION = (
    "The decision as logged, with the validated inputs, the request id, the client and any recorded outcome. "
    "An API client sees only the decisions it asked for; a Compliance Officer sees all."
)
OUTCOME_DESCRIPTION = (
    "Records once whether the applicant defaulted. Sending the same outcome again answers 200 with the "
    "recorded one; a different outcome is refused with 409. Only the client that asked for the prediction "
    "may record its outcome."
)
OUTCOME_BULK_DESCRIPTION = (
    f"Up to {MAX_BATCH_SIZE:,} outcomes, all or nothing: an unknown or repeated prediction id or a bad date "
    "gives 400, a conflicting outcome 409, with `errors` keyed by index; outcomes already recorded "
    "identically are counted as unchanged."
)

PREDICTION_EXAMPLES = [
    OpenApiExample("Application", value=APPLICATION, request_only=True),
    OpenApiExample("Declined, with reason codes", value=DECLINE, response_only=True, status_codes=["201"]),
    OpenApiExample("Approved", value=APPROVAL, response_only=True, status_codes=["201"]),
    OpenApiExample("Invalid application", value=INVALID, response_only=True, status_codes=["400"]),
]
BATCH_EXAMPLES = [
    OpenApiExample(
        "Two applications",
        value={"applications": [APPLICATION, {**APPLICATION, "credit_type": "CIB"}]},
        request_only=True,
    ),
    OpenApiExample(
        "Results in order", value={"results": [DECLINE, APPROVAL]}, response_only=True, status_codes=["201"]
    ),
    OpenApiExample(
        "One invalid application",
        value={
            "detail": "The batch is invalid; no application in it was scored.",
            "errors": {"1": {"Credit_Score": "must be between 460 and 940"}},
        },
        response_only=True,
        status_codes=["400"],
    ),
]
_RECORD = {
    **DECLINE,
    "request_id": "los-7f3a9c",
    "client": "api-client",
    "latency_ms": 0.42,
    "inputs": APPLICATION,
    "inputs_removed_at": None,
    "outcome": None,
}
DETAIL_EXAMPLES = [OpenApiExample("Logged decision", value=_RECORD, response_only=True, status_codes=["200"])]
_OUTCOME = {"defaulted": True, "observed_at": "2027-05-01T00:00:00Z"}
OUTCOME_EXAMPLES = [
    OpenApiExample("Defaulted", value=_OUTCOME, request_only=True),
    OpenApiExample(
        "Recorded",
        value={"prediction_id": DECLINE["prediction_id"], **_OUTCOME, "recorded_at": "2027-05-02T08:00:00Z"},
        response_only=True,
        status_codes=["201", "200"],
    ),
    OpenApiExample(
        "Conflict",
        value={
            "detail": "The outcome was not recorded: a different outcome is already recorded: defaulted=true, "
            "observed_at 2027-05-01T00:00:00+00:00.",
            "errors": {},
        },
        response_only=True,
        status_codes=["409"],
    ),
]
OUTCOME_BULK_EXAMPLES = [
    OpenApiExample(
        "Two outcomes",
        value={
            "outcomes": [
                {"prediction_id": DECLINE["prediction_id"], **_OUTCOME},
                {"prediction_id": APPROVAL["prediction_id"], "defaulted": False, "observed_at": "2027-11-21T00:00:00Z"},
            ]
        },
        request_only=True,
    ),
    OpenApiExample("Counts", value={"recorded": 2, "unchanged": 0}, response_only=True, status_codes=["201"]),
]
