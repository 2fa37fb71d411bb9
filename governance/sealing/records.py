"""Reading records and blocks as the ledger sees them: rows of a kind as canonical
records, stored blocks as `SealedBlock`s."""

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, QuerySet, TextField, Value
from django.db.models.functions import Cast, Collate

from governance.ledger import (
    BlockHead,
    SealedBlock,
    ValueText,
    digest_of,
    digest_text,
    object_template,
    record_template,
    value_text,
)
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


def rows_stream(queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a `values_list` queryset. On PostgreSQL its SQL runs on a server-side
    cursor and the rows are the driver's, without Django's per-value converters: the
    caller selects columns that need none (text casts, numbers, times, bytes)."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=CHUNK)
        return
    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


# How a column of each field type is selected on the fast path (text for the types whose
# driver conversion is slow or whose text is the canonical value) and encoded.
_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})
_INT_TYPES = frozenset(
    {
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
    }
)
_DIRECT = {"BooleanField": "bool", "FloatField": "float", "DateTimeField": "datetime", "DateField": "date"}


def _column(kind: Kind, name: str) -> tuple[Any, ValueText] | None:
    """(select expression, its canonical text) for one field, or None for a field the
    fast path does not know (then the kind is read through the ORM)."""
    field: Any = kind.model._meta.get_field(name)
    column = _column_of(field, name)
    return None if column is None else (column[0], value_text(column[1], nullable=field.null))


def _column_of(field: Any, name: str) -> tuple[Any, str] | None:
    while field.is_relation:
        field = field.target_field
    internal = field.get_internal_type()
    if internal == "JSONField":
        plain = field.decoder is None
        return (Cast(name, TextField()), "json") if plain else None
    if hasattr(field, "from_db_value"):  # a custom field with its own conversion
        return None
    if internal == "UUIDField":
        return Cast(name, TextField()), "quoted"
    if internal == "BinaryField":
        return Func(F(name), Value("hex"), function="encode", output_field=TextField()), "quoted"
    if internal in _TEXT_TYPES:
        return F(name), "text"
    if internal in _INT_TYPES:
        return F(name), "int"
    if internal in _DIRECT:
        return F(name), _DIRECT[internal]
    return None


@dataclass(frozen=True)
class _FastRecords:
    """A kind's canonical records built column by column from a template (PostgreSQL)."""

    kind: Kind
    columns: tuple[Any, ...]
    texts: tuple[ValueText, ...]

    @classmethod
    def of(cls, kind: Kind, names: Sequence[str]) -> "_FastRecords | None":
        columns = [_column(kind, name) for name in names]
        if any(column is None for column in columns):
            return None
        return cls(
            kind,
            tuple(column[0] for column in columns if column),
            tuple(column[1] for column in columns if column),
        )

    def rows(self, queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
        selected = {f"_audit_{index}": column for index, column in enumerate(self.columns)}
        return rows_stream(queryset.annotate(**selected).values_list("_pk_text", *selected))


def _kept_digest_text(kind: Kind, texts: Sequence[ValueText]) -> Callable[[Sequence[Any]], str]:
    """`digest_of({data field: value, ...})` from the data columns' fast-path values."""
    assert kind.kept_digest is not None  # nosec B101
    template, order = object_template(kind.kept_digest.data_fields)
    ordered = [texts[i] for i in order]
    sha256 = hashlib.sha256

    def digest(data: Sequence[Any]) -> str:
        parts = tuple([text(data[i]) for text, i in zip(ordered, order, strict=True)])
        return sha256((template % parts).encode("utf-8")).hexdigest()

    return digest


def _fast_stream(kind: Kind, fast: _FastRecords, queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    width = len(kind.record_fields)
    fields = len(kind.fields)
    texts = list(fast.texts[:fields]) + [digest_text(text) for text in fast.texts[fields:width]]
    template, order = record_template(kind.name, [*kind.fields, *(f"{name}_sha256" for name in kind.digests)])
    # (encoder, the row's column) in the template's order; the id fills the last slot.
    slots = [(texts[i], 1 + i) for i in order]
    quote = kind.uuid_ids
    for row in fast.rows(queryset):
        pk = row[0]
        parts = [text(row[i]) for text, i in slots]
        parts.append(f'"{pk}"' if quote else pk)
        yield (pk, pk, (template % tuple(parts)).encode("utf-8"), *row[1 + width :])


@dataclass(frozen=True)
class RecordStream:
    """Rows (pk, pk text, canonical record, *extra values), and the kept digest of the
    data among the extra values (`Kind.kept_digest`'s data fields, in order)."""

    rows: Iterator[tuple[Any, ...]]
    data_digest: Callable[[Sequence[Any]], str]


def records_stream(queryset: QuerySet[Any], kind: Kind, *extra: str) -> RecordStream:
    """The canonical record of each row of `queryset`, with the values of `extra`.

    On PostgreSQL the rows come from a server-side cursor without the ORM's conversions
    and each record is filled into its kind's template (`governance.ledger.record_template`),
    the same bytes as `Kind.record` builds through `canonical_record`; elsewhere, or for a
    field type the fast path does not know, through `Kind.record`. The pk comes as the
    database's text on the fast path, as the ORM's value otherwise: `Kind.record_id`
    takes either."""
    kept = kind.kept_digest
    data_fields = kept.data_fields if kept else ()
    fast = _FastRecords.of(kind, [*kind.record_fields, *extra]) if connection.vendor == "postgresql" else None
    if fast is not None:
        data_at = [len(kind.record_fields) + extra.index(name) for name in data_fields if name in extra]
        digest = _kept_digest_text(kind, [fast.texts[i] for i in data_at]) if kept and data_at else _no_digest
        return RecordStream(_fast_stream(kind, fast, queryset), digest)
    return RecordStream(
        _orm_stream(queryset, kind, *extra), lambda data: digest_of(dict(zip(data_fields, data, strict=True)))
    )


def _no_digest(data: Sequence[Any]) -> str:
    raise LookupError("No kept data was selected.")


def _orm_stream(queryset: QuerySet[Any], kind: Kind, *extra: str) -> Iterator[tuple[Any, ...]]:
    names = ("pk", "_pk_text", *kind.record_fields, *extra)
    width = len(kind.record_fields)
    for row in queryset.values_list(*names).iterator(chunk_size=CHUNK):
        values = row[2 : 2 + width]
        yield (row[0], row[1], kind.record(row[0], values), *row[2 + width :])
