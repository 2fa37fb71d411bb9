"""Reading records and blocks as the ledger sees them: rows of a kind as canonical
records, stored blocks as `SealedBlock`s."""

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, F, Func, OuterRef, QuerySet, TextField, Value
from django.db.models.functions import Cast, Collate

from governance.ledger import (
    BlockHead,
    CanonicalFormError,
    SealedBlock,
    ValueText,
    digest_of,
    digest_text,
    object_pieces,
    record_pieces,
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


@contextmanager
def snapshot_connection(snapshot: str | None = None) -> Iterator[BaseDatabaseWrapper]:
    """A PostgreSQL connection of its own, in one REPEATABLE READ, READ ONLY transaction
    opened now, or in the exported `snapshot` of another transaction (what that one sees,
    `pg_export_snapshot`); closed afterwards."""
    this = connections[DEFAULT_DB_ALIAS]
    reader = type(this)(this.settings_dict, this.alias)
    try:
        reader.set_autocommit(False)
        with reader.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if snapshot is not None:
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        yield reader
        reader.rollback()
    finally:
        reader.close()


@contextmanager
def reading_connection() -> Iterator[BaseDatabaseWrapper | None]:
    """The connection to stream a large read on while this one writes and commits.

    On PostgreSQL outside a transaction: a `snapshot_connection` opened now (after
    whatever lock the caller took). On it the server-side cursor computes rows as they
    are fetched. On this connection it would have to be kept across the writes' commits
    (WITH HOLD), and PostgreSQL computes such a cursor's whole result at the first
    commit, while the caller waits: 11 s for a million decisions. Inside a transaction
    (which a second connection could not see into) and elsewhere: None, read on this
    connection."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with snapshot_connection() as reader:
        yield reader


def rows_stream(
    queryset: QuerySet[Any], *, read_ahead: bool = False, using: BaseDatabaseWrapper | None = None
) -> Iterator[tuple[Any, ...]]:
    """The rows of a `values_list` queryset. On PostgreSQL its SQL runs on a server-side
    cursor and the rows are the driver's, without Django's per-value converters: the
    caller selects columns that need none (text casts, numbers, times, bytes).

    `read_ahead` fetches the next batch while the caller works on this one, for a reader
    that sends no other statement on the connection until the stream ends (verifying,
    or sealing on a `reading_connection` of its own). `using`: the connection to read
    on, this one by default."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=CHUNK)
        return
    sql, params = queryset.query.sql_with_params()
    with (using or connection).chunked_cursor() as cursor:
        cursor.execute(sql, params)
        batches = _batches_read_ahead(cursor) if read_ahead else iter(lambda: cursor.fetchmany(CHUNK), [])
        for rows in batches:
            yield from rows


def _batches_read_ahead(cursor: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The cursor's batches, the next one fetched in a thread meanwhile: PostgreSQL
    computes and sends it while Python works (the driver waits for the server without
    holding the GIL). The thread has stopped before this generator ends, however it ends,
    so the cursor can be closed."""
    batches: queue.Queue[list[tuple[Any, ...]] | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: list[tuple[Any, ...]] | BaseException) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(CHUNK)
                hand_over(rows)
                if not rows:
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            hand_over(exc)

    thread = threading.Thread(target=fetch, name="audit-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        thread.join()


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

# The canonical text of a value, written by PostgreSQL, for the value types whose canonical
# form is the database's own text output (at most quoted, or escaped as JSON's strings are:
# to_json escapes ", \ and the control characters exactly as the canonical encoder does).
# Times outside the years 1 to 9999 (and infinity) give NULL, which the record refuses,
# as the driver refuses to read them. Floats (PostgreSQL writes 1 where the canonical form
# has 1.0) and JSON documents (jsonb's own key order and spacing) stay with Python.
_COLUMN = "%(expressions)s"
SQL_TEXT = {
    "text": f"to_json({_COLUMN})::text",
    "uuid": f"'\"' || ({_COLUMN})::text || '\"'",
    "hex": f"'\"' || encode({_COLUMN}, 'hex') || '\"'",
    "int": f"({_COLUMN})::text",
    "bool": f"CASE WHEN {_COLUMN} THEN 'true' WHEN NOT {_COLUMN} THEN 'false' END",
    "datetime": (
        f"CASE WHEN {_COLUMN} >= '0001-01-01 00:00:00+00'::timestamptz "
        f"AND {_COLUMN} < '10000-01-01 00:00:00+00'::timestamptz "
        f"THEN '\"' || to_char({_COLUMN} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '\"' END"
    ),
    "date": (
        f"CASE WHEN {_COLUMN} BETWEEN '0001-01-01'::date AND '9999-12-31'::date "
        f"THEN '\"' || to_char({_COLUMN}, 'YYYY-MM-DD') || '\"' END"
    ),
}


def sql_text(value_type: str, column: Any, *, nullable: bool) -> Func:
    """`column`'s canonical text as PostgreSQL writes it (`SQL_TEXT`); `null` for NULL
    when the column may hold it."""
    template = SQL_TEXT[value_type]
    if nullable:
        template = f"CASE WHEN {_COLUMN} IS NULL THEN 'null' ELSE {template} END"
    return Func(column, template=template, output_field=TextField())


def _field(kind: Kind, name: str) -> tuple[Any, str]:
    """The field `name` of the kind's model, and the internal type of what it stores (a
    foreign key stores its target's type)."""
    field: Any = kind.model._meta.get_field(name)
    target = field
    while target.is_relation:
        target = target.target_field
    return field, target.get_internal_type()


def _column(kind: Kind, name: str) -> tuple[Any, ValueText] | None:
    """(select expression, its canonical text in Python) for one field, or None for a
    field the fast path does not know (then the kind is read through the ORM)."""
    field, internal = _field(kind, name)
    column = _column_of(field, internal, name)
    return None if column is None else (column[0], value_text(column[1], nullable=field.null))


def _column_of(field: Any, internal: str, name: str) -> tuple[Any, str] | None:
    if internal == "JSONField":
        plain = field.decoder is None
        return (Cast(name, TextField()), "json") if plain else None
    if _custom(field):
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


def _custom(field: Any) -> bool:
    """A custom field with its own conversion from the database (a foreign key's is its
    target's)."""
    while field.is_relation:
        field = field.target_field
    return hasattr(field, "from_db_value")


def _sql_type(field: Any, internal: str) -> str | None:
    """The `SQL_TEXT` type of a field whose canonical text PostgreSQL writes, else None."""
    if _custom(field):
        return None
    if internal == "UUIDField":
        return "uuid"
    if internal == "BinaryField":
        return "hex"
    if internal in _TEXT_TYPES:
        return "text"
    if internal in _INT_TYPES:
        return "int"
    return {"BooleanField": "bool", "DateTimeField": "datetime", "DateField": "date"}.get(internal)


def _joined(parts: Sequence[Any]) -> Any:
    """The SQL concatenation of text expressions (`||`: NULL if any part is NULL, where
    CONCAT would skip it)."""
    if len(parts) == 1:
        return parts[0]
    return Func(*parts, template="(%(expressions)s)", arg_joiner=" || ", output_field=TextField())


@dataclass(frozen=True)
class _FastRecords:
    """A kind's canonical records as PostgreSQL writes most of them (PostgreSQL).

    A record is selected as texts alternating with the values only Python encodes (floats,
    JSON documents, digests): `text, value, text, ..., text`, the texts holding the keys,
    the punctuation and the canonical text of every other field and of the id. `encoders`
    are (position among those columns, canonical text) of the values."""

    kind: Kind
    columns: tuple[Any, ...]
    encoders: tuple[tuple[int, ValueText], ...]

    @classmethod
    def of(cls, kind: Kind) -> "_FastRecords | None":
        names = [*kind.fields, *(f"{name}_sha256" for name in kind.digests)]
        pieces, order = record_pieces(kind.name, names)
        columns: list[Any] = []
        encoders: list[tuple[int, ValueText]] = []
        text: list[Any] = [Value(pieces[0], output_field=TextField())]
        for piece, index in zip(pieces[1:], [*order, None], strict=True):
            if index is None:  # the id
                text.append(sql_text("uuid" if kind.uuid_ids else "int", F("pk"), nullable=False))
            else:
                name = kind.record_fields[index]
                field, internal = _field(kind, name)
                sql_type = _sql_type(field, internal) if index < len(kind.fields) else None
                if sql_type is not None:
                    text.append(sql_text(sql_type, F(name), nullable=field.null))
                else:
                    column = _column(kind, name)
                    if column is None:
                        return None
                    encoder = column[1] if index < len(kind.fields) else digest_text(column[1])
                    columns.append(_joined(text))
                    encoders.append((len(columns), encoder))
                    columns.append(column[0])
                    text = []
            text.append(Value(piece, output_field=TextField()))
        columns.append(_joined(text))
        return cls(kind, tuple(columns), tuple(encoders))

    def rows(
        self, queryset: QuerySet[Any], *, read_ahead: bool, using: BaseDatabaseWrapper | None
    ) -> Iterator[tuple[Any, ...]]:
        selected = {f"_audit_{index}": column for index, column in enumerate(self.columns)}
        values = queryset.annotate(**selected).values_list("_pk_text", *selected)
        return rows_stream(values, read_ahead=read_ahead, using=using)


def _kept_digest_text(kind: Kind, texts: Sequence[ValueText]) -> Callable[[Sequence[Any]], str]:
    """`digest_of({data field: value, ...})` from the data columns' fast-path values."""
    assert kind.kept_digest is not None  # nosec B101
    pieces, order = object_pieces(kind.kept_digest.data_fields)
    ordered = [(texts[i], i) for i in order]
    last = pieces[-1]
    sha256 = hashlib.sha256

    def digest(data: Sequence[Any]) -> str:
        parts = [part for (text, i), piece in zip(ordered, pieces, strict=False) for part in (piece, text(data[i]))]
        parts.append(last)
        return sha256("".join(parts).encode("utf-8")).hexdigest()

    return digest


def _fast_stream(
    kind: Kind, fast: _FastRecords, queryset: QuerySet[Any], *, read_ahead: bool, using: BaseDatabaseWrapper | None
) -> Iterator[tuple[Any, ...]]:
    encoders = [(1 + index, encode) for index, encode in fast.encoders]
    for row in fast.rows(queryset, read_ahead=read_ahead, using=using):
        parts = list(row)
        for index, encode in encoders:
            parts[index] = encode(parts[index])
        pk = parts[0]
        parts[0] = ""
        try:
            record = "".join(parts)
        except TypeError:
            # NULL from the query: a time outside what the canonical form (and Python) holds.
            raise CanonicalFormError(
                f"The {kind.name} record {pk} holds a value with no canonical encoding (version 1)."
            ) from None
        yield (pk, pk, record.encode("utf-8"))


def records_stream(
    queryset: QuerySet[Any], kind: Kind, *, read_ahead: bool = False, using: BaseDatabaseWrapper | None = None
) -> Iterator[tuple[Any, str, bytes]]:
    """(pk, pk text, canonical record) of each row of `queryset`.

    On PostgreSQL the rows come from a server-side cursor without the ORM's conversions,
    the query writes the canonical text of most fields itself (`SQL_TEXT`) and Python
    encodes the rest into the text around them (`governance.ledger.record_pieces`): the
    same bytes as `Kind.record` builds through `canonical_record`. Elsewhere, or for a
    field type the fast path does not know, through `Kind.record`. The pk comes as the
    database's text on the fast path, as the ORM's value otherwise: `Kind.record_id`
    takes either. `read_ahead` and `using` as for `rows_stream`."""
    fast = _FastRecords.of(kind) if connection.vendor == "postgresql" else None
    if fast is not None:
        return _fast_stream(kind, fast, queryset, read_ahead=read_ahead, using=using)
    return _orm_stream(queryset, kind)


@dataclass(frozen=True)
class KeptStream:
    """Rows (pk text, kept digest, *data, cleared at) and the digest of a row's data."""

    rows: Iterator[tuple[Any, ...]]
    data_digest: Callable[[Sequence[Any]], str]


def kept_stream(
    queryset: QuerySet[Any], kind: Kind, *, read_ahead: bool = False, using: BaseDatabaseWrapper | None = None
) -> KeptStream:
    """The kept digest, data and clearing time of each row of a kind with a kept digest,
    to check the data against the digest. On PostgreSQL without the ORM's conversions
    (`_column`), the digest computed from the text the query writes; elsewhere through
    the ORM and `digest_of`. `read_ahead` and `using` as for `rows_stream`."""
    kept = kind.kept_digest
    assert kept is not None  # nosec B101
    fast = _kept_columns(kind)
    if fast is not None:
        selected = {f"_kept_{index}": column[0] for index, column in enumerate(fast)}
        values = queryset.annotate(**selected).values_list("_pk_text", *selected)
        digest = _kept_digest_text(kind, [column[1] for column in fast[1:-1]])
        return KeptStream(rows_stream(values, read_ahead=read_ahead, using=using), digest)
    if using is not None:
        # The ORM reads on the default connection only (in a forked worker, the parent's).
        raise ValueError(f"The {kind.name} kept digests can be read on another connection only on the fast path.")
    return KeptStream(
        queryset.values_list("_pk_text", kept.column, *kept.data_fields, kept.cleared_at).iterator(chunk_size=CHUNK),
        lambda data: digest_of(dict(zip(kept.data_fields, data, strict=True))),
    )


def kept_fast_path(kind: Kind) -> bool:
    """Whether `kept_stream` reads the kind's kept digests without the ORM (and so can
    read them on a connection of its own)."""
    return kind.kept_digest is not None and _kept_columns(kind) is not None


def _kept_columns(kind: Kind) -> list[tuple[Any, ValueText]] | None:
    kept = kind.kept_digest
    if kept is None or connection.vendor != "postgresql":
        return None
    columns = [_column(kind, name) for name in (kept.column, *kept.data_fields, kept.cleared_at)]
    fast = [column for column in columns if column is not None]
    return fast if len(fast) == len(columns) else None


def _orm_stream(queryset: QuerySet[Any], kind: Kind) -> Iterator[tuple[Any, str, bytes]]:
    for row in queryset.values_list("pk", "_pk_text", *kind.record_fields).iterator(chunk_size=CHUNK):
        yield (row[0], row[1], kind.record(row[0], row[2:]))
