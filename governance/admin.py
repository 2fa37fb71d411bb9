"""The reviewers' and compliance officers' screens.

The model version page is a model card: everything the registry knows about a version, its
findings and waivers, fairness, baseline, transition timeline and field-level history, with
workflow buttons for exactly the actions the viewer may take. The buttons call the same
service as the API. Audit records are read-only for everyone, superusers included.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from loanportal.admin import DateRangeFilter, PortalAdmin, streaming_csv_response
from loanportal.authentication import signed_in_user
from loanportal.history import history_stamp
from loanportal.middleware import request_id
from loanportal.roles import EDIT_MODEL_POLICY

from .errors import WorkflowError
from .ml.baseline import bin_labels
from .models import GovernanceEvent, ModelVersion, RegisteredModel, Transition
from .selectors import (
    audit_trail_rows,
    registered_model_by_pk,
    version_history_changes,
    version_transitions,
    version_validations,
)
from .services import audit_export_record, model_version_transition
from .templatetags.readable import four_digits, readable
from .workflow import STEPS, available_actions, fairness_gate_ids

# The audit trail's filter on one registered model (`TransitionAdmin.list_filter`).
MODEL_FILTER = "version__registered_model__id__exact"

admin.site.site_header = "Loan Model Governance Portal"
admin.site.site_title = "Loan Model Governance"
admin.site.index_title = "Models, decisions and monitoring"
# "View site" leads to the front page (`loanportal.views.front_page`).
admin.site.site_url = "/"
# Lists and the model card must fit a 1366-pixel screen; the app list is one click away on Home.
admin.site.enable_nav_sidebar = False


@admin.register(RegisteredModel)
class RegisteredModelAdmin(PortalAdmin, SimpleHistoryAdmin):
    """Model risk policy per model; Model Approvers may change it, with history."""

    list_display = ["name", "owner", "risk_tier", "threshold_policy", "min_auc", "created_at"]
    search_fields = ["name", "owner"]
    fields = [
        "name",
        "purpose",
        "owner",
        "risk_tier",
        "protected_attributes",
        "threshold_policy",
        "fixed_threshold",
        "min_auc",
        "fairness_min_group_size",
    ]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return EDIT_MODEL_POLICY.allows(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return ["name"]

    def save_model(self, request: HttpRequest, obj: RegisteredModel, form: ModelForm, change: bool) -> None:
        history_stamp(
            obj,
            reason=f"Policy changed in the admin: {', '.join(form.changed_data) or 'no fields'}",
            request_id=request_id(request),
        )
        super().save_model(request, obj, form, change)


@admin.register(ModelVersion)
class ModelVersionAdmin(PortalAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "state", "roc_auc", "threshold_shown", "created_by", "created_at"]
    list_filter = ["registered_model", "state", "created_by", ("created_at", DateRangeFilter)]
    search_fields = ["=version", "created_by__username", "registered_model__name"]
    list_select_related = ["registered_model", "created_by"]
    date_hierarchy = "created_at"

    @admin.display(description="ROC-AUC")
    def roc_auc(self, version: ModelVersion) -> str:
        auc = version.metrics.get("roc_auc")
        return f"{auc:.4f}" if auc is not None else "-"

    @admin.display(description="threshold", ordering="threshold")
    def threshold_shown(self, version: ModelVersion) -> str:
        return four_digits(version.threshold)

    def get_urls(self) -> list[URLPattern]:
        workflow = path(
            "<int:object_id>/workflow/",
            self.admin_site.admin_view(self.workflow_view),
            name="governance_modelversion_workflow",
        )
        return [workflow, *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.select_related("registered_model", "created_by"), pk=object_id)
        validations = version_validations(version=version)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Model card: {version}",
            "version": version,
            "model": version.registered_model,
            "metrics": version.metrics,
            "findings": [{**f, "waiver": version.waivers.get(f["id"])} for f in version.findings],
            "validations": validations,
            "fairness": version.fairness,
            "fairness_waivers": {k: v for k, v in version.waivers.items() if k.startswith("FAIRNESS:")},
            "schema_fields": version.feature_schema["fields"],
            "baseline": _baseline_rows(version.baseline),
            "transitions": version_transitions(version=version),
            "history": version_history_changes(version=version),
            "actions": _action_forms(version, request.user, validations),
        }
        return TemplateResponse(request, "admin/governance/modelversion/model_card.html", context)

    def workflow_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Take the workflow action posted from the model card, through the same service as the API."""
        card = reverse("admin:governance_modelversion_change", args=[object_id])
        if request.method != "POST":
            return HttpResponseRedirect(card)
        prefix = "waiver:"
        waivers = {k[len(prefix) :]: v for k, v in request.POST.dict().items() if k.startswith(prefix) and v.strip()}
        try:
            version = model_version_transition(
                version_id=object_id,
                action=request.POST.get("action", ""),
                actor=signed_in_user(request),
                comment=request.POST.get("comment", ""),
                waivers=waivers,
                request_id=request_id(request),
            )
        except ValueError:
            messages.error(request, "Unknown workflow action.")
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{version} is now {version.state}.")
        return HttpResponseRedirect(card)


def _action_forms(version: ModelVersion, user: Any, validations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One form per action the user may take, with a justification box per waivable item
    (and, when validating again after a rejection, the earlier round's text to copy from)."""
    earlier: dict[str, dict[str, Any]] = {}
    for validation in validations:
        earlier.update(validation["waivers"])
    forms = []
    for action in available_actions(version, user):
        waivable: list[tuple[str, str, dict[str, Any] | None]] = []
        if action == "validate":
            # Every high finding needs this validation's own waiver.
            waivable = [
                (f["id"], f["message"], earlier.get(f["id"])) for f in version.findings if f["severity"] == "high"
            ]
        elif STEPS[action].to_state == "production":
            waivable = [(k, why, None) for k, why in fairness_gate_ids(version).items() if k not in version.waivers]
        forms.append({"action": action, "comment_required": STEPS[action].comment_required, "waivable": waivable})
    return forms


def _baseline_rows(baseline: dict[str, Any]) -> list[dict[str, Any]]:
    def bars(entry: dict[str, Any]) -> list[dict[str, Any]]:
        labels = entry.get("bins") or bin_labels(entry)
        return [{"label": label, "share": share} for label, share in zip(labels, entry["shares"], strict=True)]

    rows = [{"name": "model score", "bins": bars(baseline["score"])}]
    rows += [{"name": name, "bins": bars(entry)} for name, entry in baseline["features"].items()]
    return rows


@admin.register(Transition)
class TransitionAdmin(PortalAdmin):
    """The audit trail of the workflow, accepted and refused actions alike."""

    list_display = [
        "created_at",
        "version",
        "action",
        "from_state",
        "to_state",
        "accepted",
        "refusal_reason",
        "actor",
        "comment",
    ]
    list_filter = [
        "version__registered_model",
        "action",
        "accepted",
        "actor",
        ("created_at", DateRangeFilter),
    ]
    search_fields = ["=version__version", "actor__username", "comment", "reason", "request_id"]
    list_select_related = ["version__registered_model", "actor"]
    date_hierarchy = "created_at"

    @admin.display(description="refusal reason", ordering="reason")
    def refusal_reason(self, transition: Transition) -> str:
        return transition.reason or "-"

    def get_urls(self) -> list[URLPattern]:
        export = path("export/", self.admin_site.admin_view(self.export_view), name="governance_transition_export")
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """CSV of the audit trail as currently filtered (model, date range, ...)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset: QuerySet[Transition] = self.get_changelist_instance(request).get_queryset(request)
        audit_export_record(
            actor=signed_in_user(request),
            filters=request.GET.dict(),
            rows=queryset.count(),
            registered_model=registered_model_by_pk(request.GET.get(MODEL_FILTER)),
            request_id=request_id(request),
        )
        header, rows = audit_trail_rows(transitions=queryset)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        return streaming_csv_response(f"audit-trail-{stamp}.csv", header, rows)


@admin.register(GovernanceEvent)
class GovernanceEventAdmin(PortalAdmin):
    list_display = ["created_at", "kind", "summary", "actor", "registered_model"]
    list_filter = ["kind", "registered_model", ("created_at", DateRangeFilter)]
    search_fields = ["summary", "actor__username"]
    date_hierarchy = "created_at"
    fields = ("created_at", "kind", "summary", "actor", "registered_model", "details_shown", "request_id")
    readonly_fields = fields

    @admin.display(description="details")
    def details_shown(self, event: GovernanceEvent) -> str:
        return readable(event.details)
