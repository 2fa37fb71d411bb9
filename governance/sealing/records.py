"""Reading records and blocks as the ledger sees them: rows of a kind as canonical
records, stored blocks as `SealedBlock`s."""

from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, TextField
from django.db.models.functions import Cast, Collate

from governance.ledger import BlockHead, SealedBlock
from governance.models import AuditBlock, AuditLeaf

from .kinds import Kind

# Server-side cursor batch: rows stream from PostgreSQL without being held all at once.
CHUNK = 10_000


def sealed_block(block: AuditBlock) -> SealedBlock:
    head = BlockHead(
        kind=block.kind,
        block_number=block.number,
        first_position=block.first_position,
        record_count=block.record_count,
        first_record_id=block.first_record_id,
        last_record_id=block.last_record_id,
        merkle_root=block.merkle_root,
        previous_block_hash=block.previous_block_hash,
        signed_at=block.signed_at,
        key_id=block.key_id,
        version=block.version,
    )
    return SealedBlock(head=head, block_hash=block.block_hash, signature=block.signature)


def with_text_id(kind: Kind) -> QuerySet[Any]:
    """The kind's rows with `_pk_text`, the primary key as the database writes it as text
    (what `AuditLeaf.record_id` holds)."""
    return kind.model._default_manager.annotate(_pk_text=Cast("pk", TextField()))


def unsealed(kind: Kind) -> QuerySet[Any]:
    """The kind's rows that are in no block, whatever their id: a transaction that
    commits late adds rows below ids already sealed, and they are sealed next time."""
    leaves = AuditLeaf.objects.filter(kind=kind.name, record_id=OuterRef("_pk_text"))
    rows = with_text_id(kind).filter(~Exists(leaves))
    return rows if kind.sealable is None else rows.filter(kind.sealable)


def binary_order(expression: str) -> Collate:
    """Code-point order, the order Python compares strings in, on either database."""
    return Collate(expression, "C" if connection.vendor == "postgresql" else "BINARY")


def records_stream(queryset: QuerySet[Any], kind: Kind, *extra: str) -> Iterator[tuple[Any, ...]]:
    """(pk, pk text, canonical record, *extra values) per row of `queryset`."""
    names = ("pk", "_pk_text", *kind.record_fields, *extra)
    width = len(kind.record_fields)
    for row in queryset.values_list(*names).iterator(chunk_size=CHUNK):
        values = row[2 : 2 + width]
        yield (row[0], row[1], kind.record(row[0], values), *row[2 + width :])
