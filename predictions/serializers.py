"""Shapes of the prediction API: input serializers for the simple bodies (outcomes), the
response bodies as plain dicts, and serializers that describe them for the OpenAPI schema.

Applications are validated by `predictions.validation` against the serving version's
feature schema, not here: the serializers below only document their shape. Responses are
built as dicts directly, because the scoring path has no time for serializer machinery.
"""

import functools
from datetime import datetime
from typing import Any

from rest_framework import serializers

from governance.ml.fields import APPLICATION_FIELDS, NUMERIC_FIELDS
from loanportal.serializer_fields import StrictBooleanField, StrictUUIDField

from .bulk_insert import DecisionRow
from .models import Decision, DecisionLog, Outcome
from .validation import MAX_BATCH_SIZE

LABELS: dict[str, str] = {Decision.DECLINE: "Default", Decision.APPROVE: "No Default"}


@functools.lru_cache(maxsize=64)  # a batch's 10,000 answers share one timestamp
def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def prediction_representation(decision: DecisionLog | DecisionRow) -> dict[str, Any]:
    """The API's answer for one scored application, from its log row (written or read back)."""
    version = decision.model_version
    declined = decision.decision == Decision.DECLINE
    return {
        "prediction_id": str(decision.id),
        "model": version.registered_model.name,
        "model_version": version.version,
        "probability_default": decision.probability,
        "probability_no_default": 1.0 - decision.probability,
        "prediction": 1 if declined else 0,
        "prediction_label": LABELS[decision.decision],
        "decision": decision.decision,
        "risk_band": decision.risk_band,
        "threshold": version.threshold,
        "reason_codes": decision.reason_codes,
        "timestamp": _timestamp(decision.created_at),
    }


def outcome_representation(outcome: Outcome) -> dict[str, Any]:
    return {
        "prediction_id": str(outcome.decision_log_id),
        "defaulted": outcome.defaulted,
        "observed_at": _timestamp(outcome.observed_at),
        "recorded_at": _timestamp(outcome.recorded_at),
    }


def decision_record_representation(decision: DecisionLog) -> dict[str, Any]:
    """A logged decision as compliance and the client read it back."""
    outcome = getattr(decision, "outcome", None)  # the reverse one-to-one raises when there is none
    return {
        **prediction_representation(decision),
        "request_id": decision.request_id,
        "client": decision.client.get_username(),
        "latency_ms": decision.latency_ms,
        "inputs": decision.inputs,
        "inputs_removed_at": _timestamp(decision.inputs_removed_at) if decision.inputs_removed_at else None,
        "outcome": outcome_representation(outcome) if outcome is not None else None,
    }


# --- Inputs ------------------------------------------------------------------


class OutcomeSerializer(serializers.Serializer):
    defaulted = StrictBooleanField(help_text="true if the applicant defaulted, false if not.")
    observed_at = serializers.DateTimeField(
        help_text="When the outcome was observed (ISO 8601; without an offset it is taken as UTC). "
        "Not before the decision, not in the future."
    )


class OutcomeBulkItemSerializer(OutcomeSerializer):
    prediction_id = StrictUUIDField()


class OutcomeBulkSerializer(serializers.Serializer):
    outcomes = serializers.ListField(child=OutcomeBulkItemSerializer(), min_length=1, max_length=MAX_BATCH_SIZE)


# --- Documentation only (OpenAPI) ---------------------------------------------


def _application_field(name: str) -> serializers.Field:
    described = "May be omitted or null where the serving version's schema marks it nullable."
    if name in NUMERIC_FIELDS:
        return serializers.FloatField(
            required=False, allow_null=True, help_text=f"A JSON number within the accepted range. {described}"
        )
    return serializers.CharField(
        required=False, allow_null=True, help_text=f"One of the categories the model was trained on. {described}"
    )


class ApplicationSerializer(serializers.Serializer):
    """A mortgage application in the fields of the public Loan Default payload."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _application_field(name) for name in APPLICATION_FIELDS}


class BatchRequestSerializer(serializers.Serializer):
    applications = ApplicationSerializer(many=True, help_text=f"1 to {MAX_BATCH_SIZE:,} applications.")


class ReasonCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code, see README 'Reason codes'.")
    feature = serializers.CharField(help_text="The model feature.")
    reason = serializers.CharField(help_text="Adverse-action text.")
    contribution = serializers.FloatField(help_text="Contribution to the log-odds of default.")


class PredictionSerializer(serializers.Serializer):
    prediction_id = serializers.UUIDField()
    model = serializers.CharField(help_text="Registered model name.")
    model_version = serializers.IntegerField(help_text="Version number of the production version that scored it.")
    probability_default = serializers.FloatField()
    probability_no_default = serializers.FloatField()
    prediction = serializers.ChoiceField(choices=[0, 1], help_text="1 = Default (probability >= threshold).")
    prediction_label = serializers.ChoiceField(choices=list(LABELS.values()))
    decision = serializers.ChoiceField(choices=Decision.choices)
    risk_band = serializers.CharField(help_text="Band of the PD master scale, A (lowest risk) to G.")
    threshold = serializers.FloatField(help_text="The version's decision threshold.")
    reason_codes = ReasonCodeSerializer(
        many=True, help_text="Up to 4 for a decline, largest first; empty for an approval."
    )
    timestamp = serializers.DateTimeField()


class BatchResponseSerializer(serializers.Serializer):
    results = PredictionSerializer(many=True, help_text="In the order of the applications.")


class OutcomeResponseSerializer(serializers.Serializer):
    prediction_id = serializers.UUIDField()
    defaulted = serializers.BooleanField()
    observed_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()


class DecisionRecordSerializer(PredictionSerializer):
    request_id = serializers.CharField()
    client = serializers.CharField(help_text="Username of the API client that asked.")
    latency_ms = serializers.FloatField()
    inputs = ApplicationSerializer(allow_null=True, help_text="The validated application; null after retention.")
    inputs_removed_at = serializers.DateTimeField(allow_null=True)
    outcome = OutcomeResponseSerializer(allow_null=True)


class OutcomeBulkResponseSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(help_text="Outcomes recorded by this request.")
    unchanged = serializers.IntegerField(help_text="Outcomes that were already recorded identically.")
