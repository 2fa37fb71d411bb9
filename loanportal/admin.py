"""Admin building blocks shared by every app.

Admin access follows portal roles, not Django model permissions: staff with any portal
role (and superusers) may look; what they may change is decided per admin class and, for
workflow state, only through the services. Audit records are read-only for everyone,
superusers included.
"""

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, StreamingHttpResponse

from governance.roles import STAFF_ROLES, user_roles


def can_use_admin(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or user_roles(user) & set(STAFF_ROLES)))


class PortalAdmin(admin.ModelAdmin):
    """Visible to portal staff; adding, changing and deleting are off unless a subclass allows them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def streaming_csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
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
