"""API representations of the registry (shape only: no workflow logic here)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loanportal.serializer_fields import StrictCharField

from .models import ModelVersion, RegisteredModel, Transition, VersionState


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
            "fixed_threshold", "min_auc", "fairness_min_group_size", "production_version", "created_at",
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
