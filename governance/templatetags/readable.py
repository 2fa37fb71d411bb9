"""`readable`: a stored value (JSON fields, findings' evidence, waivers, history diffs) as a
person reads it: mappings as lists of "key: value", lists of mappings as tables, lists of
plain values comma-separated, numbers to 4 significant digits and times (also ISO-8601
strings in JSON) to the second in UTC, the full value in a tooltip. Never a Python repr."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from governance.ml.schema import training_range_shown

register = template.Library()
DIGITS = 4
NONE = format_html("<em>{}</em>", "none")
# A time stored in JSON (waivers' `at`, a run's first and last decision): ISO 8601 with a zone.
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _number(value: float) -> SafeString:
    shown = f"{value:.{DIGITS}g}"
    if shown == repr(value):
        return format_html("{}", shown)
    return format_html('<span title="{}">{}</span>', repr(value), shown)


def _moment(value: datetime) -> SafeString:
    if value.tzinfo is None:
        return format_html("{}", value.isoformat(sep=" ", timespec="seconds"))
    return format_html(
        '<span title="{}">{}</span>', value.isoformat(), value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    )


def _render(value: Any) -> SafeString:
    if value is None:
        return NONE
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
        return _moment(datetime.fromisoformat(value))
    if isinstance(value, bool):
        return format_html("{}", "yes" if value else "no")
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Mapping):
        if not value:
            return NONE
        items = format_html_join("", "<li><strong>{}</strong>: {}</li>", ((k, _render(v)) for k, v in value.items()))
        return format_html('<ul class="readable">{}</ul>', items)
    if isinstance(value, list | tuple):
        if not value:
            return NONE
        if all(isinstance(item, Mapping) for item in value):
            columns = list(dict.fromkeys(key for item in value for key in item))
            head = format_html_join("", "<th>{}</th>", ((c,) for c in columns))
            rows = format_html_join(
                "",
                "<tr>{}</tr>",
                (
                    (format_html_join("", "<td>{}</td>", ((_render(item.get(c, "")),) for c in columns)),)
                    for item in value
                ),
            )
            return format_html(
                '<table class="readable"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, rows
            )
        return format_html_join(", ", "{}", ((_render(item),) for item in value))
    return format_html("{}", value)


@register.filter
def readable(value: Any) -> SafeString:
    return _render(value)


@register.filter
def four_digits(value: float | None) -> SafeString:
    """A threshold or metric to 4 decimals, the full value in a tooltip."""
    if value is None:
        return format_html("{}", "")
    return format_html('<span title="{}">{}</span>', repr(value), f"{value:.4f}")


@register.filter
def training_range(field: Mapping[str, Any]) -> SafeString:
    """A numeric field's training range to the decimals of its data, the full values in a tooltip."""
    low, high = training_range_shown(field)
    full = f"{float(field['min'])!r} .. {float(field['max'])!r}"
    return format_html('<span title="{}">{} .. {}</span>', full, low, high)
