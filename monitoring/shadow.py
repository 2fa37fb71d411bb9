"""Shadow scoring: every version in shadow (`start_shadow`) answers each decision of its
model, after the fact, from the stored inputs; and its comparison is refreshed daily.

The scoring path is untouched: nothing happens while an application is decided. The hourly
job streams the previous hour's unanswered decisions (id and encoded vector, one binary
COPY per deciding version on PostgreSQL; never model instances), checks them against each
shadow version's schema (`challenger_inputs`), scores them in batch, explains declines with
reason codes as the API does (`top_reasons_batch`, item for item `top_reasons`), and stores
one `ChallengerScore` per decision and shadow version with one binary COPY (`bulk_create`
on SQLite), scoring each slice while PostgreSQL stores the one before. Running it twice,
even at once, stores nothing twice: a challenger's runs take turns (`_lock`) and each
skips what an earlier one answered.
"""

import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from typing import Any, cast

import numpy as np
import orjson
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from governance.ml.scorer import ModelScorer
from governance.models import ModelVersion, VersionState
from governance.selectors import model_version_scorer, production_version
from loanportal.cyclic_gc import cyclic_gc_paused
from predictions.models import Decision, DecisionLog
from predictions.reason_codes import top_reasons_batch
from predictions.risk_bands import BANDS, risk_bands

from .challenger_inputs import ChallengerInputs
from .comparisons import ComparisonSubject, comparison_create
from .models import ChallengerScore, Comparison, Trigger
from .selectors import decision_id_vectors
from .windows import Window, hour_window

INSERT_ROWS = 5000
# Decisions scored per step of the COPY that stores them.
SCORE_ROWS = 8192


def shadow_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("registered_model").filter(
        shadow_since__isnull=False, state__in=[VersionState.VALIDATED, VersionState.APPROVED]
    )


def challenger_scores_record(*, challenger: ModelVersion, window: Window) -> int:
    """Score the model's decisions in `window` (made since the shadow started, not yet
    answered) with `challenger`; the number of scores written."""
    start = max(window.start, cast(datetime, challenger.shadow_since))
    if start >= window.end:
        return 0
    period = Window(start, window.end)
    decisions = (
        DecisionLog.objects.filter(created_at__gte=period.start, created_at__lt=period.end, features__isnull=False)
        # Already answered (a second run of the hour): not again.
        .exclude(Exists(ChallengerScore.objects.filter(challenger=challenger, decision_log=OuterRef("pk"))))
        .order_by()
    )
    scorer = model_version_scorer(version=challenger)
    # The job makes about four reason items (dicts) per decline and nothing cyclic; the
    # collections their allocations set off cost 0.2 of 0.55 s of its Python time for
    # 100,000 decisions.
    with transaction.atomic(), cyclic_gc_paused():
        _lock(challenger)
        # One stream per deciding version: its vectors have its schema's width and encoding.
        # The stream holds the connection until it ends, so the vectors are kept (8 bytes a
        # field, about 20 MB for 100,000 decisions) and scored during the COPY that stores
        # the scores, a slice at a time: PostgreSQL stores one slice while the next is scored.
        read: list[tuple[ChallengerInputs, list[str], np.ndarray]] = []
        for champion in _deciding_versions(challenger, period):
            inputs = ChallengerInputs(champion.feature_schema, challenger.feature_schema)

            def keep(ids: list[str], features: np.ndarray, inputs: ChallengerInputs = inputs) -> None:
                read.append((inputs, ids, features))

            decision_id_vectors(
                decisions=decisions.filter(model_version=champion),
                n_fields=len(champion.feature_schema["fields"]),
                consume=keep,
                label=str(champion),
            )
        scores = (
            part
            for inputs, ids, features in read
            for first in range(0, len(ids), SCORE_ROWS)
            for part in _score(
                challenger, scorer, inputs, ids[first : first + SCORE_ROWS], features[first : first + SCORE_ROWS]
            )
        )
        return _scores_insert(challenger, scores) if read else 0


def _deciding_versions(challenger: ModelVersion, period: Window) -> QuerySet[ModelVersion]:
    """The model's other versions with a decision in `period`: one index probe per version
    (`decision_version_time`), not a pass over the period's decisions."""
    decided = DecisionLog.objects.filter(
        model_version=OuterRef("pk"), created_at__gte=period.start, created_at__lt=period.end
    )
    return (
        ModelVersion.objects.filter(registered_model_id=challenger.registered_model_id)
        .exclude(pk=challenger.pk)
        .filter(Exists(decided))
        .only("feature_schema")
    )


# pg_advisory_xact_lock(class, challenger id): "shdw", apart from every other lock of the portal.
_LOCK_CLASS = int.from_bytes(b"shdw", "big")


def _lock(challenger: ModelVersion) -> None:
    """Score a challenger's decisions one run at a time (until the transaction ends): a
    second run of the hour waits, then reads the decisions the first answered as answered.
    So the scores can be copied in without a conflict check per row; the unique constraint
    stays the backstop. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, challenger.pk])


@dataclass(frozen=True)
class _Scores:
    """`ChallengerScore` columns of a slice's decisions, before they are written (no model
    instance, no tuple per decision): those the challenger scored, or (`probabilities`
    None) those its schema refused, with their errors."""

    ids: list[str]  # decision log ids, 32 hex digits
    probabilities: np.ndarray | None
    declined: np.ndarray  # bool; False where refused
    reason_codes: list[list[dict[str, Any]]]  # [] where approved or refused
    errors: list[dict[str, str]]  # {} where scored

    def rows(self) -> Iterator[tuple[str, float | None, str, str, list[dict[str, Any]], dict[str, str]]]:
        """Row by row: decision log id, probability, decision, risk band, reason codes, errors."""
        n = len(self.ids)
        if self.probabilities is None:
            return zip(self.ids, [None] * n, [""] * n, [""] * n, self.reason_codes, self.errors, strict=True)
        decisions = np.where(self.declined, Decision.DECLINE.value, Decision.APPROVE.value).tolist()
        probabilities = cast(list[float | None], self.probabilities.tolist())
        bands = risk_bands(self.probabilities)
        return zip(self.ids, probabilities, decisions, bands, self.reason_codes, self.errors, strict=True)

    def copy_rows(self, challenger_id: int, created_at: datetime) -> bytes:
        """The rows in PostgreSQL's binary COPY format (`_COLUMNS` in order): each a
        fixed-width head that numpy fills for the whole slice (field count, id, challenger,
        probability), the columns that vary by row (decision, band and reason codes; or the
        errors), and a tail every row of the slice shares (timestamp, and the empty errors
        of a scored row)."""
        head = np.empty(len(self.ids), dtype=_REFUSED_HEAD if self.probabilities is None else _SCORED_HEAD)
        head["fields"], head["id_size"], head["challenger_size"] = _COLUMNS.count(",") + 1, 16, 8
        head["id"] = np.frombuffer(bytes.fromhex("".join(self.ids)), dtype="V16")
        head["challenger"] = challenger_id
        created = _value(struct.pack(">q", (created_at - _POSTGRES_EPOCH) // timedelta(microseconds=1)))
        if self.probabilities is None:
            head["probability_size"] = -1  # NULL
            middles = [_REFUSED_MIDDLE + _jsonb(orjson.dumps(errors)) for errors in self.errors]
            tail = created
        else:
            head["probability_size"], head["probability"] = 8, self.probabilities
            middles = [
                _DECLINE_MIDDLES[band] + _jsonb(orjson.dumps(reasons)) if declined else _APPROVE_MIDDLES[band]
                for band, declined, reasons in zip(
                    risk_bands(self.probabilities), self.declined.tolist(), self.reason_codes, strict=True
                )
            ]
            tail = _jsonb(b"{}") + created
        data, width = head.tobytes(), head.itemsize
        heads = (data[k : k + width] for k in range(0, len(data), width))
        return b"".join(chain.from_iterable(zip(heads, middles, repeat(tail))))


def _value(data: bytes) -> bytes:
    """A binary COPY field: its size, then its bytes."""
    return struct.pack(">i", len(data)) + data


def _jsonb(text: bytes) -> bytes:
    """A jsonb binary COPY field: its size, the format version (1) and the JSON text."""
    return _value(b"\x01" + text)


def _decision_middles(decision: Decision, reasons: bytes) -> dict[str, bytes]:
    return {band: _value(decision.value.encode()) + _value(band.encode()) + reasons for band in BANDS}


# Binary COPY (PostgreSQL's "COPY ... FORMAT binary"): a signature, flags and header
# extension length; per row the field count, then each field's size in bytes (-1: NULL)
# and its value, big-endian; a -1 field count at the end. Nothing is parsed from text on
# the server: a third of the COPY's time went to reading uuids, floats and timestamps.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = struct.pack(">h", -1)
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # timestamptz: microseconds since
_ROW_START = [("fields", ">i2"), ("id_size", ">i4"), ("id", "V16"), ("challenger_size", ">i4"), ("challenger", ">i8")]
_SCORED_HEAD = np.dtype([*_ROW_START, ("probability_size", ">i4"), ("probability", ">f8")])
_REFUSED_HEAD = np.dtype([*_ROW_START, ("probability_size", ">i4")])
# Decision, band and reason codes by band: an approval's are the same for all its band;
# a decline's reasons follow.
_APPROVE_MIDDLES = _decision_middles(Decision.APPROVE, _jsonb(b"[]"))
_DECLINE_MIDDLES = _decision_middles(Decision.DECLINE, b"")
_REFUSED_MIDDLE = _value(b"") + _value(b"") + _jsonb(b"[]")  # no decision, no band, no reasons


def _score(
    challenger: ModelVersion, scorer: ModelScorer, inputs: ChallengerInputs, ids: list[str], features: np.ndarray
) -> list[_Scores]:
    converted = inputs.convert(features)
    valid = np.flatnonzero(converted.valid)
    matrix = scorer.encoder.model_matrix(converted.encoded[valid])
    probabilities = scorer.probabilities(matrix) if len(valid) else np.zeros(0)
    declined = probabilities >= challenger.threshold
    reasons: list[list[dict[str, Any]]] = [[]] * len(valid)  # approvals share one empty list; never mutated
    if declined.any():
        rows = np.flatnonzero(declined)
        explained = top_reasons_batch(
            model_features=scorer.model_features,
            contributions=scorer.contributions(matrix[rows]),
            model_inputs=matrix[rows],
        )
        for k, items in zip(rows.tolist(), explained, strict=True):
            reasons[k] = items
    scored = _Scores(
        ids=[ids[row] for row in valid.tolist()],
        probabilities=probabilities,
        declined=declined,
        reason_codes=reasons,
        errors=[{}] * len(valid),
    )
    refused = np.flatnonzero(~converted.valid).tolist()
    if not refused:
        return [scored]
    n = len(refused)
    return [
        scored,
        _Scores(
            ids=[ids[row] for row in refused],
            probabilities=None,
            declined=np.zeros(n, dtype=bool),
            reason_codes=[[]] * n,
            errors=[converted.row_errors(row) for row in refused],
        ),
    ]


_TABLE = ChallengerScore._meta.db_table
_COLUMNS = "decision_log_id, challenger_id, probability, decision, risk_band, reason_codes, errors, created_at"


def _scores_insert(challenger: ModelVersion, scores: Iterable[_Scores]) -> int:
    """Write the scores in the caller's transaction, consuming `scores` as it goes: one
    binary COPY on PostgreSQL, `bulk_create` elsewhere (where a conflict, which `_lock`
    rules out on PostgreSQL, is skipped). The number of scores written."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        rows = [
            ChallengerScore(
                decision_log_id=uuid.UUID(hex=i),
                challenger=challenger,
                probability=p,
                decision=d,
                risk_band=b,
                reason_codes=r,
                errors=e,
                created_at=now,
            )
            for part in scores
            for i, p, d, b, r, e in part.rows()
        ]
        ChallengerScore.objects.bulk_create(rows, batch_size=INSERT_ROWS, ignore_conflicts=True)
        return len(rows)
    written = 0

    def blocks() -> Iterator[bytes]:
        nonlocal written
        yield _COPY_HEADER
        for part in scores:
            written += len(part.ids)
            yield part.copy_rows(challenger.pk, now)
        yield _COPY_TRAILER

    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {_TABLE} ({_COLUMNS}) FROM STDIN WITH (FORMAT binary)", _Blocks(blocks()))
    return written


class _Blocks:
    """The file-like object `copy_expert` reads: each read scores and encodes the next slice."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks

    def read(self, size: int = 0) -> bytes:
        return next(self._blocks, b"")


def shadow_scores_schedule(*, now: datetime | None = None) -> dict[int, int]:
    """The hourly job: the previous whole hour, every shadow version; version id -> scores stored."""
    window = hour_window(hours=1, now=now or timezone.now())
    return {version.pk: challenger_scores_record(challenger=version, window=window) for version in shadow_versions()}


def shadow_comparisons_schedule(*, now: datetime | None = None) -> dict[int, int | None]:
    """The daily job: each shadow version's comparison with the production version since its
    shadow started, up to the start of this hour; version id -> comparison id (None when
    there is nothing to compare yet)."""
    end = hour_window(hours=1, now=now or timezone.now()).end
    refreshed: dict[int, int | None] = {}
    for version in shadow_versions():
        champion = production_version(model_name=version.registered_model.name)
        start = cast(datetime, version.shadow_since)
        if champion is None or start >= end:
            refreshed[version.pk] = None
            continue
        subject = ComparisonSubject(champion=champion, challenger=version, period=Window(start, end))
        comparison: Comparison = comparison_create(subject=subject, trigger=Trigger.SCHEDULE)
        refreshed[version.pk] = comparison.pk
    return refreshed
