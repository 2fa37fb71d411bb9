"""Whole-number query parameters (`limit`, `offset`, `version`, ...), read strictly.

DRF's `LimitOffsetPagination` replaces a `limit` or `offset` it cannot read with its
default, so `?offset=ten` answers the first page as if nothing were wrong, and an unbounded
`?limit=` passes a number of any size to the database (SQLite cannot bind one over 2**63:
a 500). Here a value that is not a whole number in range is a 400 naming the parameter.
"""

from typing import Any, TypeVar

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

# The largest value a database integer column holds on every backend we run on.
MAX_DATABASE_INTEGER = 2**31 - 1
MAX_PAGE_SIZE = 1000

Default = TypeVar("Default", bound=int | None)


def query_int(
    request: Request, name: str, *, default: Default, minimum: int = 1, maximum: int = MAX_DATABASE_INTEGER
) -> int | Default:
    """The query parameter `name` as an int in [minimum, maximum], `default` when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):  # int() would also take " 7", "+7", "7_0" and "٧"
        raise ValidationError({name: "Must be a whole number."})
    value = int(raw) if len(raw) <= len(str(maximum)) else maximum + 1
    if not minimum <= value <= maximum:
        raise ValidationError({name: f"Must be between {minimum} and {maximum}."})
    return value


class StrictLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request: Request) -> int | None:
        return query_int(request, self.limit_query_param, default=self.default_limit, maximum=self.max_limit)

    def get_offset(self, request: Request) -> int:
        return query_int(request, self.offset_query_param, default=0, minimum=0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_DATABASE_INTEGER},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
