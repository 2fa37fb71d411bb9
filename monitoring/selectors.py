"""Reads for the monitoring jobs, pages, admin, metrics and API.

The drift job reads up to millions of encoded application vectors per window. It never
builds a Python object per row: on PostgreSQL it streams `COPY ... TO STDOUT (FORMAT
binary)` and parses whole blocks of fixed-width rows with numpy; elsewhere (SQLite) it
reads `values_list` in chunks and joins the byte strings. Both hand the same chunks to
the caller.
"""

import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, TypedDict, cast

import numpy as np
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django_celery_beat.models import PeriodicTask
from psycopg2 import sql

from governance.models import ModelVersion, RegisteredModel, VersionState
from predictions.models import Decision, DecisionLog, Outcome, RefusedApplication

from .models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    Comparison,
    DataQualityResult,
    DriftResult,
    EstimatedPerformance,
    EstimationBacktest,
    FairnessResult,
    Incident,
    IncidentStatus,
    JobKind,
    MonitoredVersion,
    MonitoringPolicy,
    MonitoringRun,
    PerformanceCohort,
    RunStatus,
)
from .windows import Window

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CHUNK_ROWS = 65_536
VectorConsumer = Callable[[np.ndarray, np.ndarray], None]


# --- Versions and runs -----------------------------------------------------------


SCHEDULE_TASK = "monitoring.runs_schedule"


def scheduled_window_hours(*, kind: str) -> int | None:
    """The `window_hours` of the enabled beat schedule rows (`monitoring.runs_schedule`) of
    job `kind`, as an admin may have changed them; the shortest when there are several, None
    when there is none."""
    hours = []
    for kwargs in PeriodicTask.objects.filter(task=SCHEDULE_TASK, enabled=True).values_list("kwargs", flat=True):
        try:
            parsed = json.loads(kwargs or "{}")
        except ValueError:
            continue  # a row the admin broke: beat cannot run it either
        if isinstance(parsed, dict) and parsed.get("kind") == kind and isinstance(parsed.get("window_hours"), int):
            hours.append(parsed["window_hours"])
    return min(hours, default=None)


def monitoring_policy(*, registered_model: RegisteredModel) -> MonitoringPolicy:
    """The model's policy, or (unsaved) the defaults it will get when a job first runs."""
    return MonitoringPolicy.objects.filter(registered_model=registered_model).first() or MonitoringPolicy(
        registered_model=registered_model
    )


def versions_to_monitor(*, registered_model: RegisteredModel, window: Window) -> list[ModelVersion]:
    """The model's production version, and every other version that decided applications
    in the window (the one it replaced on the day of a promotion, a rolled-back one)."""
    decided = DecisionLog.objects.filter(
        model_version=OuterRef("pk"), created_at__gte=window.start, created_at__lt=window.end
    )
    return list(
        ModelVersion.objects.select_related("registered_model")
        .filter(registered_model=registered_model)
        .filter(Q(state=VersionState.PRODUCTION) | Exists(decided))
        .order_by("version")
    )


def runs_unfinished(*, kind: str, since: datetime) -> QuerySet[MonitoringRun]:
    """Runs of recent windows that were queued but never finished (a lost message, a
    worker killed at its hard time limit). Failed runs are not here: they opened a job
    failure incident and are re-run by a person."""
    return MonitoringRun.objects.filter(
        kind=kind, created_at__gte=since, status__in=[RunStatus.PENDING, RunStatus.RUNNING]
    )


def runs_for_model(*, kind: str, model_name: str, version_number: int | None = None) -> QuerySet[MonitoringRun]:
    runs = MonitoringRun.objects.select_related("model_version__registered_model").filter(
        kind=kind, model_version__registered_model__name=model_name
    )
    if version_number is not None:
        runs = runs.filter(model_version__version=version_number)
    return runs.order_by("-window_end", "-id")


def runs_for_version(*, version: ModelVersion, kind: JobKind, limit: int) -> list[MonitoringRun]:
    """The latest `limit` finished runs of one kind, oldest first (for charts)."""
    runs = MonitoringRun.objects.filter(model_version=version, kind=kind, status__in=FINISHED_STATUSES)
    return list(reversed(runs.order_by("-window_end", "-id")[:limit]))


def run_get(*, run_id: int) -> MonitoringRun | None:
    return MonitoringRun.objects.select_related("model_version__registered_model").filter(pk=run_id).first()


def run_latest(*, version: ModelVersion, kind: JobKind, statuses: tuple[str, ...]) -> MonitoringRun | None:
    """The version's run of `kind` with the latest window among those in `statuses`."""
    return (
        MonitoringRun.objects.filter(model_version=version, kind=kind, status__in=statuses)
        .order_by("-window_end")
        .first()
    )


class MonitoringSummary(TypedDict):
    active_incidents: int
    latest_drift: datetime | None


if TYPE_CHECKING:
    # A monitored version as `monitored_versions` annotates it.
    MonitoredVersionRow = WithAnnotations[MonitoredVersion, MonitoringSummary]


def monitored_versions() -> "QuerySet[MonitoredVersionRow]":
    """Every model version with its count of active incidents and its latest drift window end."""
    active = (
        Incident.objects.filter(model_version=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .order_by()
        .values("model_version")
        .annotate(n=Count("id"))
    )
    drift = MonitoringRun.objects.filter(model_version=OuterRef("pk"), kind=JobKind.DRIFT)
    return MonitoredVersion.objects.select_related("registered_model").annotate(
        active_incidents=Coalesce(Subquery(active.values("n")), 0),
        latest_drift=Subquery(drift.order_by("-window_end").values("window_end")[:1]),
    )


# --- Results ---------------------------------------------------------------------


def drift_psi(*, runs: list[MonitoringRun]) -> QuerySet[DriftResult, tuple[int, str, float, str]]:
    """(run id, subject, PSI, band) of every drift result of `runs`."""
    return DriftResult.objects.filter(run__in=runs).values_list("run_id", "subject", "psi", "band")


def drift_result(*, run: MonitoringRun, subject: str) -> DriftResult:
    return DriftResult.objects.get(run=run, subject=subject)


def fairness_results(*, runs: list[MonitoringRun]) -> QuerySet[FairnessResult]:
    return FairnessResult.objects.filter(run__in=runs)


def performance_cohorts(*, run: MonitoringRun) -> QuerySet[PerformanceCohort]:
    return PerformanceCohort.objects.filter(run=run)


def estimated_performance(*, runs: list[MonitoringRun]) -> QuerySet[EstimatedPerformance]:
    return EstimatedPerformance.objects.filter(run__in=runs)


def estimation_backtest(*, run: MonitoringRun) -> QuerySet[EstimationBacktest]:
    return EstimationBacktest.objects.filter(run=run)


def data_quality_results(*, run: MonitoringRun) -> QuerySet[DataQualityResult]:
    return DataQualityResult.objects.filter(run=run)


# --- Challenger comparisons -----------------------------------------------------


def comparisons_of_model(*, model_name: str, challenger_id: int | None = None) -> QuerySet[Comparison]:
    """A model's comparisons, newest first; only those of one challenger when given."""
    comparisons = Comparison.objects.select_related("champion", "challenger").filter(
        champion__registered_model__name=model_name
    )
    if challenger_id is not None:
        comparisons = comparisons.filter(challenger_id=challenger_id)
    return comparisons.order_by("-created_at", "-id")


def comparison_latest(*, challenger: ModelVersion) -> Comparison | None:
    return (
        Comparison.objects.select_related("champion", "challenger")
        .filter(challenger=challenger)
        .order_by("-created_at", "-id")
        .first()
    )


def comparisons_of_version(*, version: ModelVersion, limit: int = 20) -> list[Comparison]:
    """The latest comparisons the version took part in, as champion or challenger."""
    comparisons = Comparison.objects.select_related("champion", "challenger").filter(
        Q(champion=version) | Q(challenger=version)
    )
    return list(comparisons.order_by("-created_at", "-id")[:limit])


# --- Incidents -------------------------------------------------------------------


def incidents_active() -> QuerySet[Incident]:
    return Incident.objects.filter(status__in=ACTIVE_STATUSES)


def incident_counts_active() -> Iterable[Mapping[str, Any]]:
    """Active incidents counted by model name, kind and severity (`n`)."""
    return (
        incidents_active()
        .order_by()
        .values("model_version__registered_model__name", "kind", "severity")
        .annotate(n=Count("id"))
    )


def incident_list(
    *, status: str | None = None, severity: str | None = None, kind: str | None = None, model: str | None = None
) -> QuerySet[Incident]:
    """Incidents, most recently seen first, with the people on them; each given filter applies."""
    incidents = incidents_with_people()
    filters = {"status": status, "severity": severity, "kind": kind, "model_version__registered_model__name": model}
    return incidents.filter(**{lookup: value for lookup, value in filters.items() if value is not None}).order_by(
        "-last_seen", "-id"
    )


def incidents_with_people() -> QuerySet[Incident]:
    """Incidents with their model version and the people who own and resolved them."""
    return Incident.objects.select_related("model_version__registered_model", "owner", "resolved_by")


def incidents_of_version(*, version: ModelVersion, limit: int) -> QuerySet[Incident]:
    """The version's latest `limit` incidents, most recently seen first."""
    return Incident.objects.filter(model_version=version).select_related("owner").order_by("-last_seen")[:limit]


def incident_resolved_latest(*, version: ModelVersion, kind: str, subject: str) -> Incident | None:
    """The most recently resolved incident of the version on `kind` and `subject`."""
    return (
        Incident.objects.filter(dedup_key=Incident.key(version.pk, kind, subject), status=IncidentStatus.RESOLVED)
        .order_by("-resolved_at")
        .first()
    )


# --- Decision vectors for drift ----------------------------------------------------


def _window(version: ModelVersion, window: Window) -> QuerySet[DecisionLog]:
    return DecisionLog.objects.filter(
        model_version=version, created_at__gte=window.start, created_at__lt=window.end
    ).order_by()


def decision_vectors(
    *,
    version: ModelVersion,
    window: Window,
    consume: VectorConsumer,
    use_copy: bool | None = None,
) -> None:
    """Hand every encoded application of the window and its score to `consume`, in chunks
    of `(features[n, fields], probability[n])`. Rows whose inputs retention removed are
    not in it. `use_copy` defaults to COPY on PostgreSQL."""
    n_fields = len(version.feature_schema["fields"])
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if use_copy:
        _copy_vectors(version, window, n_fields, consume)
    else:
        _orm_vectors(version, window, n_fields, consume)


def _orm_vectors(version: ModelVersion, window: Window, n_fields: int, consume: VectorConsumer) -> None:
    rows = _window(version, window).filter(features__isnull=False).values_list("features", "probability")
    features: list[bytes | memoryview] = []
    scores: list[float] = []

    def flush() -> None:
        matrix = np.frombuffer(b"".join(features), dtype="<f8")
        if matrix.size != len(scores) * n_fields:
            raise ValueError(f"{version}: a decision-log vector does not have {n_fields} encoded fields")
        consume(matrix.reshape(len(scores), n_fields), np.asarray(scores, dtype=np.float64))
        features.clear()
        scores.clear()

    for vector, probability in rows.iterator(chunk_size=CHUNK_ROWS):
        features.append(cast("bytes | memoryview", vector))  # NULL vectors are filtered out above
        scores.append(probability)
        if len(scores) == CHUNK_ROWS:
            flush()
    if scores:
        flush()


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_TRAILER = b"\xff\xff"


class _BinaryCopyRows(io.RawIOBase):
    """Parses PostgreSQL's binary COPY format, block by block, for `copy_expert`.

    Format: 11-byte signature, int32 flags, int32 header-extension length and the
    extension; per row an int16 field count, then per field an int32 length (-1 for NULL)
    and the bytes, all big-endian; an int16 -1 trailer. Every row here is
    (features bytea of n_fields float64 little-endian, probability float8), so rows have
    one width and a block of them is one numpy structured array.

    psycopg2 writes once per row. Behind an `io.BufferedWriter` those writes are copies
    into its buffer in C, and this object sees one block of `CHUNK_ROWS` rows at a time:
    no Python call per row, and memory bounded by the block.

    Further fixed-width columns (`extra`: name -> big-endian dtype, e.g. a boolean as ">i1")
    may follow; `consume` then gets them as arrays after the probability.
    """

    def __init__(
        self, n_fields: int, consume: Callable[..., None], label: str, extra: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__()
        self.consume = consume
        self.label = label
        self.n_fields = n_fields
        self.extra = [name for name, _ in extra]
        self.row = np.dtype(
            [
                ("field_count", ">i2"),
                ("features_length", ">i4"),
                ("features", "<f8", (n_fields,)),
                ("probability_length", ">i4"),
                ("probability", ">f8"),
                *((part, dtype) for name, kind in extra for part, dtype in ((f"{name}_length", ">i4"), (name, kind))),
            ]
        )
        self.lengths = [8, *(np.dtype(kind).itemsize for _, kind in extra)]
        self.pending = b""
        self.header_done = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parse(self.pending + bytes(data))
        return len(data)

    def _parse(self, block: bytes) -> None:
        offset = 0
        if not self.header_done:
            if len(block) < 19:
                self.pending = block
                return
            if not block.startswith(_COPY_SIGNATURE):
                raise ValueError("not a binary COPY stream")
            offset = 19 + int.from_bytes(block[15:19], "big")
            self.header_done = True
        n_rows = (len(block) - offset) // self.row.itemsize
        if n_rows:
            rows = np.frombuffer(block, dtype=self.row, count=n_rows, offset=offset)
            lengths = zip(["probability", *self.extra], self.lengths, strict=True)
            if (
                (rows["field_count"] != 2 + len(self.extra)).any()
                or (rows["features_length"] != 8 * self.n_fields).any()
                or any((rows[f"{name}_length"] != length).any() for name, length in lengths)
            ):
                raise ValueError(f"{self.label}: a decision-log vector does not have {self.n_fields} encoded fields")
            self.consume(
                rows["features"], rows["probability"].astype(np.float64), *(rows[name].copy() for name in self.extra)
            )
        self.pending = block[offset + n_rows * self.row.itemsize :]

    def finish(self) -> None:
        # The trailer is two bytes, fewer than a row: at the end it is all that is left.
        if self.pending != _COPY_TRAILER:
            raise ValueError(f"{self.label}: truncated binary COPY stream")


def _copy_vectors(version: ModelVersion, window: Window, n_fields: int, consume: VectorConsumer) -> None:
    rows = _BinaryCopyRows(n_fields, consume, str(version))
    target = io.BufferedWriter(rows, buffer_size=CHUNK_ROWS * rows.row.itemsize)
    select = sql.SQL(
        "SELECT features, probability FROM {table} WHERE model_version_id = %s AND created_at >= %s "
        "AND created_at < %s AND features IS NOT NULL"
    ).format(table=sql.Identifier(DecisionLog._meta.db_table))
    with connection.cursor() as cursor:
        # COPY takes no parameters: bind them into the query text first (mogrify quotes them).
        query = cursor.cursor.mogrify(select, [version.pk, window.start, window.end]).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", target)
    target.flush()
    rows.finish()


# --- Decisions answered by a shadow version -------------------------------------------

IdVectorConsumer = Callable[[list[str], np.ndarray], None]


def decision_id_vectors(
    *, decisions: QuerySet[DecisionLog], n_fields: int, consume: IdVectorConsumer, label: str
) -> None:
    """Hand the encoded applications of `decisions` (one deciding version's, none with
    removed inputs) to `consume` in chunks of `(ids, features[n, n_fields])`, each id as
    32 hex digits. On PostgreSQL one binary COPY of the query, as `decision_vectors`."""
    if connection.vendor != "postgresql":
        values = decisions.values_list("id", "features").iterator(chunk_size=CHUNK_ROWS)
        while chunk := list(islice(values, CHUNK_ROWS)):
            matrix = np.frombuffer(b"".join(cast("bytes", row[1]) for row in chunk), dtype="<f8")
            if matrix.size != len(chunk) * n_fields:
                raise ValueError(f"{label}: a decision-log vector does not have {n_fields} encoded fields")
            consume([row[0].hex for row in chunk], matrix.reshape(len(chunk), n_fields))
        return

    def unpack(features: np.ndarray, probability: np.ndarray, ids: np.ndarray) -> None:
        consume([value.hex() for value in ids.tolist()], features)

    # The probability is the deciding version's: read only because the row layout has it.
    rows = _BinaryCopyRows(n_fields, unpack, label, extra=[("id", "V16")])
    target = io.BufferedWriter(rows, buffer_size=CHUNK_ROWS * rows.row.itemsize)
    select, params = decisions.values_list("features", "probability", "id").query.sql_with_params()
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(select, params).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", target)
    target.flush()
    rows.finish()


# --- Decisions replayed for a challenger ---------------------------------------------

ReplayConsumer = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
NO_OUTCOME = -1
# PostgreSQL's binary timestamptz: microseconds since 2000-01-01 UTC.
_POSTGRES_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def decision_replay_vectors(
    *, version: ModelVersion, window: Window, consume: ReplayConsumer, use_copy: bool | None = None
) -> None:
    """Like `decision_vectors`, with each decision's verdict, outcome and month: `consume`
    gets chunks of `(features, probability, approved (bool), defaulted (int8: 1, 0, or
    NO_OUTCOME), month (datetime64[M], the calendar month in UTC the decision was made))`.
    Decisions whose inputs retention removed are not in it (`decisions_inputs_removed`)."""
    n_fields = len(version.feature_schema["fields"])
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if not use_copy:
        _orm_replay_vectors(version, window, n_fields, consume)
        return

    def unpack(
        features: np.ndarray, probability: np.ndarray, approved: np.ndarray, defaulted: np.ndarray, created: np.ndarray
    ) -> None:
        month = (_POSTGRES_EPOCH + created.astype(np.int64).astype("timedelta64[us]")).astype("datetime64[M]")
        consume(features, probability, approved.astype(bool), defaulted.astype(np.int8), month)

    extra = [("approved", "|i1"), ("defaulted", ">i2"), ("created", ">i8")]
    rows = _BinaryCopyRows(n_fields, unpack, str(version), extra=extra)
    target = io.BufferedWriter(rows, buffer_size=CHUNK_ROWS * rows.row.itemsize)
    select = sql.SQL(
        "SELECT d.features, d.probability, d.decision = %s, COALESCE(o.defaulted::int, %s)::int2, d.created_at "
        "FROM {decisions} d LEFT JOIN {outcomes} o ON o.decision_log_id = d.id "
        "WHERE d.model_version_id = %s AND d.created_at >= %s AND d.created_at < %s AND d.features IS NOT NULL"
    ).format(decisions=sql.Identifier(DecisionLog._meta.db_table), outcomes=sql.Identifier(Outcome._meta.db_table))
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(
            select, [Decision.APPROVE.value, NO_OUTCOME, version.pk, window.start, window.end]
        ).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", target)
    target.flush()
    rows.finish()


def _orm_replay_vectors(version: ModelVersion, window: Window, n_fields: int, consume: ReplayConsumer) -> None:
    rows = (
        _window(version, window)
        .filter(features__isnull=False)
        .values_list("features", "probability", "decision", "outcome__defaulted", "created_at")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    while chunk := list(islice(rows, CHUNK_ROWS)):
        matrix = np.frombuffer(b"".join(cast("bytes", row[0]) for row in chunk), dtype="<f8")
        if matrix.size != len(chunk) * n_fields:
            raise ValueError(f"{version}: a decision-log vector does not have {n_fields} encoded fields")
        consume(
            matrix.reshape(len(chunk), n_fields),
            np.array([row[1] for row in chunk], dtype=np.float64),
            np.array([row[2] == Decision.APPROVE for row in chunk], dtype=bool),
            np.array([NO_OUTCOME if row[3] is None else int(row[3]) for row in chunk], dtype=np.int8),
            np.array([row[4].astimezone(UTC).replace(tzinfo=None) for row in chunk], dtype="datetime64[M]"),
        )


def decisions_inputs_removed(*, version: ModelVersion, window: Window) -> int:
    """Decisions of the version in the window whose inputs retention has removed."""
    return _window(version, window).filter(features__isnull=True).count()


# --- Predicted probabilities for estimation ------------------------------------------

_PROBABILITY_ROW = np.dtype([("field_count", ">i2"), ("length", ">i4"), ("probability", ">f8")])


def decision_probabilities(*, version: ModelVersion, window: Window, use_copy: bool | None = None) -> np.ndarray:
    """The predicted probability of default of every decision of the version in the window
    (retention keeps it when it removes the inputs). On PostgreSQL one binary COPY parsed
    by numpy (14 bytes a row), elsewhere `values_list` in chunks."""
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if not use_copy:
        values = _window(version, window).values_list("probability", flat=True).iterator(chunk_size=CHUNK_ROWS)
        return np.fromiter(values, dtype=np.float64)
    select = sql.SQL(
        "SELECT probability FROM {table} WHERE model_version_id = %s AND created_at >= %s AND created_at < %s"
    ).format(table=sql.Identifier(DecisionLog._meta.db_table))
    stream = io.BytesIO()
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(select, [version.pk, window.start, window.end]).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", stream)
    data = stream.getbuffer()
    offset = 19 + int.from_bytes(data[15:19], "big")
    body = data[offset : len(data) - len(_COPY_TRAILER)]
    if not data[:11] == _COPY_SIGNATURE or len(body) % _PROBABILITY_ROW.itemsize:
        raise ValueError(f"{version}: unexpected binary COPY stream of probabilities")
    rows = np.frombuffer(body, dtype=_PROBABILITY_ROW)
    return rows["probability"].astype(np.float64)


# --- Refused applications and examples for data quality -------------------------------

EXAMPLES = 5


def refusal_rules_in_window(*, version: ModelVersion, window: Window) -> list[dict[str, str]]:
    """Field -> rule of every application refused for the version in the window."""
    refused = RefusedApplication.objects.filter(
        model_version=version, created_at__gte=window.start, created_at__lt=window.end
    ).order_by()
    return list(refused.values_list("rules", flat=True).iterator(chunk_size=CHUNK_ROWS))


def decision_examples(
    *, version: ModelVersion, window: Window, field: str, low: float | None = None, high: float | None = None
) -> list[str]:
    """Ids of a few accepted decisions of the window whose `field` was missing (no bounds
    given) or outside [low, high]."""
    if low is None or high is None:
        condition = Q(**{f"inputs__{field}": None})
    else:
        condition = Q(**{f"inputs__{field}__lt": low}) | Q(**{f"inputs__{field}__gt": high})
    decisions = _window(version, window).filter(inputs__has_key=field).filter(condition)
    return [str(pk) for pk in decisions.values_list("pk", flat=True)[:EXAMPLES]]


# --- Decisions for fairness and performance -------------------------------------------


@dataclass(frozen=True)
class ProtectedDecisions:
    """The decisions of a window whose inputs are still held, as arrays: each protected
    attribute's value (object arrays, None when missing), approved, probability, outcome
    (NaN until one is recorded); and how many decisions retention had already stripped."""

    groups: dict[str, np.ndarray]
    approved: np.ndarray
    probability: np.ndarray
    defaulted: np.ndarray
    inputs_removed: int


def decision_protected_attributes(
    *, version: ModelVersion, window: Window, attributes: list[str]
) -> ProtectedDecisions:
    """Read in chunks with `values_list`, never one ORM object per row; attribute values
    are kept as small integer codes until the end, so memory is a few bytes per decision."""
    decisions = _window(version, window)
    removed = decisions.filter(inputs__isnull=True).count()
    names = {f"protected_{i}": KT(f"inputs__{attribute}") for i, attribute in enumerate(attributes)}
    rows = (
        decisions.filter(inputs__isnull=False)
        .annotate(**names)
        .values_list(*names, "decision", "probability", "outcome__defaulted")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    labels: list[dict[Any, int]] = [{} for _ in attributes]
    blocks = [(np.zeros((0, len(attributes)), dtype=np.int32), np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0))]
    while chunk := list(islice(rows, CHUNK_ROWS)):
        codes = np.array(
            [[labels[k].setdefault(row[k], len(labels[k])) for k in range(len(attributes))] for row in chunk],
            dtype=np.int32,
        ).reshape(len(chunk), len(attributes))
        blocks.append(
            (
                codes,
                np.array([row[-3] == Decision.APPROVE for row in chunk], dtype=bool),
                np.array([row[-2] for row in chunk], dtype=np.float64),
                np.array([np.nan if row[-1] is None else row[-1] for row in chunk], dtype=np.float64),
            )
        )
    codes, approved, probability, defaulted = (np.concatenate(parts) for parts in zip(*blocks, strict=True))
    groups = {}
    for k, attribute in enumerate(attributes):
        values = np.empty(len(labels[k]), dtype=object)
        values[:] = list(labels[k])
        groups[attribute] = values[codes[:, k]]
    return ProtectedDecisions(
        groups=groups,
        approved=approved,
        probability=probability,
        defaulted=defaulted,
        inputs_removed=removed,
    )


def decision_outcomes(*, version: ModelVersion, window: Window) -> Iterator[np.ndarray]:
    """Decided-at time (datetime64[us], UTC), probability and default flag of every decision
    in the window with a recorded outcome, as one structured array per chunk."""
    rows = (
        _window(version, window)
        .filter(outcome__isnull=False)
        .values_list("created_at", "probability", "outcome__defaulted")
    )
    dtype = np.dtype([("decided_at", "datetime64[us]"), ("probability", "f8"), ("defaulted", "i1")])
    chunk: list[tuple[Any, float, bool]] = []
    for decided_at, probability, defaulted in rows.iterator(chunk_size=CHUNK_ROWS):
        chunk.append((np.datetime64(decided_at.astimezone(UTC).replace(tzinfo=None), "us"), probability, defaulted))
        if len(chunk) == CHUNK_ROWS:
            yield np.array(chunk, dtype=dtype)
            chunk = []
    if chunk:
        yield np.array(chunk, dtype=dtype)
