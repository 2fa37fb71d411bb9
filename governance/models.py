"""The model registry: registered models, their versions and the audit of every step."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, slug_re
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from loanportal.audit import AppendOnlyModel

from .ml.fields import PROTECTED_ATTRIBUTES


class RiskTier(models.TextChoices):
    TIER_1 = "tier_1", "Tier 1 (high materiality)"
    TIER_2 = "tier_2", "Tier 2 (medium materiality)"
    TIER_3 = "tier_3", "Tier 3 (low materiality)"


class ThresholdPolicy(models.TextChoices):
    MAX_F1 = "max_f1", "Maximise F1 on the early-stopping sample"
    FIXED = "fixed", "Fixed probability cut-off"


class VersionState(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    APPROVED = "approved"
    PRODUCTION = "production"
    RETIRED = "retired"
    REJECTED = "rejected"


def default_protected_attributes() -> list[str]:
    return list(PROTECTED_ATTRIBUTES)


class RegisteredModel(models.Model):
    """A model the bank runs (e.g. `loan-default`) and the policy its versions answer to."""

    name = models.SlugField(max_length=64, unique=True)
    purpose = models.TextField()
    owner = models.CharField(max_length=200, help_text="Accountable model owner (person or team).")
    risk_tier = models.CharField(max_length=16, choices=RiskTier.choices, default=RiskTier.TIER_1)
    protected_attributes = models.JSONField(
        default=default_protected_attributes,
        help_text="Application fields never used as model inputs, monitored for fairness.",
    )
    threshold_policy = models.CharField(max_length=16, choices=ThresholdPolicy.choices, default=ThresholdPolicy.MAX_F1)
    fixed_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Probability of default at or above which an application is declined (fixed policy only).",
    )
    min_auc = models.FloatField(
        default=0.75,
        validators=[MinValueValidator(0.5), MaxValueValidator(1.0)],
        help_text="Holdout ROC-AUC floor: a validation finding below it, and a promotion gate.",
    )
    fairness_min_group_size = models.PositiveIntegerField(
        default=100, help_text="Smaller protected groups are reported but not judged."
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    @staticmethod
    def could_be_name(name: str) -> bool:
        """Registered names are slugs: anything else names nothing and needs no query
        (PostgreSQL refuses a parameter with a NUL character outright, a 500)."""
        return bool(slug_re.fullmatch(name))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(threshold_policy="fixed") | models.Q(fixed_threshold__isnull=False),
                name="fixed_policy_has_threshold",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """One trained, validated and documented version of a registered model.

    Everything but `state`, `waivers` and `shadow_since` is written once at registration. `state` changes
    only through the workflow services (`governance.services`), which lock the row and
    write a `Transition` in the same transaction; simple-history keeps every field change.
    """

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=VersionState.choices, default=VersionState.DRAFT, editable=False)

    artifact_path = models.CharField(max_length=300, help_text="Relative to MODEL_ARTIFACT_DIR.")
    artifact_sha256 = models.CharField(max_length=64)
    artifact_size = models.PositiveBigIntegerField()
    library_versions = models.JSONField()
    feature_schema = models.JSONField()
    training_data = models.JSONField(help_text="Rows, SHA-256 of the file, class balance, split.")
    metrics = models.JSONField(help_text="Holdout metrics at the chosen threshold.")
    threshold = models.FloatField(help_text="Probability of default at or above which the decision is decline.")
    baseline = models.JSONField(help_text="Frozen monitoring baseline: bins and shares per field and for the score.")
    fairness = models.JSONField(help_text="Fairness on the holdout per protected attribute.")
    findings = models.JSONField(help_text="Automated validation findings.")
    experiment = models.JSONField(
        default=dict,
        blank=True,
        help_text="How the version was trained: candidate search and leaderboard, parameters, seed, libraries, "
        "code commit, data fingerprint, duration and peak memory. Empty for versions registered before "
        "experiments were recorded.",
    )
    calibration = models.JSONField(
        default=dict,
        blank=True,
        help_text="Holdout calibration: expected calibration error, reliability curve, the bound, and an isotonic "
        "recalibration when the error is above it. Empty for versions registered before it was recorded: "
        "their performance is not estimable without outcomes.",
    )
    waivers = models.JSONField(
        default=dict,
        editable=False,
        help_text="Finding or gate id -> {justification, by, at}; written by validate and promote.",
    )

    shadow_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the version started shadow scoring of production traffic (start_shadow); empty when not "
        "in shadow. Written by the workflow only.",
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["registered_model__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "version"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["registered_model"],
                condition=models.Q(state="production"),
                name="one_production_version_per_model",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.version}"


class Action(models.TextChoices):
    REGISTER = "register"
    SUBMIT = "submit"
    VALIDATE = "validate"
    REJECT = "reject"
    APPROVE = "approve"
    PROMOTE = "promote"
    RETIRE = "retire"
    ROLLBACK = "rollback"
    START_SHADOW = "start_shadow"
    STOP_SHADOW = "stop_shadow"


class Transition(AppendOnlyModel):
    """One workflow action on a version, accepted or refused. Append-only.

    An accepted action moves the version `from_state` -> `to_state`; a refused one leaves it
    where it was and says why in `reason`. Together they answer who moved which version
    when and why, and who tried and was stopped.
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_state = models.CharField(max_length=16, choices=VersionState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=VersionState.choices)
    accepted = models.BooleanField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_roles = models.JSONField(default=list, blank=True, help_text="The actor's portal roles at the time.")
    comment = models.TextField(blank=True)
    reason = models.TextField(blank=True, help_text="Why a refused action was refused.")
    details = models.JSONField(default=dict, blank=True, help_text="Waivers given, version retired, ...")
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        outcome = "" if self.accepted else " (refused)"
        return f"{self.version} {self.action}{outcome}"


class EventKind(models.TextChoices):
    RETENTION = "retention", "Retention applied"
    USER_PROVISIONED = "user_provisioned", "User provisioned"
    TOKEN_ROTATED = "token_rotated", "API token rotated"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    AUDIT_EXPORTED = "audit_exported", "Audit trail exported"


class GovernanceEvent(AppendOnlyModel):
    """An auditable event that is not a version transition. Append-only."""

    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for scheduled jobs.",
    )
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, null=True, blank=True)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
