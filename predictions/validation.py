"""Strict validation of loan applications against a model version's feature schema.

Pure Python, no Django. The batch endpoint validates up to 10,000 applications of 28
fields in one request; per-field DRF serializers cost tens of microseconds a field, so the
rules are compiled once per schema into plain tuples and checked in one loop.

The rules (README "Prediction API", section "Validation"):

* an application is a JSON object whose keys are application fields; any other key is refused;
* a number field takes a JSON number: a boolean or a numeric string is not one; it must be
  finite, not negative for amounts and ratios (`term` greater than 0), and within the
  training range widened by the schema's `range_tolerance` share of its span;
* a category field takes exactly one of the categories the schema lists for it;
* a field may be omitted or null only when the schema marks it `nullable`.

Every error is one readable message per field. Valid applications come back with all
schema fields as keys (None where omitted), in schema order. `refusal_rules` names the
rule behind each message, for counting refusals without keeping their values.
"""

import math
from collections.abc import Mapping
from typing import Any

from governance.ml.fields import NON_NEGATIVE_FIELDS
from governance.ml.schema import accepted_range

MAX_BATCH_SIZE = 10_000
BATCH_KEY = "applications"
# Errors that belong to the application as a whole rather than to one field.
NON_FIELD_ERRORS = "non_field_errors"
# Amounts and ratios must be >= 0; these must also be > 0.
POSITIVE_FIELDS = frozenset({"term"})

Errors = dict[str, Any]

# The rules an application can break, as refusals are counted (`refusal_rules`).
UNKNOWN_FIELD, WRONG_TYPE, OUT_OF_RANGE, UNKNOWN_CATEGORY, REQUIRED = (
    "unknown_field",
    "wrong_type",
    "out_of_range",
    "unknown_category",
    "required",
)
REFUSAL_RULES = (UNKNOWN_FIELD, WRONG_TYPE, OUT_OF_RANGE, UNKNOWN_CATEGORY, REQUIRED)

_MISSING = object()


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _display(number: float) -> str:
    return f"{number:.10g}"


class ApplicationValidator:
    """The validation rules of one feature schema; build once per model version and reuse."""

    def __init__(self, feature_schema: Mapping[str, Any]) -> None:
        tolerance = float(feature_schema["range_tolerance"])
        self.field_names: tuple[str, ...] = tuple(f["name"] for f in feature_schema["fields"])
        self._known = frozenset(self.field_names)
        # One tuple per field, checked in schema order:
        # (name, nullable, categories (None for numbers), low, high, message, sign message, zero allowed)
        self._rules: list[tuple[str, bool, frozenset[str] | None, float, float, str, str, bool]] = []
        for field in feature_schema["fields"]:
            name, nullable = field["name"], bool(field["nullable"])
            if field["type"] == "category":
                categories = list(field["categories"])
                message = "must be one of: " + ", ".join(categories)
                self._rules.append((name, nullable, frozenset(categories), 0.0, 0.0, message, "", True))
                continue
            low, high = accepted_range(field, tolerance)
            sign = ""
            if name in POSITIVE_FIELDS:
                sign = "must be greater than 0"
            elif name in NON_NEGATIVE_FIELDS:
                sign = "must not be negative"
            if sign:
                low = max(low, 0.0)
            message = f"must be between {_display(low)} and {_display(high)}"
            self._rules.append((name, nullable, None, low, high, message, sign, name not in POSITIVE_FIELDS))

    def validate(self, application: Any) -> tuple[dict[str, Any] | None, Errors]:
        """(cleaned application, {}) when valid, otherwise (None, {field: message})."""
        if type(application) is not dict:
            return None, {NON_FIELD_ERRORS: f"must be an object of application fields, not {_json_type(application)}"}
        errors: Errors = {}
        if not application.keys() <= self._known:
            errors.update((key, "unknown field") for key in application if key not in self._known)
        cleaned: dict[str, Any] = {}
        for name, nullable, categories, low, high, range_message, sign, zero_allowed in self._rules:
            value = application.get(name, _MISSING)
            if value is None or value is _MISSING:
                cleaned[name] = None
                if not nullable:
                    errors[name] = "this field is required" if value is _MISSING else "may not be null"
                continue
            cleaned[name] = value
            if categories is not None:
                if type(value) is not str:
                    errors[name] = f"{range_message} (got {_json_type(value)})"
                elif value not in categories:
                    errors[name] = range_message
                continue
            kind = type(value)
            if kind is not float and kind is not int:
                errors[name] = f"must be a number, not {_json_type(value)}"
            elif kind is float and not math.isfinite(value):
                errors[name] = "must be a finite number"
            elif sign and (value < 0 or (value == 0 and not zero_allowed)):
                errors[name] = sign
            elif value < low or value > high:
                errors[name] = range_message
        if errors:
            return None, errors
        return cleaned, errors

    def validate_batch(self, body: Any) -> tuple[list[dict[str, Any]] | None, Errors]:
        """Validate a batch body `{"applications": [...]}`, all or nothing.

        Returns (cleaned applications in order, {}) or (None, errors), where errors are keyed
        by the application's index (as a string) and then by field, or by a body-level key.
        """
        if type(body) is not dict:
            return None, {NON_FIELD_ERRORS: f"must be an object with an {BATCH_KEY!r} list, not {_json_type(body)}"}
        errors: Errors = {key: "unknown field" for key in body if key != BATCH_KEY}
        applications = body.get(BATCH_KEY)
        if type(applications) is not list or not 1 <= len(applications) <= MAX_BATCH_SIZE:
            got = f"{len(applications):,} applications" if type(applications) is list else _json_type(applications)
            if applications is None:
                got = "nothing"
            errors[BATCH_KEY] = f"must be a list of 1 to {MAX_BATCH_SIZE:,} applications, not {got}"
            return None, errors
        cleaned: list[dict[str, Any]] = []
        validate = self.validate
        for index, application in enumerate(applications):
            result, application_errors = validate(application)
            if result is None:
                errors[str(index)] = application_errors
            else:
                cleaned.append(result)
        if errors:
            return None, errors
        return cleaned, errors


def refusal_rule(message: str) -> str:
    """The rule behind one of this module's messages for a field."""
    if message == "unknown field":
        return UNKNOWN_FIELD
    if message in ("this field is required", "may not be null"):
        return REQUIRED
    if message.startswith("must be one of: "):
        return WRONG_TYPE if message.endswith(")") and " (got " in message else UNKNOWN_CATEGORY
    if message.startswith(("must be between ", "must not be negative", "must be greater than 0")):
        return OUT_OF_RANGE
    return WRONG_TYPE  # not a number, not finite, not an object


def refusal_rules(errors: Errors) -> dict[str, str]:
    """Field (or body key) -> rule, for the errors of one application."""
    return {key: refusal_rule(message) for key, message in errors.items() if isinstance(message, str)}
