"""The decision log: every scored application, and the outcomes observed later."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.ledger import digest_of
from governance.models import ModelVersion
from loanportal.audit import AppendOnlyModel
from loanportal.ids import uuid7


class Decision(models.TextChoices):
    APPROVE = "approve"
    DECLINE = "decline"


def decision_inputs_sha256(inputs: Any, features: bytes | memoryview | None) -> str:
    """The kept digest of what retention clears (the inputs and the encoded features):
    the sealed audit leaf commits to it, so the leaf still verifies once they are gone.
    Computed in Python as the row is built, so logging a decision costs no extra statement."""
    return digest_of({"inputs": inputs, "features": features})


class DecisionLog(AppendOnlyModel):
    """One scored application: what was asked, what the model answered, who asked and when.

    Written in the same transaction that produces the API response. Append-only: the only
    change ever made is retention clearing `inputs` and `features` (and stamping
    `inputs_removed_at`), which a PostgreSQL trigger enforces.

    `features` is the application encoded by the version's feature schema (float64,
    little-endian, one value per schema field in schema order; see `governance.ml.schema`).
    It is what drift monitoring reads: binning fixed-width vectors streamed out of the
    database takes well under a second per million rows, where extracting 28 keys from
    JSON takes several seconds.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)  # time-ordered: see loanportal.ids
    request_id = models.CharField(max_length=64)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Indexed by `decision_version_time`, which starts with this column.
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="decisions", db_index=False)
    inputs = models.JSONField(null=True, help_text="The validated application as received.")
    features = models.BinaryField(null=True, help_text="Encoded application vector for monitoring.")
    probability = models.FloatField(help_text="Probability of default.")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    risk_band = models.CharField(max_length=2)
    reason_codes = models.JSONField(default=list, blank=True)
    latency_ms = models.FloatField(help_text="Validation, scoring and logging time inside the portal.")
    created_at = models.DateTimeField(default=timezone.now)
    inputs_removed_at = models.DateTimeField(null=True, blank=True, help_text="When retention cleared the inputs.")
    demo = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Demo data: written, backdated, by the demo bootstrap (`predictions.demo`), never by the API.",
    )
    inputs_sha256 = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text="SHA-256 of the canonical inputs and features (decision_inputs_sha256), kept after retention.",
    )

    clearable_fields = ("inputs", "features", "inputs_removed_at")

    class Meta:
        ordering = ["-created_at"]
        # Every index is paid for on each logged decision; these serve the monitoring
        # windows (version, time), a client's own decisions, and lookups by request id.
        # A plain Index on request_id avoids the LIKE-pattern copy db_index adds on PostgreSQL.
        indexes = [
            models.Index(fields=["model_version", "created_at"], name="decision_version_time"),
            models.Index(fields=["request_id"], name="decision_request_id"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.inputs_sha256 is None and self.inputs is not None:
            self.inputs_sha256 = decision_inputs_sha256(self.inputs, self.features)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.decision} {self.probability:.3f} ({self.model_version})"


class Outcome(AppendOnlyModel):
    """The observed result of a decided application, recorded once. Append-only."""

    decision_log = models.OneToOneField(DecisionLog, on_delete=models.PROTECT, primary_key=True, related_name="outcome")
    defaulted = models.BooleanField()
    observed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{'defaulted' if self.defaulted else 'repaid'} ({self.decision_log_id})"


class RefusedApplication(AppendOnlyModel):
    """An application the scoring API refused with 400, counted without its values:
    when, who sent it, to which version, and per field the rule it broke
    (`predictions.validation.REFUSAL_RULES`). A refused batch adds one row per application
    that broke a rule, with its index in the batch; a body that is not a batch at all adds
    one row without an index. Append-only: it is the evidence data-quality monitoring
    (`monitoring.jobs.data_quality`) counts."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="refused_applications", db_index=False
    )
    request_id = models.CharField(max_length=64)
    batch_index = models.PositiveIntegerField(null=True, blank=True, help_text="Index in a refused batch.")
    rules = models.JSONField(help_text="Field (or body key) -> the rule it broke, e.g. out_of_range.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["model_version", "created_at"], name="refusal_version_time")]

    def __str__(self) -> str:
        return f"Refused for {', '.join(f'{k}: {v}' for k, v in self.rules.items())} ({self.model_version})"
