"""`readable`: a stored value (JSON fields, findings' evidence, waivers, history diffs) as a
person reads it: mappings as lists of "key: value", lists of mappings as tables, lists of
plain values comma-separated, numbers to 4 significant digits with the full value in a
tooltip. Never a Python repr."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()
DIGITS = 4
NONE = format_html("<em>{}</em>", "none")


def _number(value: float) -> SafeString:
    shown = f"{value:.{DIGITS}g}"
    if shown == repr(value):
        return format_html("{}", shown)
    return format_html('<span title="{}">{}</span>', repr(value), shown)


def _render(value: Any) -> SafeString:
    if value is None:
        return NONE
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
