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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.utils import timezone

from governance.ledger import GENESIS_PREVIOUS_HASH, block_seal, leaf_hash
from governance.models import AuditBlock, AuditLeaf

from .checkpoints import checkpoints_pending_post, checkpoints_pending_write
from .keys import audit_signing_key
from .kinds import KINDS, Kind
from .records import records_stream, unsealed

# Records per block: a proof reads its block's leaf hashes, so blocks stay this small
# (3.2 MB of hashes); a large backlog becomes several blocks, one transaction each.
MAX_BLOCK_RECORDS = 100_000
LEAF_INSERT_BATCH = 5_000
LEAF_COLUMNS = ("block_id", "kind", "record_id", "position", "leaf_hash")


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


def _leaves_insert(block: AuditBlock, kind: str, texts: Sequence[str], hashes: Sequence[bytes]) -> None:
    if connection.vendor == "postgresql":
        # COPY: a block's leaves in one statement, several times faster than INSERTs.
        # Ids are digits or UUIDs, kinds [a-z0-9_]: nothing to escape in COPY's text format.
        buffer = io.StringIO()
        buffer.writelines(
            f"{block.pk}\t{kind}\t{text}\t{position}\t\\\\x{digest.hex()}\n"
            for position, (text, digest) in enumerate(zip(texts, hashes, strict=True))
        )
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {AuditLeaf._meta.db_table} ({', '.join(LEAF_COLUMNS)}) FROM STDIN", buffer)
        return
    AuditLeaf.objects.bulk_create(
        (
            AuditLeaf(block=block, kind=kind, record_id=text, position=position, leaf_hash=digest)
            for position, (text, digest) in enumerate(zip(texts, hashes, strict=True))
        ),
        batch_size=LEAF_INSERT_BATCH,
    )


def _block_write(
    kind: Kind, rows: Sequence[tuple[Any, str, bytes]], previous: AuditBlock | None, signing_key: Ed25519PrivateKey
) -> AuditBlock:
    """Sign and store one block over `rows` (pk, pk text, canonical record), in one
    transaction: a sealer killed before it commits leaves no trace of the block."""
    hashes = [leaf_hash(record) for _, _, record in rows]
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
    head = sealed.head
    with transaction.atomic():
        block = AuditBlock.objects.create(
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
        _leaves_insert(block, kind.name, [text for _, text, _ in rows], hashes)
    return block


def _kind_seal(kind: Kind, signing_key: Ed25519PrivateKey) -> list[AuditBlock]:
    """Seal every record of `kind` in no block yet, MAX_BLOCK_RECORDS a block.

    The unsealed rows are read in one pass (a server-side cursor; outside a transaction
    PostgreSQL keeps it across the blocks' commits), not once per block: on a large
    backlog each pass is a scan of the whole table. The lock is held throughout, so a
    second sealer waits and then finds nothing left of what this one read."""
    blocks: list[AuditBlock] = []
    with _kind_lock(kind.name):
        previous = AuditBlock.objects.filter(kind=kind.name).order_by("-number").first()
        stream = records_stream(unsealed(kind).order_by("pk"), kind).rows
        while rows := list(islice(stream, MAX_BLOCK_RECORDS)):
            previous = _block_write(kind, rows, previous, signing_key)
            blocks.append(previous)
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
