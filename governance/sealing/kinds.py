"""The record kinds the audit seals, each its own chain: one declaration per kind.

A declaration names the model, the fields of its canonical record (their order does not
matter: the canonical form sorts keys) and the fields that enter as digests (a large
JSON value enters as `"<field>_sha256": digest_of(value)`, so a proof stays small and
the value can still be checked against it). The field lists are explicit, not "every
field", because a record's bytes must never change: a column added to a model later must
not make its old leaves fail. Changing a list changes the leaves of records not sealed
yet only if done with a new kind name; never edit a list in place once records of that
kind have been sealed. Every other column of the model is named in `outside_record`.
A column added to a sealed model is sealed by a successor kind: the old kind names it in
`superseded_by` and seals nothing new (its chain is closed, and still verified).

`time_field` dates a record (a lookup path may cross a foreign key): a record that is in
no block although it is older than the newest block by more than
`AUDIT_UNSEALED_GRACE_SECONDS` is reported as forged; a younger one is just not sealed yet.

`sealable` limits a kind whose rows change until they reach a final state to the rows in
it (a retraining run is sealed once finished, when the database refuses any change).

`kept_digest` is for data retention clears: the record holds the kept digest column,
and `verify_audit` checks the data against it while it is there and counts the records
whose data retention cleared.

To add a kind: append one `Kind(...)` to `KINDS` (see docs/audit_ledger.md "Sealing in
the portal"). Nothing else changes: sealing, verifying, proofs and the admin read this
list.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from governance.ledger import RecordId, canonical_record, digest_of


@dataclass(frozen=True)
class KeptDigest:
    """A column holding `digest_of({data field: value, ...})`, kept when retention sets the
    data fields to NULL and stamps `cleared_at`."""

    column: str
    data_fields: tuple[str, ...]
    cleared_at: str


@dataclass(frozen=True)
class Kind:
    name: str
    model_label: str
    fields: tuple[str, ...]
    time_field: str
    digests: tuple[str, ...] = ()
    kept_digest: KeptDigest | None = None
    # Rows that may be sealed: a record whose row still changes (a retraining run until it
    # finishes) is sealed once it no longer can.
    sealable: Q | None = None
    # Columns of the model in no record of this kind, each for a reason given beside it:
    # a column entering by a digest column of its own, or one added to the model after
    # records of the kind were sealed, which cannot join the field lists without changing
    # those records' leaves (a successor kind seals it: `superseded_by`). Named, so that a
    # column added later is a decision: tests/governance/test_sealed_audit.py checks that
    # every column is in the record, kept by digest, or named here.
    outside_record: tuple[str, ...] = ()
    # A closed chain: the kind names its successor, a kind over the same model whose field
    # list has the columns added since. A closed kind seals nothing new; verify checks the
    # records it sealed (changed, deleted, out of order) and leaves the rest, forged ones
    # included, to the successor, which seals every row, these too.
    superseded_by: str | None = None
    record_fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "record_fields", self.fields + self.digests)

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @cached_property
    def uuid_ids(self) -> bool:
        pk = self.model._meta.pk
        # An Outcome's id is its decision's: the UUID of the field it points to.
        target = pk.target_field if isinstance(pk, models.ForeignKey) else pk
        return isinstance(target, models.UUIDField)

    def record_id(self, pk: Any) -> RecordId:
        """The id as the canonical record holds it: a UUID or an integer."""
        return pk if isinstance(pk, uuid.UUID | int) else (uuid.UUID(pk) if self.uuid_ids else int(pk))

    def id_from_text(self, text: str) -> RecordId:
        """The id from its database text form (AuditLeaf.record_id)."""
        return str(uuid.UUID(text)) if self.uuid_ids else int(text)

    def record(self, pk: Any, values: Iterable[Any]) -> bytes:
        """The canonical record of one row, from the values of `record_fields` in order."""
        values = list(values)
        fields = dict(zip(self.fields, values, strict=False))
        for name, value in zip(self.digests, values[len(self.fields) :], strict=True):
            fields[f"{name}_sha256"] = digest_of(value)
        return canonical_record(kind=self.name, record_id=self.record_id(pk), fields=fields)


_HISTORY = ("history_date", "history_change_reason", "history_type", "history_user_id")
# The retraining policy history's record as first sealed (retraining_policy_history):
# never edit it; its successor adds the columns since.
_RETRAINING_POLICY_FIELDS = (
    "id",
    "registered_model_id",
    "request_id",
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
    *_HISTORY,
)

KINDS: tuple[Kind, ...] = (
    Kind(
        name="decision",
        model_label="predictions.DecisionLog",
        fields=(
            "request_id",
            "client_id",
            "model_version_id",
            "inputs_sha256",
            "probability",
            "decision",
            "risk_band",
            "reason_codes",
            "latency_ms",
            "created_at",
        ),
        time_field="created_at",
        kept_digest=KeptDigest(
            column="inputs_sha256", data_fields=("inputs", "features"), cleared_at="inputs_removed_at"
        ),
        # The demo bootstrap's label (predictions.demo; the API never sets it), added after
        # this kind was sealed.
        outside_record=("demo",),
    ),
    Kind(
        name="outcome",
        model_label="predictions.Outcome",
        fields=("defaulted", "observed_at", "recorded_by_id", "recorded_at"),
        time_field="recorded_at",
    ),
    Kind(
        name="refused_application",
        model_label="predictions.RefusedApplication",
        fields=("client_id", "model_version_id", "request_id", "batch_index", "rules", "created_at"),
        time_field="created_at",
    ),
    Kind(
        name="transition",
        model_label="governance.Transition",
        fields=(
            "version_id",
            "action",
            "from_state",
            "to_state",
            "accepted",
            "actor_id",
            "actor_roles",
            "comment",
            "reason",
            "details",
            "request_id",
            "created_at",
        ),
        time_field="created_at",
    ),
    Kind(
        name="governance_event",
        model_label="governance.GovernanceEvent",
        fields=("kind", "actor_id", "registered_model_id", "summary", "details", "request_id", "created_at"),
        time_field="created_at",
    ),
    Kind(
        name="registered_model_history",
        model_label="governance.HistoricalRegisteredModel",
        fields=(
            "id",
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
            "created_at",
            *_HISTORY,
        ),
        time_field="history_date",
    ),
    Kind(
        name="model_version_history",
        model_label="governance.HistoricalModelVersion",
        fields=(
            "id",
            "registered_model_id",
            "version",
            "state",
            "artifact_path",
            "artifact_sha256",
            "artifact_size",
            "threshold",
            "parent_version_id",
            "shadow_since",
            "created_by_id",
            "created_at",
            *_HISTORY,
        ),
        digests=(
            "library_versions",
            "feature_schema",
            "training_data",
            "metrics",
            "baseline",
            "fairness",
            "findings",
            "experiment",
            "calibration",
            "waivers",
        ),
        time_field="history_date",
    ),
    Kind(
        name="monitoring_policy_history",
        model_label="monitoring.HistoricalMonitoringPolicy",
        fields=(
            "id",
            "registered_model_id",
            "request_id",
            "psi_watch",
            "psi_act",
            "min_window_size",
            "chi_square_alpha",
            "adverse_impact_floor",
            "equalized_odds_gap_bound",
            "auc_drop_tolerance",
            "calibration_error_bound",
            "cohort_period",
            "min_cohort_outcomes",
            "recalibrate_for_estimation",
            "data_quality_share_bound",
            "data_quality_alpha",
            "challenger_max_age_days",
            "challenger_min_outcomes",
            "challenger_auc_tolerance",
            *_HISTORY,
        ),
        time_field="history_date",
    ),
    Kind(
        name="incident_history",
        model_label="monitoring.HistoricalIncident",
        fields=(
            "id",
            "request_id",
            "kind",
            "subject",
            "severity",
            "dedup_key",
            "status",
            "summary",
            "metric_snapshot",
            "worst_value",
            "occurrences",
            "first_seen",
            "last_seen",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
            "model_version_id",
            "last_run_id",
            "owner_id",
            "resolved_by_id",
            *_HISTORY,
        ),
        time_field="history_date",
    ),
    Kind(
        name="drift_result",
        model_label="monitoring.DriftResult",
        fields=("run_id", "subject", "psi", "band", "chi_square", "p_value", "significant"),
        digests=("bins", "baseline_counts", "current_counts", "baseline_shares", "current_shares"),
        time_field="run__finished_at",
    ),
    Kind(
        name="fairness_result",
        model_label="monitoring.FairnessResult",
        fields=(
            "run_id",
            "attribute",
            "reference_group",
            "min_adverse_impact_ratio",
            "demographic_parity_difference",
            "equal_opportunity_gap",
            "equalized_odds_gap",
            "passes_four_fifths",
        ),
        digests=("groups",),
        time_field="run__finished_at",
    ),
    Kind(
        name="performance_cohort",
        model_label="monitoring.PerformanceCohort",
        fields=(
            "run_id",
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
        ),
        time_field="run__finished_at",
    ),
    Kind(
        name="estimated_performance",
        model_label="monitoring.EstimatedPerformance",
        fields=(
            "run_id",
            "decisions",
            "threshold",
            "recalibrated",
            "confidence",
            "expected_default_rate",
            "expected_roc_auc",
            "validation_auc",
            "metrics",
            "confusion_matrix",
        ),
        time_field="run__finished_at",
    ),
    Kind(
        name="data_quality_result",
        model_label="monitoring.DataQualityResult",
        fields=(
            "run_id",
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
        ),
        time_field="run__finished_at",
    ),
    Kind(
        name="estimation_backtest",
        model_label="monitoring.EstimationBacktest",
        fields=(
            "run_id",
            "cohort_start",
            "period",
            "outcomes",
            "estimated_roc_auc",
            "realized_roc_auc",
            "roc_auc_error",
            "estimated_default_rate",
            "realized_default_rate",
            "default_rate_error",
        ),
        time_field="run__finished_at",
    ),
    Kind(
        name="challenger_score",
        model_label="monitoring.ChallengerScore",
        fields=(
            "decision_log_id",
            "challenger_id",
            "probability",
            "decision",
            "risk_band",
            "reason_codes",
            "errors",
            "created_at",
        ),
        time_field="created_at",
    ),
    Kind(
        name="comparison",
        model_label="monitoring.Comparison",
        fields=(
            "champion_id",
            "challenger_id",
            "period_start",
            "period_end",
            "trigger",
            "requested_by_id",
            "request_id",
            "n_decisions",
            "n_outcomes",
            "auc_difference_ci_low",
            "min_adverse_impact_ratio_challenger",
            "created_at",
        ),
        digests=("result",),
        time_field="created_at",
    ),
    Kind(
        name="retraining_run",
        model_label="governance.RetrainingRun",
        fields=(
            "registered_model_id",
            "parent_version_id",
            "trigger",
            "reason",
            "state",
            "requested_by_id",
            "request_id",
            "data_file",
            "failure",
            "candidate_id",
            "created_at",
            "started_at",
            "finished_at",
        ),
        digests=("evidence", "data_summary", "leaderboard", "comparison"),
        time_field="finished_at",
        sealable=Q(finished_at__isnull=False),
    ),
    Kind(
        name="retraining_policy_history",
        model_label="governance.HistoricalRetrainingPolicy",
        fields=_RETRAINING_POLICY_FIELDS,
        time_field="history_date",
        # Added with the hyperparameter search's row cap, after this kind was sealed: the
        # successor seals it.
        outside_record=("search_rows",),
        superseded_by="retraining_policy_history_v2",
    ),
    Kind(
        name="retraining_policy_history_v2",
        model_label="governance.HistoricalRetrainingPolicy",
        fields=(*_RETRAINING_POLICY_FIELDS, "search_rows"),
        time_field="history_date",
    ),
    Kind(
        name="review_policy_history",
        model_label="governance.HistoricalReviewPolicy",
        fields=("id", "risk_tier", "months", *_HISTORY),
        time_field="history_date",
    ),
    Kind(
        name="periodic_review",
        model_label="governance.PeriodicReview",
        fields=(
            "registered_model_id",
            "version_id",
            "reviewer_id",
            "reviewer_roles",
            "outcome",
            "comment",
            "findings",
            "request_id",
            "created_at",
        ),
        time_field="created_at",
    ),
    Kind(
        name="report",
        model_label="governance.Report",
        # The PDF enters by its SHA-256 column, which the download is checked against.
        fields=(
            "registered_model_id",
            "version_id",
            "kind",
            "month",
            "sha256",
            "size",
            "generated_by_id",
            "request_id",
            "generated_at",
        ),
        digests=("data",),
        time_field="generated_at",
        outside_record=("content",),  # the PDF, by its SHA-256 column
    ),
)

KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_for_model(model: type[models.Model]) -> Kind | None:
    """The kind that seals the model's new rows (not a closed one)."""
    return next((kind for kind in KINDS if kind.model is model and kind.superseded_by is None), None)
