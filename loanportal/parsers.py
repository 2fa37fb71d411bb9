"""A JSON parser that refuses what the stdlib would quietly accept.

* Duplicated keys (`{"income": 1, "income": 9}`): the stdlib keeps the last one, so what
  the caller meant and what the decision log records could differ. Refused with 400.
* `NaN`, `Infinity`: not JSON. Refused with 400.
* Nesting deep enough to exhaust the parser's recursion: 400, not a 500.
* A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes: 413, decided from `Content-Length`
  before anything is read, and enforced while reading.
* Invalid UTF-8: 400.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from .exceptions import PayloadTooLarge


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicated key {key!r}")
            seen.add(key)
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than this API accepts ({limit:,} bytes).")


class StrictJSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if request is not None and int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            raise _too_large(limit)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise _too_large(limit)
        try:
            return json.loads(body, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError and the refusals above
            raise ParseError(f"JSON parse error - {exc}") from None
