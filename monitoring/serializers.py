"""Shapes of the monitoring API (and of the job commands' JSON output)."""

from typing import Any, cast

from rest_framework import serializers

from loanportal.serializer_fields import StrictCharField, StrictIntegerField, StrictSlugField

from .models import (
    Comparison,
    DataQualityResult,
    DriftResult,
    EstimatedPerformance,
    EstimationBacktest,
    FairnessResult,
    Incident,
    IncidentKind,
    IncidentStatus,
    JobKind,
    MonitoringRun,
    PerformanceCohort,
    Severity,
)


class DriftResultSerializer(serializers.ModelSerializer):
    feature = serializers.CharField(source="subject")

    class Meta:
        model = DriftResult
        fields = (
            "feature",
            "psi",
            "band",
            "chi_square",
            "p_value",
            "significant",
            "bins",
            "baseline_counts",
            "current_counts",
            "baseline_shares",
            "current_shares",
        )


class FairnessResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = FairnessResult
        fields = (
            "attribute",
            "reference_group",
            "min_adverse_impact_ratio",
            "demographic_parity_difference",
            "equal_opportunity_gap",
            "equalized_odds_gap",
            "passes_four_fifths",
            "groups",
        )


class PerformanceCohortSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceCohort
        fields = (
            "cohort_start",
            "period",
            "outcomes",
            "defaults",
            "roc_auc",
            "ks",
            "brier",
            "default_rate",
            "mean_probability",
            "calibration_error",
            "judged",
        )


class EstimatedPerformanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = EstimatedPerformance
        fields = (
            "decisions",
            "threshold",
            "recalibrated",
            "confidence",
            "expected_default_rate",
            "expected_roc_auc",
            "validation_auc",
            "metrics",
            "confusion_matrix",
        )


class EstimationBacktestSerializer(serializers.ModelSerializer):
    class Meta:
        model = EstimationBacktest
        fields = (
            "cohort_start",
            "period",
            "outcomes",
            "estimated_roc_auc",
            "realized_roc_auc",
            "roc_auc_error",
            "estimated_default_rate",
            "realized_default_rate",
            "default_rate_error",
        )


class DataQualityResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataQualityResult
        fields = (
            "field",
            "accepted",
            "refused",
            "refusals_by_rule",
            "refusal_share",
            "missing_share",
            "baseline_missing_share",
            "out_of_range_share",
            "unseen_category_share",
            "checks",
            "breached",
        )


class RunSerializer(serializers.ModelSerializer):
    """A run without its per-feature / per-group / per-cohort rows (history lists)."""

    model = serializers.CharField(source="model_version.registered_model.name")
    version = serializers.IntegerField(source="model_version.version")
    version_id = serializers.IntegerField(source="model_version_id")

    class Meta:
        model = MonitoringRun
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "model",
            "version",
            "version_id",
            "window_start",
            "window_end",
            "status",
            "trigger",
            "rows",
            "summary",
            "error",
            "started_at",
            "finished_at",
        )


class RunDetailSerializer(RunSerializer):
    """A run with its result rows: what `latest` and the commands show. An
    estimated-performance run's results are its estimate (none when the run was not
    estimable or had too few decisions); `backtest` holds its matured cohorts, and is
    empty for the other kinds."""

    results = serializers.SerializerMethodField()
    backtest = EstimationBacktestSerializer(source="estimation_backtest", many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = (*RunSerializer.Meta.fields, "results", "backtest")

    def get_results(self, run: MonitoringRun) -> list[dict[str, Any]]:
        rows: serializers.BaseSerializer
        if run.kind == JobKind.DRIFT:
            rows = DriftResultSerializer(run.drift_results.all(), many=True)
        elif run.kind == JobKind.FAIRNESS:
            rows = FairnessResultSerializer(run.fairness_results.all(), many=True)
        elif run.kind == JobKind.DATA_QUALITY:
            rows = DataQualityResultSerializer(run.data_quality_results.all(), many=True)
        elif run.kind == JobKind.ESTIMATED_PERFORMANCE:
            rows = EstimatedPerformanceSerializer(EstimatedPerformance.objects.filter(run=run), many=True)
        else:
            rows = PerformanceCohortSerializer(run.performance_cohorts.all(), many=True)
        return cast(list[dict[str, Any]], rows.data)


class DriftRunRequestSerializer(serializers.Serializer):
    model = StrictSlugField(required=False, help_text="Registered model name (default: the portal's default).")
    window_hours = StrictIntegerField(min_value=1, max_value=24 * 31, default=1)
    window_end = serializers.DateTimeField(
        required=False, help_text="On the hour, with a time zone; default: the start of the current hour."
    )


class IncidentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_version.registered_model.name", default=None, allow_null=True)
    version = serializers.IntegerField(source="model_version.version", default=None, allow_null=True)
    owner = serializers.CharField(source="owner.get_username", default=None, allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.get_username", default=None, allow_null=True)

    class Meta:
        model = Incident
        fields = (
            "id",
            "kind",
            "subject",
            "severity",
            "status",
            "model",
            "version",
            "model_version",
            "summary",
            "metric_snapshot",
            "worst_value",
            "occurrences",
            "first_seen",
            "last_seen",
            "owner",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
            "resolution_note",
        )


class IncidentFilterSerializer(serializers.Serializer):
    """The incident list's query parameters: an unknown status, severity or kind is a
    mistake to report, not a filter that quietly matches nothing."""

    status = serializers.ChoiceField(IncidentStatus.choices, required=False)
    severity = serializers.ChoiceField(Severity.choices, required=False)
    kind = serializers.ChoiceField(IncidentKind.choices, required=False)
    model = serializers.CharField(required=False, help_text="Registered model name.")


class IncidentActionSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)


class ComparisonRunRequestSerializer(serializers.Serializer):
    model = StrictSlugField(help_text="Registered model name.")
    challenger = StrictIntegerField(min_value=1, help_text="Id of the challenger model version.")
    start = serializers.DateTimeField(required=False, help_text="Start of the period (default: 24 months before 'to').")
    end = serializers.DateTimeField(required=False, help_text="End of the period (default: now).")

    def get_fields(self) -> dict[str, serializers.Field]:
        # The request's keys are `from` and `to`; `from` cannot be a Python attribute name.
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        fields["to"] = fields.pop("end")
        return fields


class ComparisonSerializer(serializers.ModelSerializer):
    champion_version = serializers.IntegerField(source="champion.version")
    challenger_version = serializers.IntegerField(source="challenger.version")

    class Meta:
        model = Comparison
        fields = (
            "id",
            "champion",
            "champion_version",
            "challenger",
            "challenger_version",
            "period_start",
            "period_end",
            "trigger",
            "created_at",
            "result",
        )
