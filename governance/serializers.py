"""API representations of the registry (shape only: no workflow logic here)."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loanportal.serializer_fields import StrictCharField

from .models import (
    ModelVersion,
    PeriodicReview,
    RegisteredModel,
    Report,
    RetrainingRun,
    ReviewFindingSeverity,
    ReviewFindingType,
    ReviewOutcome,
    Transition,
    VersionState,
)


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = Transition
        fields = [
            "id", "action", "from_state", "to_state", "accepted", "actor", "actor_roles",
            "comment", "reason", "details", "request_id", "created_at",
        ]  # fmt: skip


class VersionSummarySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    created_by = serializers.CharField(source="created_by.username")
    roc_auc = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = ["id", "model", "version", "state", "threshold", "roc_auc", "created_by", "created_at"]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_roc_auc(self, version: ModelVersion) -> float | None:
        return version.metrics.get("roc_auc")


class VersionDetailSerializer(VersionSummarySerializer):
    artifact = serializers.SerializerMethodField()
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(VersionSummarySerializer.Meta):
        fields = [
            *VersionSummarySerializer.Meta.fields,
            "metrics", "feature_schema", "training_data", "library_versions", "artifact",
            "fairness", "findings", "waivers", "baseline", "experiment", "transitions",
        ]  # fmt: skip

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"path": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"}},
        }
    )
    def get_artifact(self, version: ModelVersion) -> dict[str, Any]:
        return {"path": version.artifact_path, "sha256": version.artifact_sha256, "size": version.artifact_size}


class RegisteredModelSerializer(serializers.ModelSerializer):
    production_version = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredModel
        fields = [
            "name", "purpose", "owner", "risk_tier", "protected_attributes", "threshold_policy",
            "fixed_threshold", "min_auc", "fairness_min_group_size", "intended_use", "known_limitations",
            "business_line", "regulatory_scope", "production_version", "created_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="Version number in production."))
    def get_production_version(self, model: RegisteredModel) -> int | None:
        for version in model.versions.all():
            if version.state == VersionState.PRODUCTION:
                return version.version
        return None


class TransitionRequestSerializer(serializers.Serializer):
    comment = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")
    waivers = serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=4000),
        required=False,
        default=dict,
        help_text="Finding id (validate) or fairness gate id such as FAIRNESS:Gender (promote, rollback) "
        "-> written justification.",
    )


class RetrainRequestSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=4000, help_text="Why the model is retrained; kept on the run.")


class RetrainingRunSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = RetrainingRun
        fields = [
            "id", "model", "parent_version", "trigger", "reason", "state", "evidence", "requested_by",
            "request_id", "candidate", "failure", "created_at",
        ]  # fmt: skip


class InventoryEntrySerializer(serializers.Serializer):
    """One model of the inventory (`governance.inventory.InventoryEntry`)."""

    name = serializers.CharField()
    purpose = serializers.CharField()
    owner = serializers.CharField()
    risk_tier = serializers.CharField()
    business_line = serializers.CharField()
    regulatory_scope = serializers.ListField(child=serializers.CharField())
    production_version = serializers.IntegerField(allow_null=True)
    last_validated_at = serializers.DateTimeField(allow_null=True)
    review_cycle_months = serializers.IntegerField(allow_null=True)
    next_review_due = serializers.DateField(allow_null=True)
    days_overdue = serializers.IntegerField(allow_null=True)
    active_incidents = serializers.DictField(child=serializers.IntegerField(), help_text="Severity -> count.")
    latest_score_psi = serializers.FloatField(allow_null=True)
    latest_lowest_adverse_impact_ratio = serializers.FloatField(allow_null=True)
    latest_realized_auc = serializers.FloatField(allow_null=True)


class ReviewFindingSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ReviewFindingType.choices)
    severity = serializers.ChoiceField(choices=ReviewFindingSeverity.choices)
    owner = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000)


class PeriodicReviewRequestSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    comment = StrictCharField(max_length=4000)
    findings = ReviewFindingSerializer(many=True, required=False, default=list)


class PeriodicReviewSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    version = serializers.IntegerField(source="version.version")
    version_id = serializers.IntegerField()
    reviewer = serializers.CharField(source="reviewer.username")
    findings = ReviewFindingSerializer(many=True)

    class Meta:
        model = PeriodicReview
        fields = [
            "id", "model", "version", "version_id", "reviewer", "reviewer_roles", "outcome", "comment",
            "findings", "request_id", "created_at",
        ]  # fmt: skip


class ReportSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    version = serializers.IntegerField(source="version.version")
    version_id = serializers.IntegerField()
    generated_by = serializers.CharField(source="generated_by.username", allow_null=True, default=None)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id", "model", "version", "version_id", "kind", "month", "sha256", "size", "generated_at",
            "generated_by", "download",
        ]  # fmt: skip

    @extend_schema_field(serializers.URLField())
    def get_download(self, report: Report) -> str:
        path = reverse("report-download", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AuditPublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="Always Ed25519.")
    key_id = serializers.CharField(help_text="SHA-256 of the raw 32-byte public key, hex.")
    public_key_pem = serializers.CharField(help_text="SubjectPublicKeyInfo PEM: save it for docs/verify_proof.py.")


class AuditProofQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Record kind: decision, outcome, transition, governance_event, ...")
    id = serializers.CharField(help_text="The record's id (a UUID for decisions and outcomes).")


class AuditProofSerializer(serializers.Serializer):
    """docs/audit_ledger.md section 4: check it offline with docs/verify_proof.py."""

    format = serializers.CharField()
    format_version = serializers.IntegerField()
    record = serializers.CharField(help_text="The canonical record exactly as it was hashed.")
    leaf_hash = serializers.CharField()
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    audit_path = serializers.ListField(child=serializers.CharField())
    key_id = serializers.CharField()
    block_head = serializers.DictField()
    block_hash = serializers.CharField()
    signature = serializers.CharField()
