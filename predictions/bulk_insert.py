"""Writing decision log rows fast: PostgreSQL COPY for batches, the ORM otherwise.

A 10,000-application batch must be scored and logged within a second. Django's
`bulk_create` spends about 2 s of Python on 10,000 model instances (field preparation
and SQL assembly) before PostgreSQL sees a byte; COPY takes the rows as text and is
PostgreSQL's own bulk-load path. The rows are streamed: PostgreSQL parses one chunk while
Python formats the next, so on two cores the two halves of the work overlap.

Rows are plain tuples (`DecisionRow`, the columns of `DecisionLog`), which also serve as
the API's answer, so a batch never builds 10,000 model instances.
"""

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection

from governance.models import ModelVersion

from .models import DecisionLog

# Below this many rows a multi-row INSERT is as fast and simpler to reason about.
COPY_MIN_ROWS = 100
COPY_CHUNK_BYTES = 256 * 1024
ORM_BATCH_ROWS = 2000


class DecisionRow(NamedTuple):
    """One decision log row before it is written; attribute names follow `DecisionLog`."""

    id: uuid.UUID
    request_id: str
    client_id: int
    model_version: ModelVersion
    inputs: dict[str, Any]
    features: bytes
    probability: float
    decision: str
    risk_band: str
    reason_codes: list[dict[str, Any]]
    latency_ms: float
    created_at: datetime


_COPY_COLUMNS = (
    "id, request_id, client_id, model_version_id, inputs, features, probability, decision, "
    "risk_band, reason_codes, latency_ms, created_at"
)


def _text(value: str) -> str:
    """Escape a value for COPY's text format (backslash, tab, newline, carriage return)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_lines(rows: Sequence[DecisionRow]) -> Iterator[str]:
    dumps = json.dumps
    formatted_at, stamp = None, ""
    for row in rows:
        if row.created_at != formatted_at:  # a batch's rows share one timestamp: format it once
            formatted_at, stamp = row.created_at, row.created_at.isoformat()
        yield "\t".join(
            (
                str(row.id),
                _text(row.request_id),
                str(row.client_id),
                str(row.model_version.pk),
                _text(dumps(row.inputs)),
                "\\\\x" + row.features.hex(),
                repr(row.probability),
                row.decision,
                row.risk_band,
                _text(dumps(row.reason_codes)),
                repr(row.latency_ms),
                stamp,
            )
        ) + "\n"


class _Chunks:
    """The file-like object `copy_expert` reads: each read formats the next rows."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def read(self, size: int = COPY_CHUNK_BYTES) -> str:
        chunk, length = [], 0
        for line in self._lines:
            chunk.append(line)
            length += len(line)
            if length >= size:
                break
        return "".join(chunk)


def decision_rows_insert(rows: Sequence[DecisionRow]) -> None:
    """Insert the rows in the caller's transaction."""
    if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {DecisionLog._meta.db_table} ({_COPY_COLUMNS}) FROM STDIN",
                _Chunks(_copy_lines(rows)),
                size=COPY_CHUNK_BYTES,
            )
        return
    DecisionLog.objects.bulk_create(
        [DecisionLog(**row._asdict()) for row in rows], batch_size=ORM_BATCH_ROWS
    )
