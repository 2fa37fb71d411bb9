"""The decision log for compliance: read-only lists with filters and a CSV export.

Decisions and outcomes are audit records: nobody adds, changes or deletes them here,
superusers included (`PortalAdmin` refuses all three). The decision log holds applicants'
personal data, so only Compliance Officers (and superusers, who operate the portal) see it.
"""

import json
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone

from governance.sealing.kinds import KINDS_BY_NAME
from governance.sealing.selectors import audit_seal_status
from governance.templatetags.readable import four_digits, readable
from loanportal.admin import DateRangeFilter, PortalAdmin, can_use_admin, streaming_csv_response
from loanportal.roles import READ_ALL_DECISIONS

from .models import DecisionLog, Outcome

# CSV column -> decision log field it comes from.
EXPORT_COLUMNS = {
    "prediction_id": "id",
    "created_at": "created_at",
    "request_id": "request_id",
    "client": "client__username",
    "model": "model_version__registered_model__name",
    "model_version": "model_version__version",
    "threshold": "model_version__threshold",
    "probability_default": "probability",
    "decision": "decision",
    "risk_band": "risk_band",
    "reason_codes": "reason_codes",
    "latency_ms": "latency_ms",
    "inputs": "inputs",
    "inputs_removed_at": "inputs_removed_at",
    "demo": "demo",
}
EXPORT_ROWS_PER_FETCH = 2000


def _may_see_decisions(request: HttpRequest) -> bool:
    user = request.user
    return can_use_admin(user) and (user.is_superuser or READ_ALL_DECISIONS.allows(user))


class DecisionAuditAdmin(PortalAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_see_decisions(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _may_see_decisions(request)


@admin.register(DecisionLog)
class DecisionLogAdmin(DecisionAuditAdmin):
    list_display = (
        "created_at",
        "decision",
        "probability_shown",
        "risk_band",
        "model_version",
        "client",
        "request_id",
        "demo",
    )
    list_filter = (
        ("model_version", admin.RelatedOnlyFieldListFilter),
        "decision",
        ("created_at", DateRangeFilter),
        ("client", admin.RelatedOnlyFieldListFilter),
        "demo",
    )
    list_select_related = ("model_version__registered_model", "client")
    search_fields = ("=request_id",)
    # Counting millions of rows on every page view is slow; filtered counts are enough.
    show_full_result_count = False
    # The encoded vector is for monitoring jobs, not for reading.
    fields = (
        "id",
        "created_at",
        "request_id",
        "client",
        "model_version",
        "probability_shown",
        "decision",
        "risk_band",
        "reason_codes_shown",
        "latency_shown",
        "inputs_shown",
        "inputs_removed_at",
        "demo",
        "sealed",
    )
    readonly_fields = fields

    @admin.display(description="Sealed audit")
    def sealed(self, decision: DecisionLog) -> str:
        return audit_seal_status(kind=KINDS_BY_NAME["decision"], pk=decision.pk)

    @admin.display(description="probability of default", ordering="probability")
    def probability_shown(self, decision: DecisionLog) -> str:
        return four_digits(decision.probability)

    @admin.display(description="latency")
    def latency_shown(self, decision: DecisionLog) -> str:
        return f"{decision.latency_ms:.1f} ms"

    @admin.display(description="reason codes")
    def reason_codes_shown(self, decision: DecisionLog) -> str:
        return readable(decision.reason_codes)

    @admin.display(description="inputs")
    def inputs_shown(self, decision: DecisionLog) -> str:
        return readable(decision.inputs)

    def get_urls(self) -> list[URLPattern]:
        export = path("export.csv", self.admin_site.admin_view(self.export_csv), name="predictions_decisionlog_export")
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The decisions the change list shows with the same filters, search and ordering,
        every page of them, streamed as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        decisions = self.get_changelist_instance(request).get_queryset(request)
        rows = decisions.values_list(*EXPORT_COLUMNS.values()).iterator(chunk_size=EXPORT_ROWS_PER_FETCH)
        filename = f"decision-log-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
        return streaming_csv_response(filename, list(EXPORT_COLUMNS), (map(_csv_value, row) for row in rows))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):  # reason codes
        return ";".join(reason["code"] for reason in value)
    if isinstance(value, dict):  # inputs
        return json.dumps(value)
    return value


@admin.register(Outcome)
class OutcomeAdmin(DecisionAuditAdmin):
    list_display = ("decision_log", "defaulted", "observed_at", "recorded_by", "recorded_at")
    list_filter = (
        "defaulted",
        ("observed_at", admin.DateFieldListFilter),
        ("recorded_by", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("decision_log__model_version__registered_model", "recorded_by")
    show_full_result_count = False
