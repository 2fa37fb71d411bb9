"""A champion's logged applications, checked against a challenger's schema and re-encoded
for it, a whole chunk at a time.

The decision log keeps every application the champion accepted encoded by the champion's
schema (`features`: one float64 per field, categories as indexes into its category lists,
NaN when missing). A challenger has its own schema: its categories, numeric ranges (widened
by its range tolerance), which fields may be missing. The rules are those of
`predictions.validation.ApplicationValidator`, restated on encoded values so that a million
applications need no Python call per row:

* a field the challenger does not know that holds a value: `unknown_field`;
* a missing value in a field the challenger does not allow to be missing (or a field the
  champion's schema did not have at all): `required`;
* a category the challenger's schema does not list: `unknown_category`;
* a number outside the challenger's accepted range, or negative where it cannot be:
  `out_of_range`.

An application that breaks any rule is not scored by the challenger; its errors are counted
by field. The JSON types were checked when the champion accepted the application, so they
need no second look.

No Django here: arrays in, arrays out.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from governance.ml.fields import NON_NEGATIVE_FIELDS
from governance.ml.schema import UNSEEN_CATEGORY, accepted_range
from predictions.validation import OUT_OF_RANGE, POSITIVE_FIELDS, REQUIRED, UNKNOWN_CATEGORY, UNKNOWN_FIELD


@dataclass(frozen=True)
class Converted:
    """A chunk re-encoded for the challenger: `encoded[valid]` is what it may score."""

    encoded: np.ndarray
    valid: np.ndarray
    errors: Counter[str]
    # Field -> (rows that broke its rule, the rule), for the per-application errors.
    failures: dict[str, tuple[np.ndarray, str]]

    def row_errors(self, row: int) -> dict[str, str]:
        """Field -> rule of every rule application `row` broke."""
        return {name: rule for name, (mask, rule) in self.failures.items() if mask[row]}


class ChallengerInputs:
    """Built once per (champion schema, challenger schema); `convert` is called per chunk."""

    def __init__(self, champion_schema: dict[str, Any], challenger_schema: dict[str, Any]) -> None:
        tolerance = float(challenger_schema["range_tolerance"])
        champion_fields = {f["name"]: (j, f) for j, f in enumerate(champion_schema["fields"])}
        challenger_names = {f["name"] for f in challenger_schema["fields"]}
        self.n_fields = len(challenger_schema["fields"])
        self._unknown = [(j, name) for name, (j, _) in champion_fields.items() if name not in challenger_names]
        # (name, champion column or None, nullable, category code map or None, low, high)
        self._rules: list[tuple[str, int | None, bool, np.ndarray | None, float, float]] = []
        for field in challenger_schema["fields"]:
            name = field["name"]
            source, source_field = champion_fields.get(name, (None, None))
            codes = None
            low, high = -np.inf, np.inf
            if field["type"] == "category":
                index = {c: float(i) for i, c in enumerate(field["categories"])}
                known = source_field["categories"] if source_field is not None else []
                # The champion's code k becomes the challenger's code for the same category.
                codes = np.array([index.get(c, UNSEEN_CATEGORY) for c in known], dtype=np.float64)
            else:
                low, high = accepted_range(field, tolerance)
                if name in NON_NEGATIVE_FIELDS or name in POSITIVE_FIELDS:
                    low = max(low, 0.0)
            self._rules.append((name, source, bool(field["nullable"]), codes, low, high))

    def convert(self, features: np.ndarray) -> Converted:
        """Re-encode champion-encoded rows for the challenger and check each rule."""
        rows = features.shape[0]
        encoded = np.empty((rows, self.n_fields), dtype=np.float64)
        broken = np.zeros(rows, dtype=bool)
        errors: Counter[str] = Counter()
        failures: dict[str, tuple[np.ndarray, str]] = {}

        def refuse(name: str, mask: np.ndarray, rule: str) -> None:
            count = int(mask.sum())
            if count:
                errors[name] += count
                broken[mask] = True
                failures[name] = (mask, rule)

        for j, name in self._unknown:
            refuse(name, ~np.isnan(features[:, j]), UNKNOWN_FIELD)
        for k, (name, source, nullable, codes, low, high) in enumerate(self._rules):
            column = np.full(rows, np.nan) if source is None else features[:, source]
            missing = np.isnan(column)
            if not nullable:
                refuse(name, missing, REQUIRED)
            if codes is not None:
                present = ~missing & (column >= 0) & (column < len(codes))
                mapped = np.full(rows, np.nan)
                mapped[present] = codes[column[present].astype(np.int64)]
                unseen = ~missing & ~present
                mapped[unseen] = UNSEEN_CATEGORY
                refuse(name, ~missing & (mapped == UNSEEN_CATEGORY), UNKNOWN_CATEGORY)
                encoded[:, k] = mapped
            else:
                with np.errstate(invalid="ignore"):
                    outside = ~missing & ((column < low) | (column > high))
                if name in POSITIVE_FIELDS:
                    outside |= ~missing & (column == 0)
                refuse(name, outside, OUT_OF_RANGE)
                encoded[:, k] = column
        return Converted(encoded=encoded, valid=~broken, errors=errors, failures=failures)
