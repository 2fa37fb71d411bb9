"""Reads for the monitoring jobs, pages and API.

The drift job reads up to millions of encoded application vectors per window. It never
builds a Python object per row: on PostgreSQL it streams `COPY ... TO STDOUT (FORMAT
binary)` and parses whole blocks of fixed-width rows with numpy; elsewhere (SQLite) it
reads `values_list` in chunks and joins the byte strings. Both hand the same chunks to
the caller.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from psycopg2 import sql

from governance.models import ModelVersion, RegisteredModel, VersionState
from predictions.models import Decision, DecisionLog

from .models import ACTIVE_STATUSES, FINISHED_STATUSES, Incident, JobKind, MonitoringPolicy, MonitoringRun, RunStatus

CHUNK_ROWS = 65_536
VectorConsumer = Callable[[np.ndarray, np.ndarray], None]


# --- Versions and runs -----------------------------------------------------------


def monitoring_policy(*, registered_model: RegisteredModel) -> MonitoringPolicy:
    """The model's policy, or (unsaved) the defaults it will get when a job first runs."""
    return MonitoringPolicy.objects.filter(registered_model=registered_model).first() or MonitoringPolicy(
        registered_model=registered_model
    )


def versions_to_monitor(
    *, registered_model: RegisteredModel, window_start: datetime, window_end: datetime
) -> list[ModelVersion]:
    """The model's production version, and every other version that decided applications
    in the window (the one it replaced on the day of a promotion, a rolled-back one)."""
    decided = DecisionLog.objects.filter(
        model_version=OuterRef("pk"), created_at__gte=window_start, created_at__lt=window_end
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


def incidents_active() -> QuerySet[Incident]:
    return Incident.objects.filter(status__in=ACTIVE_STATUSES)


# --- Decision vectors for drift ----------------------------------------------------


def _window(version: ModelVersion, window_start: datetime, window_end: datetime) -> QuerySet[DecisionLog]:
    return DecisionLog.objects.filter(
        model_version=version, created_at__gte=window_start, created_at__lt=window_end
    ).order_by()


def decision_vectors(
    *,
    version: ModelVersion,
    window_start: datetime,
    window_end: datetime,
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
        _copy_vectors(version, window_start, window_end, n_fields, consume)
    else:
        _orm_vectors(version, window_start, window_end, n_fields, consume)


def _orm_vectors(
    version: ModelVersion, window_start: datetime, window_end: datetime, n_fields: int, consume: VectorConsumer
) -> None:
    rows = (
        _window(version, window_start, window_end).filter(features__isnull=False).values_list("features", "probability")
    )
    features: list[bytes] = []
    scores: list[float] = []

    def flush() -> None:
        matrix = np.frombuffer(b"".join(features), dtype="<f8")
        if matrix.size != len(scores) * n_fields:
            raise ValueError(f"{version}: a decision-log vector does not have {n_fields} encoded fields")
        consume(matrix.reshape(len(scores), n_fields), np.asarray(scores, dtype=np.float64))
        features.clear()
        scores.clear()

    for vector, probability in rows.iterator(chunk_size=CHUNK_ROWS):
        features.append(vector)
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
    """

    def __init__(self, n_fields: int, consume: VectorConsumer, label: str) -> None:
        super().__init__()
        self.consume = consume
        self.label = label
        self.n_fields = n_fields
        self.row = np.dtype(
            [
                ("field_count", ">i2"),
                ("features_length", ">i4"),
                ("features", "<f8", (n_fields,)),
                ("probability_length", ">i4"),
                ("probability", ">f8"),
            ]
        )
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
            if (
                (rows["field_count"] != 2).any()
                or (rows["features_length"] != 8 * self.n_fields).any()
                or (rows["probability_length"] != 8).any()
            ):
                raise ValueError(f"{self.label}: a decision-log vector does not have {self.n_fields} encoded fields")
            self.consume(rows["features"], rows["probability"].astype(np.float64))
        self.pending = block[offset + n_rows * self.row.itemsize :]

    def finish(self) -> None:
        # The trailer is two bytes, fewer than a row: at the end it is all that is left.
        if self.pending != _COPY_TRAILER:
            raise ValueError(f"{self.label}: truncated binary COPY stream")


def _copy_vectors(
    version: ModelVersion, window_start: datetime, window_end: datetime, n_fields: int, consume: VectorConsumer
) -> None:
    rows = _BinaryCopyRows(n_fields, consume, str(version))
    target = io.BufferedWriter(rows, buffer_size=CHUNK_ROWS * rows.row.itemsize)
    select = sql.SQL(
        "SELECT features, probability FROM {table} WHERE model_version_id = %s AND created_at >= %s "
        "AND created_at < %s AND features IS NOT NULL"
    ).format(table=sql.Identifier(DecisionLog._meta.db_table))
    with connection.cursor() as cursor:
        # COPY takes no parameters: bind them into the query text first (mogrify quotes them).
        query = cursor.cursor.mogrify(select, [version.pk, window_start, window_end]).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", target)
    target.flush()
    rows.finish()


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
    *, version: ModelVersion, window_start: datetime, window_end: datetime, attributes: list[str]
) -> ProtectedDecisions:
    """Read in chunks with `values_list`, never one ORM object per row; attribute values
    are kept as small integer codes until the end, so memory is a few bytes per decision."""
    window = _window(version, window_start, window_end)
    removed = window.filter(inputs__isnull=True).count()
    names = {f"protected_{i}": KT(f"inputs__{attribute}") for i, attribute in enumerate(attributes)}
    rows = (
        window.filter(inputs__isnull=False)
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


def decision_outcomes(*, version: ModelVersion, window_start: datetime, window_end: datetime) -> Iterator[np.ndarray]:
    """Decided-at time (datetime64[us], UTC), probability and default flag of every decision
    in the window with a recorded outcome, as one structured array per chunk."""
    rows = (
        _window(version, window_start, window_end)
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
