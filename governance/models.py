"""The model registry: registered models, their versions, the audit of every step, and the
retraining policy and runs that propose new versions."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, slug_re
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from loanportal.audit import AppendOnlyError, AppendOnlyModel
from loanportal.history import RequestIdHistoricalModel

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


class RegulatoryScope(models.TextChoices):
    EU_AI_ACT_HIGH_RISK = "eu_ai_act_high_risk", "EU AI Act high-risk: credit decisioning (Annex III 5(b))"
    IRB_CAPITAL = "irb_capital", "IRB capital model"
    OTHER = "other", "Other"


def validate_regulatory_scope(value: Any) -> None:
    """A JSON list of distinct `RegulatoryScope` values: a multiple choice that SQLite and
    PostgreSQL store alike (no ArrayField)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Regulatory scope is a list of scope names.")
    unknown = sorted(set(value) - set(RegulatoryScope.values))
    if unknown:
        raise ValidationError(
            f"Unknown regulatory scope {', '.join(unknown)}; choose from {', '.join(RegulatoryScope.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each regulatory scope is given once.")


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
    intended_use = models.TextField(blank=True, help_text="The decisions the model may be used for, and by whom.")
    known_limitations = models.TextField(blank=True, help_text="Populations, products or conditions it is not fit for.")
    business_line = models.CharField(max_length=200, blank=True)
    regulatory_scope = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_regulatory_scope],
        help_text=f"Any of: {', '.join(RegulatoryScope.values)}.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    def regulatory_scope_labels(self) -> list[str]:
        return [RegulatoryScope(value).label for value in self.regulatory_scope if value in RegulatoryScope.values]

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

    parent_version = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="retrained_versions",
        help_text="The production version a retraining run trained this candidate to replace.",
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
    INVENTORY_EXPORTED = "inventory_exported", "Model inventory exported"
    REPORT_GENERATED = "report_generated", "Report generated"


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


# --- Retraining ----------------------------------------------------------------


def default_search_trials() -> int:
    # Imported when a policy is made, not with the models: the search module loads LightGBM.
    from .ml.search import DEFAULT_TRIALS

    return DEFAULT_TRIALS


def default_search_seconds() -> float:
    from .ml.search import DEFAULT_SECONDS

    return DEFAULT_SECONDS


def default_search_rows() -> int:
    from .ml.search import DEFAULT_ROWS

    return DEFAULT_ROWS


class RetrainingPolicy(models.Model):
    """When a registered model's production version is retrained, and on what (README
    "Retraining"). Created with these defaults the first time its triggers are evaluated;
    Model Approvers change it in the admin, with history."""

    registered_model = models.OneToOneField(RegisteredModel, on_delete=models.PROTECT, related_name="retraining_policy")
    enabled = models.BooleanField(default=True, help_text="Off: no trigger starts a run (manual runs still do).")
    drift_inputs_min = models.PositiveIntegerField(
        default=3,
        help_text="Inputs in the act band with a significant chi-square test in one drift window that trigger a "
        "retraining; 0 turns the trigger off.",
    )
    on_performance_incident = models.BooleanField(
        default=True, help_text="A performance incident opened or raised on the production version triggers one."
    )
    max_model_age_days = models.PositiveIntegerField(
        default=30, help_text="Days in production after which a retraining is due; 0 turns the trigger off."
    )
    new_outcomes_min = models.PositiveIntegerField(
        default=10_000,
        help_text="Outcomes recorded since the production version's training data ended that trigger a "
        "retraining; 0 turns the trigger off.",
    )
    cooldown_days = models.PositiveIntegerField(
        default=7, help_text="A trigger this many days after the last run is recorded as skipped."
    )
    min_labelled_rows = models.PositiveIntegerField(
        default=2_000,
        validators=[MinValueValidator(2)],
        help_text="Fewer labelled rows than this: the run fails and registers nothing.",
    )
    out_of_time_share = models.FloatField(
        default=0.2,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.9)],
        help_text="Share of the labelled decisions, the most recent by decision time, held out (and the same "
        "stratified share of the training file's rows).",
    )
    search_trials = models.PositiveIntegerField(
        default=default_search_trials,
        validators=[MinValueValidator(1)],
        help_text="LightGBM configurations the candidate search cross-validates, the reference one included.",
    )
    search_seconds = models.FloatField(
        default=default_search_seconds,
        validators=[MinValueValidator(1.0)],
        help_text="Wall-clock seconds after which the search starts no further configuration.",
    )
    # The search module's MIN_SEARCH_ROWS, written out: importing it here would load LightGBM
    # with the models.
    search_rows = models.PositiveIntegerField(
        default=default_search_rows,
        validators=[MinValueValidator(1_000)],
        help_text="Training rows the candidate search cross-validates on at most: a larger training part is "
        "sampled, stratified by the label, and the winner is then fitted on all of it.",
    )
    history = HistoricalRecords(bases=[RequestIdHistoricalModel])

    class Meta:
        verbose_name_plural = "retraining policies"

    def __str__(self) -> str:
        return f"Retraining policy of {self.registered_model}"


class RetrainingTrigger(models.TextChoices):
    DRIFT = "drift", "Input drift"
    PERFORMANCE_INCIDENT = "performance_incident", "Performance incident"
    MODEL_AGE = "model_age", "Model age"
    NEW_OUTCOMES = "new_outcomes", "New outcomes"
    COMMAND = "command", "Manual (command)"
    API = "api", "Manual (API)"


class RetrainingState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


ACTIVE_RETRAINING_STATES = (RetrainingState.PENDING, RetrainingState.RUNNING)
FINISHED_RETRAINING_STATES = (RetrainingState.SUCCEEDED, RetrainingState.FAILED, RetrainingState.SKIPPED)


class RetrainingRun(models.Model):
    """One retraining of a registered model's production version: why it started (trigger,
    reason, evidence), the data it assembled, the candidates it compared and the draft it
    registered, or the sentence saying why it failed or was skipped.

    `pending -> running -> succeeded | failed | skipped`, only through
    `governance.retraining.service`. At most one run per model is pending or running (the
    partial unique constraint, so two beats or two requests at once make one run). A
    finished run is append-only: `save()` refuses it here and, on PostgreSQL, a trigger
    refuses any UPDATE of it and every DELETE.
    """

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="retraining_runs")
    parent_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="retraining_runs",
        help_text="The production version when the run started.",
    )
    trigger = models.CharField(max_length=32, choices=RetrainingTrigger.choices)
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True, help_text="Incident ids, monitoring run ids, counts, dates.")
    state = models.CharField(
        max_length=16, choices=RetrainingState.choices, default=RetrainingState.PENDING, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for runs the daily triggers started.",
    )
    request_id = models.CharField(max_length=64, blank=True)
    data_file = models.CharField(
        max_length=500, blank=True, help_text="A labelled CSV given to a manual run in place of the parent's file."
    )
    data_summary = models.JSONField(
        default=dict, blank=True, help_text="Rows per source, time span, class balance, SHA-256 of the table."
    )
    leaderboard = models.JSONField(
        default=list, blank=True, help_text="Per candidate: parameters, CV ROC-AUC mean and std, OOT AUC, seconds."
    )
    comparison = models.JSONField(
        default=dict,
        blank=True,
        help_text="Champion vs candidate on the out-of-time holdout: AUCs, DeLong difference, Brier scores.",
    )
    failure = models.TextField(blank=True, help_text="Why the run failed or was skipped.")
    candidate = models.OneToOneField(
        ModelVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retraining_run",
        help_text="The draft version the run registered.",
    )
    incidents = models.ManyToManyField(
        "monitoring.Incident", blank=True, related_name="retraining_runs", help_text="Incidents that triggered it."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registered_model"],
                condition=models.Q(state__in=["pending", "running"]),
                name="one_active_retraining_per_model",
            ),
        ]

    def __str__(self) -> str:
        return f"Retraining #{self.pk} of {self.registered_model} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored in FINISHED_RETRAINING_STATES:
                raise AppendOnlyError(f"Retraining run #{self.pk} is {stored}: a finished run cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Retraining runs are part of the audit trail and cannot be deleted.")


class AuditBlock(AppendOnlyModel):
    """One signed block of a record kind's sealed audit chain (`governance.sealing`): the
    head's fields as docs/audit_ledger.md specifies them, its hash and Ed25519 signature.
    Append-only: a block, once sealed, is evidence."""

    kind = models.CharField(max_length=64)
    number = models.PositiveIntegerField()
    first_position = models.PositiveBigIntegerField()
    record_count = models.PositiveIntegerField()
    # JSON so that an integer id stays an integer and a UUID its canonical string, exactly
    # as the head's canonical bytes hold them.
    first_record_id = models.JSONField()
    last_record_id = models.JSONField()
    merkle_root = models.CharField(max_length=64)
    previous_block_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField()
    block_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "number"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="audit_block_kind_number")]

    def __str__(self) -> str:
        return f"{self.kind} block {self.number} ({self.record_count} records)"


class AuditLeaf(AppendOnlyModel):
    """A record's membership of a block: its position (leaf index) and leaf hash. The
    unique (kind, record_id) is what makes "sealed twice" impossible, and "not yet sealed"
    is "no leaf" rather than "an id above the last sealed one" (commit order is not id
    order). `record_id` is the primary key as the database writes it as text.

    No database foreign key to the block: PostgreSQL checked it row by row at commit,
    0.7 s for a block of 100,000 leaves, a third of a large seal. The reference holds by
    construction: the only writer inserts a block and its leaves in one transaction
    (governance.sealing.services), and both tables refuse updates and deletes. A leaf
    whose block were gone would join to no block, so `verify_audit` would see its record
    as sealed nowhere: not sealed yet, or forged."""

    block = models.ForeignKey(
        AuditBlock, on_delete=models.PROTECT, related_name="leaves", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    leaf_hash = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_id"], name="audit_leaf_kind_record"),
            models.UniqueConstraint(fields=["block", "position"], name="audit_leaf_block_position"),
        ]


class AuditCheckpoint(models.Model):
    """Where a block's head has been copied outside the database: the checkpoint file
    line, and the webhook post when one is configured. Not an audit record: a failed post
    is retried by the next seal, which sets `posted_at` then."""

    block = models.OneToOneField(AuditBlock, on_delete=models.PROTECT, primary_key=True, related_name="checkpoint")
    written_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    post_error = models.TextField(blank=True)


class ReviewPolicy(models.Model):
    """How often a model of a risk tier is revalidated, in calendar months (model risk sets
    it in the admin, with history). Seeded by migration: tier 1 every 12 months, tier 2
    every 24, tier 3 every 36."""

    risk_tier = models.CharField(max_length=16, choices=RiskTier.choices, unique=True)
    months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Calendar months from the last validation or periodic review to the next review.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["risk_tier"]
        verbose_name_plural = "review policies"

    def __str__(self) -> str:
        return f"{self.get_risk_tier_display()}: every {self.months} months"


class ReviewOutcome(models.TextChoices):
    SATISFACTORY = "satisfactory", "Satisfactory"
    SATISFACTORY_WITH_FINDINGS = "satisfactory_with_findings", "Satisfactory with findings"
    UNSATISFACTORY = "unsatisfactory", "Unsatisfactory"


class ReviewFindingType(models.TextChoices):
    VALIDATION_ISSUE = "validation_issue", "Validation issue"
    POLICY_EXCEPTION = "policy_exception", "Policy exception"
    LIMITATION = "limitation", "Limitation"


class ReviewFindingSeverity(models.TextChoices):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class PeriodicReview(AppendOnlyModel):
    """A periodic revalidation of a model's production version by an independent Model
    Validator (not its author, a submitter or an approver). Append-only.

    It restarts the review clock (`governance.inventory`). `findings` is a list of
    {type, severity, owner, description} with the types and severities above, checked by
    `governance.reviews.periodic_review_record`.
    """

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="periodic_reviews")
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="periodic_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer_roles = models.JSONField(default=list, blank=True, help_text="The reviewer's portal roles at the time.")
    outcome = models.CharField(max_length=32, choices=ReviewOutcome.choices)
    comment = models.TextField()
    findings = models.JSONField(default=list, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Periodic review #{self.pk} of {self.version}: {self.get_outcome_display()}"


class ReportKind(models.TextChoices):
    VALIDATION = "validation", "Validation report"
    MONITORING = "monitoring", "Ongoing monitoring report"


class Report(AppendOnlyModel):
    """A regulator-ready PDF, stored once with its SHA-256, when it was generated and the
    data it was rendered from (`governance.reports`). Append-only: a report is never
    changed; later data makes a new report. The PDF is kept in the database, so it is
    backed up, replicated and access-controlled with the rest of the record."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="reports")
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    month = models.DateField(null=True, blank=True, help_text="First day of the month (monitoring reports).")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content = models.BinaryField(help_text="The PDF.")
    data = models.JSONField(help_text="Everything the PDF shows, as it was read from the database.")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the monthly job.",
    )
    request_id = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-generated_at", "-id"]
        indexes = [models.Index(fields=["version", "kind", "month"], name="report_version_kind_month")]

    def __str__(self) -> str:
        month = f" {self.month:%Y-%m}" if self.month else ""
        return f"{self.get_kind_display()} {self.version}{month}"

    @property
    def filename(self) -> str:
        month = f"-{self.month:%Y-%m}" if self.month else ""
        return f"{self.kind}-{self.registered_model.name}-v{self.version.version}{month}-{self.sha256[:12]}.pdf"
