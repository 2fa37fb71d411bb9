"""Admin building blocks shared by every app.

Admin access follows portal roles, not Django model permissions: staff with any portal
role (and superusers) may look; what they may change is decided per admin class and, for
workflow state, only through the services. Audit records are read-only for everyone,
superusers included.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Field, Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from .roles import USE_ADMIN


def can_use_admin(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or USE_ADMIN.allows(user)))


class PortalAdmin(admin.ModelAdmin):
    """Visible to portal staff; adding, changing and deleting are off unless a subclass allows them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return can_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def streaming_csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV download that is written row by row, so large exports use constant memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class DateRangeFilter(admin.FieldListFilter):
    """Filter a date-time field by an inclusive range of calendar days (From / To)."""

    template = "admin/date_range_filter.html"

    def __init__(
        self,
        field: Field,
        request: HttpRequest,
        params: dict[str, Any],
        model: type[Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        self.lookup_since = f"{field_path}__date__gte"
        self.lookup_until = f"{field_path}__date__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.since = self._day(self.lookup_since)
        self.until = self._day(self.lookup_until)

    def _day(self, parameter: str) -> datetime.date | None:
        value = self.used_parameters.get(parameter)
        if isinstance(value, list):
            value = value[-1] if value else None
        try:
            return datetime.date.fromisoformat(value) if isinstance(value, str) and value else None
        except ValueError:
            return None

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_since, self.lookup_until]

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.since:
            queryset = queryset.filter(**{self.lookup_since: self.since})
        if self.until:
            queryset = queryset.filter(**{self.lookup_until: self.until})
        return queryset

    # One entry with the keys of admin/date_range_filter.html, not those of Django's own filters.
    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        others = {k: v for k, v in changelist.get_filters_params().items() if k not in self.expected_parameters()}
        yield {
            "since_name": self.lookup_since,
            "until_name": self.lookup_until,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "others": [(k, item) for k, values in others.items() for item in _as_list(values)],
            "clear_query": changelist.get_query_string(remove=self.expected_parameters()),
        }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
