"""Verifying the sealed audit: every leaf, root, chain link and signature recomputed from
the database, and the chain compared with the checkpoints kept outside it.

Per kind, three streams, none held in memory whole: the stored leaves in chain order
(each block's root, head hash, signature and link to the block before), the records and
the leaves both in record-id order (merged: a record that hashes differently from its
leaf was changed, a leaf without a record was deleted, a record without a leaf is not
sealed yet or, when older than the newest block by more than the grace, forged; a closed
kind's, one its successor seals), and the checkpoints. Each mismatch names the kind, the
record id or block, and one of `PROBLEMS`.
"""

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from governance.ledger import SealedBlock, block_problems, leaf_hash
from governance.models import AuditBlock, AuditLeaf

from .kinds import KINDS, KINDS_BY_NAME, Kind
from .records import (
    binary_order,
    kept_fast_path,
    kept_stream,
    records_stream,
    rows_stream,
    sealed_block,
    snapshot_connection,
    unsealed,
    with_text_id,
)

CHANGED, DELETED, FORGED, OUT_OF_ORDER = "changed", "deleted", "forged", "out of order"
TAIL_TRUNCATED, BLOCK_EDITED, SIGNATURE_INVALID = "tail truncated", "block edited", "signature invalid"
PROBLEMS = (CHANGED, DELETED, FORGED, OUT_OF_ORDER, TAIL_TRUNCATED, BLOCK_EDITED, SIGNATURE_INVALID)
# Mismatches listed per kind; beyond this they are counted only (mass damage needs no
# million-line report to be noticed).
LISTED_MISMATCHES = 1000
# Changed records compared pairwise for swapped contents (quadratic: kept small).
SWAP_CANDIDATES = 200


@dataclass(frozen=True)
class Mismatch:
    kind: str
    problem: str
    detail: str
    record_id: Any = None
    block: int | None = None


@dataclass
class _Changed:
    pk: Any
    record_id: Any
    block: int
    recomputed: bytes
    stored: bytes


def _merge(
    records: Iterator[tuple[Any, ...]], leaves: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """Pairs (record, leaf) matched on the id text; both streams are in code-point order."""
    record, leaf = next(records, None), next(leaves, None)
    while record is not None or leaf is not None:
        if leaf is None or (record is not None and record[1] < leaf[0]):
            yield record, None
            record = next(records, None)
        elif record is None or leaf[0] < record[1]:
            yield None, leaf
            leaf = next(leaves, None)
        else:
            yield record, leaf
            record, leaf = next(records, None), next(leaves, None)


def _block_problem_kind(sentence: str) -> str:
    return SIGNATURE_INVALID if "signature" in sentence or "signed with key" in sentence else BLOCK_EDITED


class _KindCheck:
    def __init__(self, kind: Kind, public_key: Ed25519PublicKey) -> None:
        self.kind, self.public_key = kind, public_key
        self.mismatches: list[Mismatch] = []
        self.count = 0
        self.blocks = list(AuditBlock.objects.filter(kind=kind.name).order_by("number"))

    def add(self, problem: str, detail: str, *, record_id: Any = None, block: int | None = None) -> None:
        self.count += 1
        if len(self.mismatches) < LISTED_MISMATCHES:
            record_id = record_id if record_id is None else _json_id(record_id)
            self.mismatches.append(Mismatch(self.kind.name, problem, detail, record_id, block))

    def chain(self) -> None:
        """Each block against its stored leaves and the block before it."""
        leaves = rows_stream(
            AuditLeaf.objects.filter(kind=self.kind.name)
            .order_by("block__number", "position")
            .values_list("block_id", "position", "leaf_hash"),
            read_ahead=True,
        )
        leaf = next(leaves, None)
        previous: SealedBlock | None = None
        for block in self.blocks:
            stored: list[bytes] = []
            positions_ok = True
            while leaf is not None and leaf[0] == block.pk:
                positions_ok = positions_ok and leaf[1] == len(stored)
                stored.append(bytes(leaf[2]))
                leaf = next(leaves, None)
            if not positions_ok:
                self.add(BLOCK_EDITED, f"Block {block.number}'s leaf positions are not 0 to n-1.", block=block.number)
            sealed = sealed_block(block)
            for sentence in block_problems(
                sealed=sealed, leaf_hashes=stored, previous=previous, public_key=self.public_key
            ):
                self.add(_block_problem_kind(sentence), sentence, block=block.number)
            previous = sealed

    def records(self, kept: "Future[_KeptCheck] | None") -> dict[str, int]:
        """Records against their leaves; then the kept digests against the data they keep,
        checked meanwhile in a worker process (`kept`, a future) or here."""
        kind = self.kind
        # A UUID's order is its text's code-point order (16 bytes compared in turn, written
        # as lowercase hex with the hyphens at fixed places): the primary key's index gives
        # that order without sorting the wide rows. An integer's text order is not its own.
        order = "pk" if kind.uuid_ids else binary_order("_pk_text")
        # Read ahead: nothing else is sent on the connection until both streams end.
        records = records_stream(with_text_id(kind).order_by(order), kind, read_ahead=True)
        leaves = rows_stream(
            AuditLeaf.objects.filter(kind=kind.name)
            .order_by(binary_order("record_id"))
            .values_list("record_id", "leaf_hash", "block__number"),
            read_ahead=True,
        )
        changed: list[_Changed] = []
        counts = {"records": 0, "unsealed": 0}
        for record, leaf in _merge(records, leaves):
            if record is None:
                # `_merge` yields at least one side.
                assert leaf is not None  # nosec B101
                self.add(
                    DELETED,
                    f"The record sealed in block {leaf[2]} is no longer in the database.",
                    record_id=kind.id_from_text(leaf[0]),
                    block=leaf[2],
                )
                continue
            if leaf is None and kind.superseded_by is not None:
                continue  # sealed by the successor, if at all: not a record of this closed chain
            counts["records"] += 1
            if leaf is None:
                counts["unsealed"] += 1
            else:
                recomputed, stored = leaf_hash(record[2]), bytes(leaf[1])
                if recomputed != stored:
                    changed.append(_Changed(record[0], kind.record_id(record[0]), leaf[2], recomputed, stored))
        self._changed(changed)
        if counts["unsealed"]:  # a forged record is an unsealed one (same snapshot)
            self._forged()
        if kind.kept_digest is not None:
            checked = kept.result() if kept is not None else _kept_check(kind)
            counts["cleared_by_retention"] = checked.cleared
            data, column = ", ".join(kind.kept_digest.data_fields), kind.kept_digest.column
            detail = f"Its {data} no longer match the kept digest {column}."
            for record_id in checked.changed:
                self.add(CHANGED, detail, record_id=kind.record_id(record_id))
            self.count += checked.changed_count - len(checked.changed)
        return counts

    def _changed(self, changed: list[_Changed]) -> None:
        """A changed record is out of order when its contents are what was sealed for
        another changed record (two rows swapped contents); otherwise it was changed."""
        swapped: dict[Any, _Changed] = {}
        if 1 < len(changed) <= SWAP_CANDIDATES:
            # Keyed by the pk's text: the records stream may hand it over as text.
            values = dict(
                (str(row[0]), row[1:])
                for row in self.kind.model._default_manager.filter(pk__in=[item.pk for item in changed]).values_list(
                    "pk", *self.kind.record_fields
                )
            )
            for item in changed:
                held = values[str(item.pk)]
                for other in changed:
                    if other is not item and leaf_hash(self.kind.record(other.pk, held)) == other.stored:
                        swapped[item.record_id] = other
                        break
        for item in changed:
            holds = swapped.get(item.record_id)
            if holds is not None:
                detail = f"It holds what was sealed for record {holds.record_id} (block {holds.block})."
                self.add(OUT_OF_ORDER, detail, record_id=item.record_id, block=item.block)
            else:
                detail = f"It no longer hashes to its leaf in block {item.block}."
                self.add(CHANGED, detail, record_id=item.record_id, block=item.block)

    def _forged(self) -> None:
        if not self.blocks:
            return
        cutoff = self.blocks[-1].signed_at - timedelta(seconds=settings.AUDIT_UNSEALED_GRACE_SECONDS)
        old = unsealed(self.kind).filter(**{f"{self.kind.time_field}__lt": cutoff}).order_by("pk")
        for pk in old.values_list("pk", flat=True)[: LISTED_MISMATCHES + 1]:
            self.add(
                FORGED,
                f"It is in no block, though older than the newest block ({self.blocks[-1].number}) by more than "
                f"{settings.AUDIT_UNSEALED_GRACE_SECONDS} s.",
                record_id=self.kind.record_id(pk),
            )

    def checkpoints(self, checkpoints: Sequence[SealedBlock]) -> None:
        stored = {block.number: block for block in self.blocks}
        last = self.blocks[-1].number if self.blocks else 0
        seen: dict[int, SealedBlock] = {}
        for checkpoint in checkpoints:
            number = checkpoint.head.block_number
            if seen.get(number, checkpoint) != checkpoint:
                self.add(BLOCK_EDITED, f"The checkpoints hold two different heads for block {number}.", block=number)
            seen[number] = checkpoint
        beyond = sorted(number for number in seen if number > last)
        if beyond:
            self.add(
                TAIL_TRUNCATED,
                f"The database's chain ends at block {last}; the checkpoints go on to block {beyond[-1]}.",
                block=beyond[0],
            )
        for number, checkpoint in sorted(seen.items()):
            block = stored.get(number)
            if block is None:
                if number < last:
                    self.add(
                        BLOCK_EDITED, f"Block {number} is checkpointed but missing from the database.", block=number
                    )
            elif sealed_block(block) != checkpoint:
                self.add(BLOCK_EDITED, f"Block {number} differs from its checkpoint.", block=number)

    def summary(self, counts: dict[str, int]) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "blocks": len(self.blocks),
            "records": sum(block.record_count for block in self.blocks),
            "unsealed": counts["unsealed"],
            "first_sealed_at": self.blocks[0].signed_at.isoformat() if self.blocks else None,
            "last_sealed_at": self.blocks[-1].signed_at.isoformat() if self.blocks else None,
        }
        if self.kind.kept_digest:
            summary["cleared_by_retention"] = counts["cleared_by_retention"]
        summary["mismatch_count"] = self.count
        summary["mismatches"] = [
            {key: value for key, value in asdict(item).items() if value is not None} for item in self.mismatches
        ]
        return summary


@dataclass(frozen=True)
class _KeptCheck:
    """A kind's kept digests against their data: the ids (text) of the first records whose
    data no longer match (at most LISTED_MISMATCHES), how many in all, how many cleared."""

    changed: list[str]
    changed_count: int
    cleared: int


def _kept_check(kind: Kind, using: BaseDatabaseWrapper | None = None) -> _KeptCheck:
    # No order: the rows are checked one by one (and the default ordering would sort them).
    stream = kept_stream(with_text_id(kind).order_by(), kind, read_ahead=True, using=using)
    changed: list[str] = []
    changed_count = cleared = 0
    for row in stream.rows:
        digest, data, cleared_at = row[1], row[2:-1], row[-1]
        if all(value is None for value in data):
            cleared += cleared_at is not None
        elif stream.data_digest(data) != digest:
            changed_count += 1
            if len(changed) < LISTED_MISMATCHES:
                changed.append(str(row[0]))
    return _KeptCheck(changed, changed_count, cleared)


def _kept_check_in_snapshot(kind_name: str, snapshot: str) -> _KeptCheck:
    """`_kept_check` in a forked worker, on a connection of its own in the verifier's
    exported snapshot. The connections inherited from the parent are never used here
    (their sockets are the parent's), and the worker ends without closing them."""
    with snapshot_connection(snapshot) as own:
        return _kept_check(KINDS_BY_NAME[kind_name], using=own)


def _json_id(record_id: Any) -> Any:
    return record_id if isinstance(record_id, int) else str(record_id)


def audit_verify(
    *, public_key: Ed25519PublicKey, checkpoints: Sequence[SealedBlock], kinds: Sequence[Kind] = KINDS
) -> dict[str, Any]:
    """{"ok": ..., "kinds": {kind: summary}}: see the module docstring. Read in one
    repeatable-read snapshot on PostgreSQL, so a seal running meanwhile is not half seen.

    On PostgreSQL, unless called inside a transaction: the kept digests (each decision's
    28-field inputs parsed and encoded again, half of verifying a decision) are checked
    in a worker process, forked before any thread starts, in the same snapshot
    (`pg_export_snapshot`), while this process checks the records against their leaves:
    the two halves run on two cores."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as worker:
                kept = {
                    kind.name: worker.submit(_kept_check_in_snapshot, kind.name, snapshot)
                    for kind in kinds
                    if kept_fast_path(kind)
                }
                try:
                    return _verify(public_key, checkpoints, kinds, kept)
                finally:
                    for future in kept.values():
                        future.cancel()
    with transaction.atomic():
        return _verify(public_key, checkpoints, kinds, {})


def _verify(
    public_key: Ed25519PublicKey,
    checkpoints: Sequence[SealedBlock],
    kinds: Sequence[Kind],
    kept: dict[str, "Future[_KeptCheck]"],
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for kind in kinds:
        check = _KindCheck(kind, public_key)
        check.chain()
        counts = check.records(kept.get(kind.name))
        check.checkpoints([c for c in checkpoints if c.head.kind == kind.name])
        result[kind.name] = check.summary(counts)
    return {"ok": all(not summary["mismatch_count"] for summary in result.values()), "kinds": result}
