"""Monitoring: per-model policy, job runs and their results, incidents."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from governance.models import ModelVersion, RegisteredModel
from loanportal.audit import AppendOnlyModel
from loanportal.history import RequestIdHistoricalModel
from predictions.models import Decision, DecisionLog

from . import psi, rules
from .performance import MONTH, WEEK
from .windows import Window


class CohortPeriod(models.TextChoices):
    WEEK = WEEK, "Week of the decision"
    MONTH = MONTH, "Month of the decision"


class MonitoringPolicy(models.Model):
    """The bands and bounds a registered model is monitored against (README "Monitoring").

    Created with these defaults the first time a job runs for the model; model risk
    (validators, approvers) may tighten or loosen them in the admin, with history.
    """

    registered_model = models.OneToOneField(RegisteredModel, on_delete=models.PROTECT, related_name="monitoring_policy")
    psi_watch = models.FloatField(
        default=0.10, validators=[MinValueValidator(0.0)], help_text="PSI at or above which a field is on watch."
    )
    psi_act = models.FloatField(
        default=0.25, validators=[MinValueValidator(0.0)], help_text="PSI at or above which a field needs action."
    )
    min_window_size = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(1)],
        help_text="Fewer decisions than this in a drift window: the run reports insufficient data.",
    )
    chi_square_alpha = models.FloatField(
        default=0.01,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="An act band opens an incident only when the chi-square test on the binned counts has p below this.",
    )
    adverse_impact_floor = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Adverse impact ratio below which a judged group is an incident (four-fifths rule: 0.8).",
    )
    equalized_odds_gap_bound = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Largest TPR/FPR gap between judged groups before an incident; empty: reported, not judged.",
    )
    auc_drop_tolerance = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="A cohort's ROC-AUC more than this below the version's validation AUC is an incident.",
    )
    calibration_error_bound = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="|observed default rate - mean predicted probability| of a cohort above this is an incident.",
    )
    cohort_period = models.CharField(max_length=8, choices=CohortPeriod.choices, default=CohortPeriod.MONTH)
    min_cohort_outcomes = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(1)],
        help_text="Cohorts with fewer recorded outcomes are reported but not judged.",
    )
    recalibrate_for_estimation = models.BooleanField(
        default=True,
        help_text="A version whose holdout calibration error is above its bound is estimated from its isotonic "
        "recalibration on the holdout; off: such a version is reported not estimable.",
    )
    data_quality_share_bound = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="A field's refusal, missing, out-of-range or unseen-category share more than this above its "
        "baseline is an incident when the two-proportion test is significant.",
    )
    data_quality_alpha = models.FloatField(
        default=0.01,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Significance level of the data-quality two-proportion test.",
    )
    challenger_max_age_days = models.PositiveIntegerField(
        default=7,
        validators=[MinValueValidator(1)],
        help_text="Promotion gate CHALLENGER_EVIDENCE: the comparison with the production version may be at most "
        "this many days old.",
    )
    challenger_min_outcomes = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(1)],
        help_text="Promotion gate CHALLENGER_EVIDENCE: outcomes the comparison needs at least.",
    )
    challenger_auc_tolerance = models.FloatField(
        default=0.01,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Promotion gate CHALLENGER_EVIDENCE: the lower bound of the 95 % interval of the AUC difference "
        "(challenger - production) must be at least minus this.",
    )
    history = HistoricalRecords(bases=[RequestIdHistoricalModel])

    class Meta:
        verbose_name_plural = "monitoring policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(psi_watch__lt=models.F("psi_act")), name="psi_watch_below_act"),
        ]

    def __str__(self) -> str:
        return f"Monitoring policy of {self.registered_model}"


class MonitoredVersion(ModelVersion):
    """A model version as monitoring sees it: the admin's index of monitoring pages."""

    class Meta:
        proxy = True
        verbose_name = "model version monitoring"
        verbose_name_plural = "model version monitoring"


class JobKind(models.TextChoices):
    DRIFT = "drift", "Drift (PSI)"
    FAIRNESS = "fairness", "Fairness"
    PERFORMANCE = "performance", "Realized performance"
    ESTIMATED_PERFORMANCE = "estimated_performance", "Estimated performance"
    DATA_QUALITY = "data_quality", "Input data quality"


class RunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    INSUFFICIENT_DATA = "insufficient_data", "Insufficient data"
    NOT_ESTIMABLE = "not_estimable", "Not estimable"
    FAILED = "failed"


FINISHED_STATUSES = (RunStatus.COMPLETED, RunStatus.INSUFFICIENT_DATA, RunStatus.NOT_ESTIMABLE)


class Trigger(models.TextChoices):
    SCHEDULE = "schedule"
    COMMAND = "command"
    API = "api", "API"


class MonitoringRun(models.Model):
    """One job over one window for one model version; the window's only result.

    The unique constraint is what makes a second trigger of the same window a no-op, even
    when two schedulers fire at once. `status` is job bookkeeping, changed only by
    `monitoring.runs` under a row lock; the run and its result rows are the record.
    """

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="monitoring_runs")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING, editable=False)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for scheduled runs.",
    )
    request_id = models.CharField(max_length=64, blank=True, help_text="The API request that asked for the run.")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Decisions the run looked at.")
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True, help_text="Task id (or command) executing the run.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-window_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "model_version", "window_start", "window_end"], name="one_run_per_job_version_window"
            ),
            models.CheckConstraint(
                condition=models.Q(window_start__lt=models.F("window_end")), name="window_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["model_version", "kind", "-window_end"], name="run_version_kind_end")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.model_version} {self.window}"

    @property
    def window(self) -> Window:
        return Window(self.window_start, self.window_end)


class DriftBand(models.TextChoices):
    STABLE = psi.STABLE, "Stable"
    WATCH = psi.WATCH, "Watch"
    ACT = psi.ACT, "Act"


class DriftResult(AppendOnlyModel):
    """PSI of one input field (or of the model score) in one drift run, with its bins.

    Results are evidence model risk relies on: written once with their run, never changed
    (append-only, like the other result rows)."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="drift_results")
    subject = models.CharField(
        max_length=64, help_text=f"Application field, or {rules.SCORE_SUBJECT!r} for the model score."
    )
    psi = models.FloatField()
    band = models.CharField(max_length=8, choices=DriftBand.choices)
    chi_square = models.FloatField()
    p_value = models.FloatField()
    significant = models.BooleanField(help_text="The chi-square test says the shift is more than sampling noise.")
    bins = models.JSONField()
    baseline_counts = models.JSONField()
    current_counts = models.JSONField()
    baseline_shares = models.JSONField()
    current_shares = models.JSONField()

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "subject"], name="one_drift_result_per_subject")]

    def __str__(self) -> str:
        return f"{self.subject}: PSI {self.psi:.3f} ({self.band})"


class FairnessResult(AppendOnlyModel):
    """Group fairness of one protected attribute in one fairness run (`governance.ml.fairness`)."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="fairness_results")
    attribute = models.CharField(max_length=64)
    reference_group = models.CharField(max_length=100, blank=True)
    min_adverse_impact_ratio = models.FloatField(null=True, blank=True)
    demographic_parity_difference = models.FloatField(null=True, blank=True)
    equal_opportunity_gap = models.FloatField(null=True, blank=True)
    equalized_odds_gap = models.FloatField(null=True, blank=True)
    passes_four_fifths = models.BooleanField()
    groups = models.JSONField(help_text="Per group: n, approval rate, ratios, and with outcomes TPR, FPR, AUC.")

    class Meta:
        ordering = ["run", "attribute"]
        constraints = [models.UniqueConstraint(fields=["run", "attribute"], name="one_fairness_result_per_attribute")]

    def __str__(self) -> str:
        return f"{self.attribute}: min adverse impact ratio {self.min_adverse_impact_ratio}"


class PerformanceCohort(AppendOnlyModel):
    """Realized performance of the applications decided in one week or month."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="performance_cohorts")
    cohort_start = models.DateField()
    period = models.CharField(max_length=8, choices=CohortPeriod.choices)
    outcomes = models.PositiveIntegerField()
    defaults = models.PositiveIntegerField()
    roc_auc = models.FloatField(null=True, blank=True)
    ks = models.FloatField(null=True, blank=True)
    brier = models.FloatField()
    default_rate = models.FloatField()
    mean_probability = models.FloatField()
    calibration_error = models.FloatField()
    judged = models.BooleanField(help_text="Enough outcomes to be judged against the bounds.")

    class Meta:
        ordering = ["run", "cohort_start"]
        constraints = [models.UniqueConstraint(fields=["run", "cohort_start"], name="one_row_per_cohort")]

    def __str__(self) -> str:
        return f"{self.period} of {self.cohort_start}: AUC {self.roc_auc}"


class IncidentKind(models.TextChoices):
    DATA_DRIFT = rules.DATA_DRIFT, "Data drift"
    SCORE_DRIFT = rules.SCORE_DRIFT, "Score drift"
    FAIRNESS = rules.FAIRNESS, "Fairness"
    PERFORMANCE = rules.PERFORMANCE, "Performance"
    ESTIMATED_PERFORMANCE = rules.ESTIMATED_PERFORMANCE, "Estimated performance"
    DATA_QUALITY = rules.DATA_QUALITY, "Data quality"
    JOB_FAILURE = rules.JOB_FAILURE, "Job failure"
    REVIEW_DUE = rules.REVIEW_DUE, "Periodic review due"
    REVIEW_FAILED = rules.REVIEW_FAILED, "Periodic review failed"


class Severity(models.TextChoices):
    P0 = rules.P0, "P0 (critical)"
    P1 = rules.P1, "P1 (high)"
    P2 = rules.P2, "P2 (medium)"
    P3 = rules.P3, "P3 (low)"


class IncidentStatus(models.TextChoices):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ACTIVE_STATUSES = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


class Incident(models.Model):
    """A crossed band or bound that people work to resolution.

    One active (open or acknowledged) incident per model version, kind and subject: a
    recurring breach updates it (occurrences, last seen, worst value, latest snapshot)
    and raises its severity if it got worse. Status moves open -> acknowledged ->
    resolved only through `monitoring.incidents`, which lock the row and set a history
    change reason; resolving needs a note.
    """

    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    subject = models.CharField(max_length=100, help_text="Feature, protected attribute, metric or job.")
    severity = models.CharField(max_length=2, choices=Severity.choices, editable=False)
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        help_text="Empty for a failed job that is not about one version (retention).",
    )
    dedup_key = models.CharField(max_length=200, editable=False)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, editable=False
    )
    summary = models.CharField(max_length=300)
    metric_snapshot = models.JSONField(default=dict, help_text="The latest breach: value, bound, window, run.")
    worst_value = models.FloatField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    last_run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    history = HistoricalRecords(bases=[RequestIdHistoricalModel])

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="one_active_incident_per_subject",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | ~models.Q(resolution_note=""),
                name="resolved_incident_has_note",
            ),
        ]
        indexes = [models.Index(fields=["status", "severity"], name="incident_status_severity")]

    def __str__(self) -> str:
        version = self.model_version or "no version"
        return f"#{self.pk} [{self.severity}] {self.get_kind_display()}: {self.subject} ({version})"

    @staticmethod
    def key(version_id: int | None, kind: str, subject: str) -> str:
        return f"{version_id or '-'}:{kind}:{subject}"


class EstimatedPerformance(AppendOnlyModel):
    """A window's performance estimated from its predicted probabilities alone
    (`monitoring.estimation`), before any outcome is known; one row per run."""

    run = models.OneToOneField(MonitoringRun, on_delete=models.PROTECT, related_name="estimated_performance")
    decisions = models.PositiveIntegerField()
    threshold = models.FloatField()
    recalibrated = models.BooleanField(help_text="Estimated from the version's isotonic recalibration on the holdout.")
    confidence = models.FloatField(help_text="Confidence of the sampling-error bands.")
    expected_default_rate = models.FloatField()
    expected_roc_auc = models.FloatField(null=True, blank=True)
    validation_auc = models.FloatField()
    metrics = models.JSONField(help_text="Per metric: value, standard error and sampling-error band [low, high].")
    confusion_matrix = models.JSONField(help_text="Expected TP, FP, FN, TN at the threshold.")

    class Meta:
        ordering = ["run"]

    def __str__(self) -> str:
        return f"Estimated AUC {self.expected_roc_auc}, default rate {self.expected_default_rate:.4f}"


class EstimationBacktest(AppendOnlyModel):
    """For one cohort whose outcomes have matured: the performance estimated from its
    probabilities beside the realized one, and the error (estimated - realized)."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="estimation_backtest")
    cohort_start = models.DateField()
    period = models.CharField(max_length=8, choices=CohortPeriod.choices)
    outcomes = models.PositiveIntegerField()
    estimated_roc_auc = models.FloatField(null=True, blank=True)
    realized_roc_auc = models.FloatField(null=True, blank=True)
    roc_auc_error = models.FloatField(null=True, blank=True)
    estimated_default_rate = models.FloatField()
    realized_default_rate = models.FloatField()
    default_rate_error = models.FloatField()

    class Meta:
        ordering = ["run", "cohort_start"]
        constraints = [models.UniqueConstraint(fields=["run", "cohort_start"], name="one_backtest_row_per_cohort")]

    def __str__(self) -> str:
        return f"{self.period} of {self.cohort_start}: AUC error {self.roc_auc_error}"


class DataQualityResult(AppendOnlyModel):
    """Input data quality of one application field in one window (`monitoring.data_quality`):
    refusals by rule, and the missing, out-of-range and unseen-category shares against the
    baseline, each with its two-proportion test."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="data_quality_results")
    field = models.CharField(max_length=64)
    accepted = models.PositiveIntegerField(help_text="Accepted applications in the window.")
    refused = models.PositiveIntegerField(help_text="Refused applications that broke a rule on this field.")
    refusals_by_rule = models.JSONField(help_text="Rule -> refused applications that broke it on this field.")
    refusal_share = models.FloatField()
    missing_share = models.FloatField()
    baseline_missing_share = models.FloatField()
    out_of_range_share = models.FloatField()
    unseen_category_share = models.FloatField()
    checks = models.JSONField(help_text="Per share: share, count, n, baseline share, z, p-value, jump, breached.")
    breached = models.BooleanField()

    class Meta:
        ordering = ["run", "field"]
        constraints = [models.UniqueConstraint(fields=["run", "field"], name="one_data_quality_result_per_field")]

    def __str__(self) -> str:
        return f"{self.field}: refused {self.refusal_share:.3f}, missing {self.missing_share:.3f}"


class Comparison(AppendOnlyModel):
    """A challenger replayed on the decisions its champion made in a period, and the numbers
    that compare them (`monitoring.comparison_math`). Append-only: the evidence a promotion
    (gate CHALLENGER_EVIDENCE) relies on; a refresh is a new period, hence a new row.

    `result` is the JSON object the command prints and the API returns; the columns beside
    it are what the gate and the lists read without opening it.
    """

    champion = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="comparisons_as_champion")
    challenger = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="comparisons_as_challenger")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    request_id = models.CharField(max_length=64, blank=True)
    n_decisions = models.PositiveIntegerField(help_text="Decisions scored by both models.")
    n_outcomes = models.PositiveIntegerField(help_text="Of those, decisions with a recorded outcome.")
    auc_difference_ci_low = models.FloatField(null=True, blank=True)
    min_adverse_impact_ratio_challenger = models.FloatField(
        null=True, blank=True, help_text="Lowest adverse impact ratio of a judged group under the challenger."
    )
    result = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["champion", "challenger", "period_start", "period_end"], name="one_comparison_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lt=models.F("period_end")), name="comparison_period_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.challenger} against {self.champion} ({self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d})"

    @property
    def period(self) -> Window:
        return Window(self.period_start, self.period_end)


class ChallengerScore(AppendOnlyModel):
    """A shadow version's answer to one logged decision (`monitoring.shadow`): what it would
    have decided, or the fields its schema refuses. Never shown to API clients, never changes
    a decision. Append-only, like the decision log.

    Neither reference is a database foreign key. PostgreSQL checks a foreign key row by row
    (a lookup and a row lock in the parent per new row): two of them were over half of the
    hourly job's time for 100,000 scores. The references hold by construction instead: the
    only writer (`monitoring.shadow`) stores the ids it has just read from the decision log
    in the same transaction, and the challenger it has locked there; the decision log
    refuses DELETE and any change of a row's id (its guard trigger), and `PROTECT` refuses
    deleting a version that has scores through the ORM, as before."""

    decision_log = models.ForeignKey(
        DecisionLog, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    # The unique constraint's index leads with the challenger: it serves "this challenger's
    # scores" too, so the column has no index of its own (one index fewer to fill per row).
    challenger = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="challenger_scores", db_index=False, db_constraint=False
    )
    probability = models.FloatField(null=True, blank=True, help_text="Empty when the challenger's schema refused.")
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    risk_band = models.CharField(max_length=2, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=dict, blank=True, help_text="Field -> rule the challenger's schema refused.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["challenger", "decision_log"], name="one_challenger_score_per_decision")
        ]

    def __str__(self) -> str:
        outcome = self.decision or f"refused ({', '.join(self.errors)})"
        return f"{self.challenger}: {outcome}"
