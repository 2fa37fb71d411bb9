"""Sealing: every audit record not in a block yet goes into the next signed block of its
kind's chain.

One transaction per block, under a per-kind lock held for the whole seal
(`pg_advisory_lock` on PostgreSQL; SQLite runs one writer at a time anyway): two sealers at once wait for each other and
make one chain, and a sealer killed mid-block leaves nothing behind, the records stay
unsealed for the next run. "Unsealed" is "no leaf", and a leaf is unique per (kind,
record), so a record is sealed exactly once, also when its transaction committed after a
later-numbered record was sealed. Nothing of this runs on the scoring path.
"""

import hashlib
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.utils import timezone

from governance.ledger import GENESIS_PREVIOUS_HASH, SealedBlock, block_seal, leaf_hash
from governance.models import AuditBlock, AuditLeaf

from .checkpoints import checkpoints_pending_post, checkpoints_pending_write
from .keys import audit_signing_key
from .kinds import KINDS, Kind
from .records import reading_connection, records_stream, unsealed

# Records per block: a proof reads its block's leaf hashes, so blocks stay this small
# (3.2 MB of hashes); a large backlog becomes several blocks, one transaction each.
MAX_BLOCK_RECORDS = 100_000
LEAF_INSERT_BATCH = 5_000
LEAF_COLUMNS = ("block_id", "kind", "record_id", "position", "leaf_hash")
COPY_LEAVES = f"COPY {AuditLeaf._meta.db_table} ({', '.join(LEAF_COLUMNS)}) FROM STDIN"
COPY_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class SealResult:
    blocks: list[AuditBlock]
    checkpoints_written: int
    checkpoints_posted: int

    def records(self) -> int:
        return sum(block.record_count for block in self.blocks)


@contextmanager
def _kind_lock(kind: str) -> Iterator[None]:
    """Hold the kind's seal lock for the whole seal (a session-level advisory lock on
    PostgreSQL, released however the seal ends, a killed process's with its session)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = int.from_bytes(hashlib.sha256(f"audit-seal:{kind}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@dataclass(frozen=True)
class _ComputedBlock:
    """A block signed over its records, not stored yet."""

    sealed: SealedBlock
    record_ids: list[str]  # the pk texts, in leaf order
    hashes: list[bytes]
    # PostgreSQL: the leaves as COPY text rows without their first column, the block's id,
    # which the block only has once stored: `_copy_data` joins it in at C speed.
    copy_rows: list[str] | None


def _block_compute(
    kind: Kind, rows: Sequence[tuple[Any, str, bytes]], previous: AuditBlock | None, signing_key: Ed25519PrivateKey
) -> _ComputedBlock:
    """Leaf hashes, root, head and signature of the block over `rows` (pk, pk text,
    canonical record) after `previous`."""
    hashes = [leaf_hash(record) for _, _, record in rows]
    record_ids = [text for _, text, _ in rows]
    sealed = block_seal(
        kind=kind.name,
        block_number=previous.number + 1 if previous else 1,
        first_position=previous.first_position + previous.record_count if previous else 0,
        first_record_id=kind.record_id(rows[0][0]),
        last_record_id=kind.record_id(rows[-1][0]),
        leaf_hashes=hashes,
        previous_block_hash=previous.block_hash if previous else GENESIS_PREVIOUS_HASH,
        signing_key=signing_key,
        signed_at=timezone.now(),
    )
    copy_rows = None
    if connection.vendor == "postgresql":
        # Ids are digits or UUIDs, kinds [a-z0-9_]: nothing to escape in COPY's text format.
        copy_rows = [
            f"\t{kind.name}\t{text}\t{position}\t\\\\x{digest.hex()}\n"
            for position, (text, digest) in enumerate(zip(record_ids, hashes, strict=True))
        ]
    return _ComputedBlock(sealed=sealed, record_ids=record_ids, hashes=hashes, copy_rows=copy_rows)


def _block_insert(computed: _ComputedBlock) -> AuditBlock:
    head, sealed = computed.sealed.head, computed.sealed
    return AuditBlock.objects.create(
        kind=head.kind,
        number=head.block_number,
        first_position=head.first_position,
        record_count=head.record_count,
        first_record_id=head.first_record_id,
        last_record_id=head.last_record_id,
        merkle_root=head.merkle_root,
        previous_block_hash=head.previous_block_hash,
        key_id=head.key_id,
        version=head.version,
        block_hash=sealed.block_hash,
        signature=sealed.signature,
        signed_at=head.signed_at,
    )


def _copy_data(block: AuditBlock, computed: _ComputedBlock) -> io.StringIO:
    assert computed.copy_rows is not None  # nosec B101
    return io.StringIO(str(block.pk).join(["", *computed.copy_rows]))


def _copy(cursor: Any, data: io.StringIO) -> None:
    # COPY: a block's leaves in one statement, several times faster than INSERTs. Read in
    # large pieces: the driver holds the GIL only while it takes each piece.
    cursor.copy_expert(COPY_LEAVES, data, size=COPY_READ_SIZE)


class _BlockWriter:
    """Stores computed blocks, each with its leaves in one transaction: a sealer killed
    before a block commits leaves no trace of it.

    Pipelined (PostgreSQL, the records read on a connection of their own): the block's
    transaction is opened, its head inserted and its leaves' COPY started on a thread,
    and the caller goes on computing the next block while PostgreSQL stores these
    (a block's COPY is 0.8 s of server work). The block commits when the next one is
    handed over or the writer closes; on any failure the block in flight is rolled back.
    Otherwise each block is stored and committed before `store` returns."""

    def __init__(self, *, pipelined: bool) -> None:
        self.pipelined = pipelined
        self._copying: threading.Thread | None = None
        self._copy_error: BaseException | None = None
        self._in_flight = False  # a block's transaction is open (pipelined)

    def store(self, computed: _ComputedBlock) -> AuditBlock:
        if not self.pipelined:
            with transaction.atomic():
                block = _block_insert(computed)
                if computed.copy_rows is None:
                    _leaves_bulk_create(block, computed)
                else:
                    with connection.cursor() as cursor:
                        _copy(cursor, _copy_data(block, computed))
            return block
        self.finish()
        transaction.set_autocommit(False)
        self._in_flight = True
        try:
            block = _block_insert(computed)
            data = _copy_data(block, computed)
            # The driver's own connection, which is safe to share between threads (Django's
            # wrapper is not): nothing else uses this connection until `finish` joins.
            raw = connection.connection
            name = f"{threading.current_thread().name}-audit-leaves"
            self._copying = threading.Thread(target=self._copy_run, args=(raw, data), name=name)
            self._copying.start()
        except BaseException:
            self.abort()
            raise
        return block

    def _copy_run(self, raw: Any, data: io.StringIO) -> None:
        try:
            with raw.cursor() as cursor:
                _copy(cursor, data)
        except BaseException as exc:  # raised by `finish` in the caller's thread
            self._copy_error = exc

    def finish(self) -> None:
        """Commit the block in flight, once its COPY is done."""
        if not self._in_flight:
            return
        if self._copying is not None:
            self._copying.join()
            self._copying = None
        if self._copy_error is not None:
            error = self._copy_error
            self.abort()
            raise error
        self._in_flight = False
        transaction.commit()
        transaction.set_autocommit(True)

    def abort(self) -> None:
        """Roll back the block in flight, if any (pipelined; otherwise `store`'s atomic
        block has rolled back already)."""
        if self._copying is not None:
            self._copying.join()
            self._copying = None
        self._copy_error = None
        if self._in_flight:
            self._in_flight = False
            transaction.rollback()
            transaction.set_autocommit(True)


def _leaves_bulk_create(block: AuditBlock, computed: _ComputedBlock) -> None:
    AuditLeaf.objects.bulk_create(
        (
            AuditLeaf(block=block, kind=block.kind, record_id=text, position=position, leaf_hash=digest)
            for position, (text, digest) in enumerate(zip(computed.record_ids, computed.hashes, strict=True))
        ),
        batch_size=LEAF_INSERT_BATCH,
    )


def _kind_seal(kind: Kind, signing_key: Ed25519PrivateKey) -> list[AuditBlock]:
    """Seal every record of `kind` in no block yet, MAX_BLOCK_RECORDS a block.

    The unsealed rows are read in one pass, not once per block: on a large backlog each
    pass is a scan of the whole table. They are read on a connection of their own
    (`reading_connection`, in a snapshot taken once the lock is held), so PostgreSQL
    computes the next rows and stores the last block while Python hashes these. The
    lock is held throughout, so a second sealer waits and then finds nothing left of
    what this one read; a record committed after the snapshot is sealed by the next
    run."""
    blocks: list[AuditBlock] = []
    if kind.superseded_by is not None:
        return blocks  # a closed chain: its successor seals the rows
    with _kind_lock(kind.name), reading_connection() as reader:
        previous = AuditBlock.objects.filter(kind=kind.name).order_by("-number").first()
        queryset = unsealed(kind).order_by("pk")
        stream = records_stream(queryset, kind, read_ahead=reader is not None, using=reader)
        writer = _BlockWriter(pipelined=reader is not None)
        try:
            while rows := list(islice(stream, MAX_BLOCK_RECORDS)):
                previous = writer.store(_block_compute(kind, rows, previous, signing_key))
                blocks.append(previous)
            writer.finish()
        except BaseException:
            writer.abort()
            raise
    return blocks


def audit_seal(*, kinds: Sequence[Kind] = KINDS) -> SealResult:
    """Seal every record of `kinds` that is in no block yet, then copy the new block heads
    (and any an earlier seal could not copy) to the checkpoint file and the webhook.

    Raises `SigningKeyError` without a usable signing key (nothing is sealed), and
    `CheckpointError` when the checkpoint file cannot be written (the blocks are sealed;
    the next seal writes their lines).
    """
    signing_key = audit_signing_key()
    blocks = [block for kind in kinds for block in _kind_seal(kind, signing_key)]
    written = checkpoints_pending_write()
    return SealResult(blocks=blocks, checkpoints_written=written, checkpoints_posted=checkpoints_pending_post())
