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
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from loanportal.admin import DateRangeFilter, PortalAdmin, streaming_csv_response
from loanportal.authentication import signed_in_user
from loanportal.errors import ServiceError
from loanportal.history import history_stamp
from loanportal.middleware import request_id
from loanportal.roles import EDIT_MODEL_POLICY, EDIT_REVIEW_POLICY

from .errors import WorkflowError
from .inventory import INVENTORY_CSV_HEADER, inventory_csv_rows, inventory_entries, inventory_entry
from .ml.baseline import bin_labels
from .models import (
    Action,
    AuditBlock,
    GovernanceEvent,
    ModelVersion,
    PeriodicReview,
    RegisteredModel,
    Report,
    RetrainingPolicy,
    RetrainingRun,
    ReviewFindingSeverity,
    ReviewFindingType,
    ReviewOutcome,
    ReviewPolicy,
    Transition,
    VersionState,
)
from .reports.services import report_generate
from .reviews import periodic_review_record
from .sealing.kinds import KINDS_BY_NAME
from .sealing.selectors import audit_seal_status
from .selectors import (
    audit_trail_rows,
    production_version,
    registered_model_by_pk,
    version_history_changes,
    version_transitions,
    version_validations,
)
from .services import audit_export_record, inventory_export_record, model_version_transition
from .templatetags.readable import four_digits, readable
from .workflow import CHALLENGER_EVIDENCE, STEPS, available_actions, fairness_gate_ids, review_refusal

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
        "intended_use",
        "known_limitations",
        "business_line",
        "regulatory_scope",
    ]

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "inventory.csv",
            self.admin_site.admin_view(self.inventory_export_view),
            name="governance_registeredmodel_inventory",
        )
        return [export, *super().get_urls()]

    def inventory_export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The model risk inventory as CSV; each export is a governance event."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        entries = inventory_entries()
        inventory_export_record(actor=signed_in_user(request), rows=len(entries), request_id=request_id(request))
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        return streaming_csv_response(
            f"model-inventory-{stamp}.csv", INVENTORY_CSV_HEADER, inventory_csv_rows(entries=entries)
        )

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
        review = path(
            "<int:object_id>/review/",
            self.admin_site.admin_view(self.review_view),
            name="governance_modelversion_review",
        )
        report = path(
            "<int:object_id>/report/",
            self.admin_site.admin_view(self.report_view),
            name="governance_modelversion_report",
        )
        return [workflow, review, report, *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.select_related("registered_model", "created_by"), pk=object_id)
        validations = version_validations(version=version)
        gate = _challenger_gate(version)
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
            "retraining_run": RetrainingRun.objects.filter(candidate=version).select_related("parent_version").first(),
            "retraining_runs": version.retraining_runs.select_related("candidate").order_by("-created_at")[:10],
            "retraining_runs_url": reverse("admin:governance_retrainingrun_changelist")
            + f"?registered_model__id__exact={version.registered_model_id}",
            "actions": _action_forms(version, request.user, validations, gate),
            "challenger_gate": gate,
            "inventory": inventory_entry(registered_model=version.registered_model),
            "periodic_reviews": version.periodic_reviews.select_related("reviewer").order_by("created_at", "id"),
            "review_form": _review_form(version, request.user),
            "reports": version.reports.defer("content", "data").order_by("-generated_at", "-id")[:12],
            "this_month": timezone.now().strftime("%Y-%m"),
            # The card's own record in the sealed audit: the version's newest history row.
            "sealed": audit_seal_status(
                kind=KINDS_BY_NAME["model_version_history"], pk=version.history.values_list("pk", flat=True).first()
            ),
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

    def review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Record the periodic review posted from the model card, through the same service as the API."""
        card = reverse("admin:governance_modelversion_change", args=[object_id])
        version = get_object_or_404(ModelVersion.objects.select_related("registered_model"), pk=object_id)
        if request.method != "POST":
            return HttpResponseRedirect(card)
        post = request.POST
        finding = {
            field: post.get(f"finding_{field}", "").strip() for field in ("type", "severity", "owner", "description")
        }
        try:
            review = periodic_review_record(
                registered_model=version.registered_model,
                reviewer=signed_in_user(request),
                outcome=post.get("outcome", ""),
                comment=post.get("comment", ""),
                findings=[finding] if finding["description"] else [],
                request_id=request_id(request),
            )
        except ServiceError as error:
            detail = "; ".join(f"{k}: {v}" for k, v in error.errors.items())
            messages.error(request, f"{error.message} {detail}".strip())
        else:
            messages.success(request, f"{review} recorded.")
        return HttpResponseRedirect(card)

    def report_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Generate the report asked for from the model card (the `generate_report` service)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        card = reverse("admin:governance_modelversion_change", args=[object_id])
        if request.method != "POST":
            return HttpResponseRedirect(card)
        kind = request.POST.get("kind", "")
        try:
            report = report_generate(
                version_id=object_id,
                kind=kind,
                month=request.POST.get("month") if kind == "monitoring" else None,
                actor=signed_in_user(request),
                request_id=request_id(request),
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{report} stored (SHA-256 {report.sha256}).")
        return HttpResponseRedirect(card)


def _review_form(version: ModelVersion, user: Any) -> dict[str, Any] | None:
    """The periodic review form, for a production version and a user who may review it."""
    if version.state != VersionState.PRODUCTION or review_refusal(version, user) is not None:
        return None
    return {
        "outcomes": ReviewOutcome.choices,
        "types": ReviewFindingType.choices,
        "severities": ReviewFindingSeverity.choices,
    }


def _action_forms(
    version: ModelVersion, user: Any, validations: list[dict[str, Any]], gate: dict[str, Any]
) -> list[dict[str, Any]]:
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
            evidence = gate["evidence"]
            if action == Action.PROMOTE and gate["needed"] and not evidence["met"] and not evidence["waived"]:
                waivable.append((CHALLENGER_EVIDENCE, "; ".join(evidence["reasons"]), None))
        forms.append({"action": action, "comment_required": STEPS[action].comment_required, "waivable": waivable})
    return forms


TERMINAL_STATES = (VersionState.RETIRED, VersionState.REJECTED)


def _challenger_gate(version: ModelVersion) -> dict[str, Any]:
    """The gate CHALLENGER_EVIDENCE on the card: as recorded when the version was promoted,
    or as it stands now against the version in production (`needed` False when none is)."""
    # Imported here: monitoring builds on the registry (see `services._challenger_evidence`).
    from monitoring.evidence import challenger_evidence

    promoted = version.transitions.filter(action=Action.PROMOTE, accepted=True).first()
    if promoted is not None:
        recorded = promoted.details.get("challenger_evidence")
        return {"needed": recorded is not None, "recorded": True, "evidence": recorded, "transition": promoted.pk}
    champion = production_version(model_name=version.registered_model.name)
    if champion is None or champion.pk == version.pk or version.state in TERMINAL_STATES:
        return {"needed": False, "recorded": False, "evidence": None}
    evidence = challenger_evidence(version=version, champion=champion).as_json()
    evidence["waived"] = CHALLENGER_EVIDENCE in version.waivers
    return {"needed": True, "recorded": False, "evidence": evidence, "champion": champion}


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


@admin.register(RetrainingPolicy)
class RetrainingPolicyAdmin(PortalAdmin, SimpleHistoryAdmin):
    """When and on what a model is retrained: Model Approvers edit it, with history; every
    portal role (Data Scientists among them) reads it."""

    list_display = [
        "registered_model",
        "enabled",
        "drift_inputs_min",
        "on_performance_incident",
        "max_model_age_days",
        "new_outcomes_min",
        "cooldown_days",
        "min_labelled_rows",
        "out_of_time_share",
        "search_trials",
        "search_seconds",
        "search_rows",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return EDIT_MODEL_POLICY.allows(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return EDIT_MODEL_POLICY.allows(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return ["registered_model"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: RetrainingPolicy, form: ModelForm, change: bool) -> None:
        history_stamp(
            obj,
            reason=f"Retraining policy changed in the admin: {', '.join(form.changed_data) or 'no fields'}",
            request_id=request_id(request),
        )
        super().save_model(request, obj, form, change)


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(PortalAdmin, SimpleHistoryAdmin):
    """The review cycle per risk tier; model risk changes it, with history."""

    list_display = ["risk_tier", "months"]
    fields = ["risk_tier", "months"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return EDIT_REVIEW_POLICY.allows(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return ["risk_tier"]

    def save_model(self, request: HttpRequest, obj: ReviewPolicy, form: ModelForm, change: bool) -> None:
        history_stamp(
            obj, reason=f"Review cycle set to {obj.months} months in the admin", request_id=request_id(request)
        )
        super().save_model(request, obj, form, change)


@admin.register(RetrainingRun)
class RetrainingRunAdmin(PortalAdmin):
    """Retraining runs, read-only for everyone: they are the record of why a candidate exists."""

    list_display = [
        "id",
        "registered_model",
        "parent_version",
        "trigger",
        "state",
        "candidate_link",
        "created_at",
        "finished_at",
    ]
    list_filter = ["registered_model", "parent_version", "trigger", "state", ("created_at", DateRangeFilter)]
    list_select_related = ["registered_model", "parent_version__registered_model", "candidate__registered_model"]
    search_fields = ["reason", "failure"]
    date_hierarchy = "created_at"
    fields = (
        "registered_model",
        "parent_version",
        "trigger",
        "state",
        "reason",
        "failure",
        "candidate_link",
        "incident_links",
        "requested_by",
        "request_id",
        "data_file",
        "evidence_shown",
        "data_summary_shown",
        "leaderboard_table",
        "comparison_shown",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description="candidate")
    def candidate_link(self, run: RetrainingRun) -> str:
        if run.candidate is None:
            return "-"
        url = reverse("admin:governance_modelversion_change", args=[run.candidate.pk])
        return format_html('<a href="{}">{} ({})</a>', url, run.candidate, run.candidate.state)

    @admin.display(description="incidents")
    def incident_links(self, run: RetrainingRun) -> str:
        links = [
            (reverse("admin:monitoring_incident_change", args=[incident.pk]), incident)
            for incident in run.incidents.all()
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', links) or "-"

    @admin.display(description="leaderboard")
    def leaderboard_table(self, run: RetrainingRun) -> str:
        return leaderboard_html(run.leaderboard)

    @admin.display(description="evidence")
    def evidence_shown(self, run: RetrainingRun) -> str:
        return readable(run.evidence)

    @admin.display(description="data summary")
    def data_summary_shown(self, run: RetrainingRun) -> str:
        return readable(run.data_summary)

    @admin.display(description="comparison")
    def comparison_shown(self, run: RetrainingRun) -> str:
        return readable(run.comparison)


def leaderboard_html(leaderboard: list[dict[str, Any]]) -> str:
    """The candidates of a search as a table (the run page and the model card show it)."""
    if not leaderboard:
        return "-"
    header = format_html_join(
        "",
        "<th>{}</th>",
        ((h,) for h in ("rank", "candidate", "CV ROC-AUC", "± std", "out-of-time ROC-AUC", "seconds", "parameters")),
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row["rank"],
                row["candidate"],
                " (registered)" if row["winner"] else "",
                # Formatted here: format_html escapes its arguments to strings first.
                f"{row['cv_roc_auc_mean']:.4f}",
                f"{row['cv_roc_auc_std']:.4f}",
                f"{row['holdout_roc_auc']:.4f}",
                f"{row['training_seconds']:.1f}",
                readable(dict(sorted(row["params"].items()))),
            )
            for row in leaderboard
        ),
    )
    return format_html("<table><tr>{}</tr>{}</table>", header, rows)


@admin.register(PeriodicReview)
class PeriodicReviewAdmin(PortalAdmin):
    """Periodic reviews, read-only (recorded from the model card or the API)."""

    list_display = ["created_at", "version", "outcome", "reviewer", "comment"]
    list_filter = ["registered_model", "outcome", ("created_at", DateRangeFilter)]
    list_select_related = ["version__registered_model", "reviewer"]
    search_fields = ["comment", "reviewer__username"]


@admin.register(Report)
class ReportAdmin(PortalAdmin):
    """Stored reports, read-only, each with its download link."""

    list_display = ["generated_at", "version", "kind", "month", "sha256", "generated_by", "download"]
    list_filter = ["registered_model", "kind", ("generated_at", DateRangeFilter)]
    list_select_related = ["version__registered_model", "generated_by"]
    exclude = ["content"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).defer("content")

    @admin.display(description="PDF")
    def download(self, report: Report) -> str:
        return format_html('<a href="{}">Download</a>', reverse("report-download", args=[report.pk]))


@admin.register(AuditBlock)
class AuditBlockAdmin(PortalAdmin):
    """The sealed audit's blocks, read-only like every audit record; `verify_audit`
    checks them."""

    list_display = ["kind", "number", "record_count", "signed_at", "block_hash", "key_id"]
    list_filter = ["kind", ("signed_at", DateRangeFilter)]
    search_fields = ["=block_hash", "=merkle_root"]
    date_hierarchy = "signed_at"
