"""Monitoring in the admin: the incident queue, job runs, per-version monitoring pages and
the monitoring policy of each model.

Portal staff (any role) may look. Acknowledging and resolving incidents is for Data
Scientists, Model Validators and Model Approvers, and goes through the services; the
policy (the bands and bounds incidents are judged against) is second-line's: Model
Validators and Model Approvers edit it, with history.
"""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Model, QuerySet, Value, When
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from governance.models import ModelVersion, VersionState
from governance.templatetags.readable import four_digits, readable
from loanportal.admin import PortalAdmin, can_use_admin
from loanportal.authentication import signed_in_user
from loanportal.history import history_stamp
from loanportal.middleware import request_id
from loanportal.roles import EDIT_MONITORING_POLICY, WORK_MONITORING

from .errors import IncidentError
from .incidents import incident_acknowledge, incident_resolve
from .models import (
    ACTIVE_STATUSES,
    DriftResult,
    Incident,
    IncidentKind,
    MonitoredVersion,
    MonitoringPolicy,
    MonitoringRun,
)
from .pages import comparison_page, data_quality_anchor, version_monitoring
from .selectors import comparison_latest, monitored_versions, monitoring_policy

if TYPE_CHECKING:
    from .selectors import MonitoredVersionRow


def monitoring_page_link(version: ModelVersion | None, anchor: str = "") -> str:
    if version is None:
        return "-"
    url = reverse("admin:monitoring_version", args=[version.pk]) + (f"#{anchor}" if anchor else "")
    return format_html('<a href="{}">{} monitoring</a>', url, version)


@admin.register(Incident)
class IncidentAdmin(PortalAdmin):
    list_display = (
        "id",
        "severity",
        "kind",
        "subject",
        "version_page",
        "status",
        "owner",
        "occurrences",
        "worst",
        "first_seen",
        "last_seen",
    )
    list_display_links = ("id", "subject")
    list_filter = ("status", "severity", "kind", "model_version", "owner")
    search_fields = ("subject", "summary")
    actions = ("acknowledge_selected", "resolve_selected")
    fields = (
        "kind",
        "subject",
        "severity",
        "status",
        "version_page",
        "summary",
        "snapshot",
        "worst",
        "occurrences",
        "first_seen",
        "last_seen",
        "last_run",
        "owner",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "retraining",
        "history_table",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        return super().get_queryset(request).select_related("model_version__registered_model", "owner")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The queue: what still needs someone first, most severe first, then most recent.
        active_first = Case(
            When(status__in=ACTIVE_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [active_first.asc(), "severity", "-last_seen"]

    def has_work_permission(self, request: HttpRequest) -> bool:
        return WORK_MONITORING.allows(request.user)

    @admin.display(description="model version")
    def version_page(self, incident: Incident) -> str:
        # A data-quality incident opens the page at its field's panel.
        anchor = data_quality_anchor(incident.subject) if incident.kind == IncidentKind.DATA_QUALITY else ""
        return monitoring_page_link(incident.model_version, anchor)

    @admin.display(description="retraining")
    def retraining(self, incident: Incident) -> str:
        """The retraining runs this incident triggered and the candidates they registered."""
        runs = incident.retraining_runs.select_related("candidate__registered_model").order_by("created_at")
        rows = []
        for run in runs:
            url = reverse("admin:governance_retrainingrun_change", args=[run.pk])
            if run.candidate is None:
                candidate = format_html("{}", run.failure or "no candidate yet")
            else:
                card = reverse("admin:governance_modelversion_change", args=[run.candidate.pk])
                candidate = format_html('candidate <a href="{}">{}</a> ({})', card, run.candidate, run.candidate.state)
            rows.append(format_html('<a href="{}">Retraining run #{}</a> {}: {}', url, run.pk, run.state, candidate))
        return format_html_join("", "<div>{}</div>", ((row,) for row in rows)) or "-"

    @admin.display(description="worst value", ordering="worst_value")
    def worst(self, incident: Incident) -> str:
        return four_digits(incident.worst_value)

    @admin.display(description="metric snapshot")
    def snapshot(self, incident: Incident) -> str:
        return readable(incident.metric_snapshot)

    @admin.display(description="history")
    def history_table(self, incident: Incident) -> str:
        records = incident.history.select_related("history_user").order_by("history_date", "history_id")
        rows = format_html_join(
            "",
            "<tr><td>{} UTC</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{r.history_date:%Y-%m-%d %H:%M:%S}",
                    r.history_user or "monitoring job",
                    r.status,
                    r.severity,
                    r.occurrences,
                    r.history_change_reason or "",
                )
                for r in records
            ),
        )
        header = format_html_join(
            "", "<th>{}</th>", ((h,) for h in ("when", "who", "status", "severity", "seen", "why"))
        )
        return format_html("<table><tr>{}</tr>{}</table>", header, rows)

    @admin.action(description="Acknowledge selected incidents (you become the owner)", permissions=["work"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        acknowledge = partial(incident_acknowledge, actor=signed_in_user(request), request_id=request_id(request))
        for incident in queryset:
            self._act(request, incident, acknowledge, "acknowledged")

    @admin.action(description="Resolve selected incidents…", permissions=["work"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Incident]) -> HttpResponse | None:
        note = request.POST.get("resolution_note", "").strip()
        if "apply" in request.POST and note:
            resolve = partial(
                incident_resolve, actor=signed_in_user(request), note=note, request_id=request_id(request)
            )
            for incident in queryset:
                self._act(request, incident, resolve, "resolved")
            return None
        if "apply" in request.POST:
            self.message_user(request, "A resolution note is required.", messages.ERROR)
        return render(
            request,
            "admin/monitoring/incident/resolve.html",
            {
                **self.admin_site.each_context(request),
                "title": "Resolve incidents",
                "opts": self.model._meta,
                "incidents": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "note": note,
            },
        )

    def _act(self, request: HttpRequest, incident: Incident, action: Callable[..., Incident], done: str) -> None:
        try:
            action(incident_id=incident.pk)
        except IncidentError as error:
            self.message_user(request, f"Incident #{incident.pk}: {error.message}", messages.ERROR)
        else:
            self.message_user(request, f"Incident #{incident.pk} {done}.", messages.SUCCESS)


class DriftResultInline(admin.TabularInline):
    model = DriftResult
    fields = ("subject", "psi_shown", "band", "significant", "p_value_shown")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return can_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="PSI")
    def psi_shown(self, result: DriftResult) -> str:
        return readable(result.psi)

    @admin.display(description="p-value")
    def p_value_shown(self, result: DriftResult) -> str:
        return readable(result.p_value)


@admin.register(MonitoringRun)
class MonitoringRunAdmin(PortalAdmin):
    list_display = (
        "__str__",
        "kind",
        "version_page",
        "window_start",
        "window_end",
        "status",
        "rows",
        "headline",
        "trigger",
    )
    list_filter = ("kind", "status", "trigger", "model_version")
    date_hierarchy = "window_end"
    inlines = (DriftResultInline,)
    readonly_fields = (
        "kind",
        "model_version",
        "window_start",
        "window_end",
        "status",
        "trigger",
        "requested_by",
        "rows",
        "summary_shown",
        "error",
        "attempts",
        "claimed_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonitoringRun]:
        return super().get_queryset(request).select_related("model_version__registered_model")

    @admin.display(description="model version")
    def version_page(self, run: MonitoringRun) -> str:
        return monitoring_page_link(run.model_version)

    @admin.display(description="summary")
    def summary_shown(self, run: MonitoringRun) -> str:
        return readable(run.summary)

    @admin.display(description="result")
    def headline(self, run: MonitoringRun) -> str:
        summary = run.summary
        if "score_psi" in summary:
            worst = f"{summary['max_feature']} {summary['max_feature_psi']:.3f}"
            return f"score PSI {summary['score_psi']:.3f}; worst input {worst}"
        if "incidents" in summary:
            return f"incidents: {', '.join(summary['incidents']) or 'none'}"
        return run.error[:80] if run.error else ""


@admin.register(MonitoredVersion)
class MonitoredVersionAdmin(PortalAdmin):
    """The index of monitoring pages: every model version, production first, with what
    needs attention; each row opens the version's monitoring page."""

    list_display = ("version_page", "state", "active_incidents", "latest_drift")
    list_display_links = None
    list_filter = ("registered_model", "state")

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonitoredVersion]:
        return monitored_versions().order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        production_first = Case(
            When(state=VersionState.PRODUCTION, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [production_first.asc(), "registered_model__name", "-version"]

    @admin.display(description="model version")
    def version_page(self, version: MonitoredVersion) -> str:
        return monitoring_page_link(version)

    @admin.display(description="open or acknowledged incidents", ordering="active_incidents")
    def active_incidents(self, version: "MonitoredVersionRow") -> int:
        return version.active_incidents

    @admin.display(description="latest drift window end", ordering="latest_drift")
    def latest_drift(self, version: "MonitoredVersionRow") -> datetime | None:
        return version.latest_drift

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A version's page here is its monitoring page; the generic form would only dump its JSON fields.
        if not object_id.isdigit():
            raise Http404
        return HttpResponseRedirect(reverse("admin:monitoring_version", args=[int(object_id)]))

    def get_urls(self) -> list[Any]:
        page = self.admin_site.admin_view(self.monitoring_page_view)
        comparison = self.admin_site.admin_view(self.comparison_page_view)
        return [
            path("<int:version_id>/monitoring/", page, name="monitoring_version"),
            path("<int:version_id>/comparison/", comparison, name="monitoring_comparison"),
            *super().get_urls(),
        ]

    def comparison_page_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        """The latest comparison of a challenger version against its champion."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.select_related("registered_model"), pk=version_id)
        comparison = comparison_latest(challenger=version)
        return render(
            request,
            "admin/monitoring/comparison.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{version} as challenger",
                "opts": self.model._meta,
                "version": version,
                "comparison": comparison,
                **(comparison_page(comparison=comparison) if comparison else {}),
            },
        )

    def monitoring_page_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.select_related("registered_model"), pk=version_id)
        policy = monitoring_policy(registered_model=version.registered_model)
        return render(
            request,
            "admin/monitoring/version_monitoring.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Monitoring of {version}",
                "opts": self.model._meta,
                "version": version,
                "policy": policy,
                **version_monitoring(version=version, policy=policy),
            },
        )


@admin.register(MonitoringPolicy)
class MonitoringPolicyAdmin(PortalAdmin):
    list_display = (
        "registered_model",
        "psi_watch",
        "psi_act",
        "min_window_size",
        "chi_square_alpha",
        "adverse_impact_floor",
        "auc_drop_tolerance",
        "calibration_error_bound",
        "cohort_period",
    )

    def _may_edit(self, request: HttpRequest) -> bool:
        return EDIT_MONITORING_POLICY.allows(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_edit(request)

    def get_readonly_fields(self, request: HttpRequest, obj: MonitoringPolicy | None = None) -> tuple[str, ...]:
        return ("registered_model",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: MonitoringPolicy, form: ModelForm, change: bool) -> None:
        changed = ", ".join(form.changed_data) or "nothing"
        reason = f"Changed in the admin: {changed}" if change else "Created in the admin"
        history_stamp(obj, reason=reason, request_id=request_id(request))
        super().save_model(request, obj, form, change)
