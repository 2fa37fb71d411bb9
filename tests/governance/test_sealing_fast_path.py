"""The sealing fast path (PostgreSQL: server-side cursor, the query writing the canonical
text of most fields, Python encoders for the rest, the text around them per kind) builds
byte for byte the records `canonical_record` builds, which is the documented format
`docs/verify_proof.py` checks independently."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from governance.ledger import (
    CanonicalFormError,
    canonical_encode,
    canonical_record,
    digest_of,
    digest_text,
    record_pieces,
    value_text,
)
from governance.sealing.kinds import KINDS, KINDS_BY_NAME
from governance.sealing.records import (
    _column,
    _FastRecords,
    _orm_stream,
    kept_fast_path,
    kept_stream,
    records_stream,
    sql_text,
    with_text_id,
)
from predictions.models import DecisionLog
from tests.governance.audit_support import log_some_decisions

UUID = uuid.UUID("0190f3a2-7b1c-7def-8a12-3456789abcde")
FLOATS = [0.0, -0.0, 0.1, 2.0, 1e-07, 1e16, 1e22, -3.5e-310, 1.7976931348623157e308, 0.30000000000000004]
TEXTS = ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\x01\x1f", "ünïcødé €", "emoji \U0001f600", "%s %%"]
DATETIMES = [
    datetime(2026, 1, 5, 8, 30, 1, 5, tzinfo=UTC),
    datetime(2026, 1, 5, 8, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
DOCUMENTS = [
    [],
    {},
    None,
    [{"field": "debt_to_income", "contribution": 0.25}, {"z": [1, 2.5, None, True, "ü"], "a": {"y": 1, "b": 1e-07}}],
    {"b": 1, "a": [], "ä": "x", "A": -0.0},
    "a lone string",
    12345678901234567890,
]

# (value type, the value as the driver hands it over, the value as the ORM does)
CASES = (
    [("text", text, text) for text in TEXTS]
    + [("quoted", str(UUID), UUID), ("quoted", "00ff10", b"\x00\xff\x10")]
    + [("int", n, n) for n in (0, -7, 2**70)]
    + [("bool", flag, flag) for flag in (True, False)]
    + [("float", number, number) for number in FLOATS]
    + [("datetime", moment, moment) for moment in DATETIMES]
    + [("date", day, day) for day in (date(2026, 2, 28), date(1, 1, 1))]
    # The database's text of a JSON document is not canonical (spaces, its own key order).
    + [("json", json.dumps(document, indent=1, sort_keys=False), document) for document in DOCUMENTS]
)


@pytest.mark.parametrize(("value_type", "raw", "value"), CASES)
def test_each_column_encoder_writes_the_canonical_encoding_and_its_digest(value_type, raw, value):
    for nullable in (False, True):
        text = value_text(value_type, nullable=nullable)
        assert text(raw).encode("utf-8") == canonical_encode(value)
        assert json.loads(digest_text(text)(raw)) == digest_of(value)


@pytest.mark.parametrize("value_type", ["text", "quoted", "int", "bool", "float", "datetime", "date", "json"])
def test_a_nullable_column_writes_null_and_its_digest(value_type):
    text = value_text(value_type, nullable=True)
    assert text(None) == "null" == canonical_encode(None).decode()
    assert json.loads(digest_text(text)(None)) == digest_of(None)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinities_are_refused_as_canonical_record_refuses_them(number):
    with pytest.raises(CanonicalFormError):
        canonical_record(kind="decision", record_id=1, fields={"x": number})
    with pytest.raises(CanonicalFormError):
        value_text("float", nullable=False)(number)


def test_a_record_from_its_pieces_is_the_canonical_record():
    keys = ["zeta", "alpha", "probability_sha256", "probability", "a%b", "%s"]
    texts = ["text", "json", "quoted", "float", "int", "text"]
    values = {"zeta": "ü", "alpha": {"b": [1.5]}, "probability_sha256": "ab" * 32, "probability": 0.25, "a%b": 3}
    values["%s"] = "%%s"
    pieces, order = record_pieces("decision", keys)
    assert len(pieces) == len(keys) + 2
    for record_id, id_text in ((UUID, f'"{UUID}"'), (42, "42")):
        raws = [json.dumps(values[k]) if text == "json" else values[k] for k, text in zip(keys, texts, strict=True)]
        parts = [value_text(texts[i], nullable=False)(raws[i]) for i in order] + [id_text]
        built = "".join(piece + part for piece, part in zip(pieces, parts, strict=False)) + pieces[-1]
        assert built.encode("utf-8") == canonical_record(kind="decision", record_id=record_id, fields=values)


def test_a_record_without_fields_from_its_pieces_is_the_canonical_record():
    pieces, order = record_pieces("decision", [])
    assert order == []
    assert (pieces[0] + "7" + pieces[1]).encode() == canonical_record(kind="decision", record_id=7, fields={})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path reads PostgreSQL")
def test_every_kind_takes_the_fast_path_on_postgresql(db):
    kept = KINDS_BY_NAME["decision"].kept_digest
    assert all(_FastRecords.of(kind) is not None for kind in KINDS)
    # The kept digest's columns too (kept_stream), which verify then reads in its worker.
    kind = KINDS_BY_NAME["decision"]
    assert all(_column(kind, name) is not None for name in (kept.column, *kept.data_fields, kept.cleared_at))
    assert [kind.name for kind in KINDS if kept_fast_path(kind)] == ["decision"]


def test_the_stream_builds_the_orm_paths_records_for_every_kind(production_version, log_decisions):
    log_some_decisions(log_decisions, production_version, count=10)
    decision = DecisionLog.objects.first()
    # A decision with what the API never writes: no inputs, awkward text, nested JSON.
    DecisionLog.objects.create(
        request_id='req "ü" \\ %s',
        client_id=decision.client_id,
        model_version=production_version,
        inputs=None,
        features=None,
        probability=1e-07,
        decision="decline",
        risk_band="B4",
        reason_codes=[{"field": "ä", "contribution": -0.0, "nested": {"b": None, "a": [1, 2.5e300]}}],
        latency_ms=0.1,
        created_at=datetime(2026, 1, 5, 8, 30, 1, 5, tzinfo=UTC),
    )
    seen = set()
    for kind in KINDS:
        rows = with_text_id(kind).order_by("pk")
        fast = [(str(row[0]), row[1], row[2]) for row in records_stream(rows, kind)]
        orm = [(str(row[0]), row[1], row[2]) for row in _orm_stream(rows, kind)]
        assert fast == orm, kind.name
        if orm:
            seen.add(kind.name)
    assert {"decision", "outcome", "transition", "governance_event", "model_version_history"} <= seen


def test_the_kept_digest_of_the_streamed_data_is_the_rows_inputs_sha256(production_version, log_decisions):
    log_some_decisions(log_decisions, production_version, count=6)
    kind = KINDS_BY_NAME["decision"]
    stream = kept_stream(with_text_id(kind).order_by("pk"), kind)
    rows = list(stream.rows)
    assert len(rows) == 6
    for row in rows:
        assert stream.data_digest(row[2:4]) == row[1]


# (SQL_TEXT type, the PostgreSQL type of the column, the values a column of it holds): the
# CASES of every type PostgreSQL writes the canonical text of itself.
SQL_CASES = (
    [("text", "text", text) for text in TEXTS]
    + [("uuid", "uuid", UUID), ("hex", "bytea", b"\x00\xff\x10"), ("hex", "bytea", b"")]
    + [("int", "bigint", n) for n in (0, -7, 2**63 - 1, 1 - 2**63)]
    + [("int", "integer", n) for n in (0, 2**31 - 1)]
    + [("bool", "boolean", flag) for flag in (True, False)]
    + [("datetime", "timestamptz", moment) for moment in DATETIMES]
    + [("date", "date", day) for day in (date(2026, 2, 28), date(1, 1, 1), date(9999, 12, 31))]
)


def _sql_text_of(value_type, pg_type, value, *, nullable):
    expression = sql_text(value_type, RawSQL("value", [], output_field=TextField()), nullable=nullable)
    sql, params = expression.as_sql(Query(None).get_compiler(connection=connection), connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (SELECT %s::{pg_type} AS value) AS given", [value, *params])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes these texts")
@pytest.mark.parametrize(("value_type", "pg_type", "value"), SQL_CASES)
def test_postgresql_writes_the_canonical_encoding_of_each_column_type(db, value_type, pg_type, value):
    for nullable in (False, True):
        assert _sql_text_of(value_type, pg_type, value, nullable=nullable).encode("utf-8") == canonical_encode(value)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes these texts")
@pytest.mark.parametrize(("value_type", "pg_type"), sorted({case[:2] for case in SQL_CASES}))
def test_postgresql_writes_null_for_null_in_a_nullable_column_only(db, value_type, pg_type):
    assert _sql_text_of(value_type, pg_type, None, nullable=True) == "null"
    # NULL, which the record refuses: a column that may not be NULL holds no NULL to write.
    assert _sql_text_of(value_type, pg_type, None, nullable=False) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes these texts")
@pytest.mark.parametrize(
    ("value_type", "pg_type", "text"),
    [
        ("datetime", "timestamptz", "infinity"),
        ("datetime", "timestamptz", "-infinity"),
        ("datetime", "timestamptz", "10000-01-01 00:00:00+00"),
        ("datetime", "timestamptz", "0001-12-31 23:59:59.999999+00 BC"),
        ("date", "date", "infinity"),
        ("date", "date", "10000-01-01"),
        ("date", "date", "0001-12-31 BC"),
    ],
)
def test_postgresql_writes_no_text_for_a_time_outside_the_canonical_years(db, value_type, pg_type, text):
    # Python holds the years 1 to 9999 only: the ORM cannot read these either.
    for nullable in (False, True):
        assert _sql_text_of(value_type, pg_type, text, nullable=nullable) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path reads PostgreSQL")
def test_a_decision_dated_outside_the_canonical_years_is_refused_not_sealed(production_version, log_decisions):
    log_some_decisions(log_decisions, production_version, count=2)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DecisionLog._meta.db_table} (id, request_id, client_id, model_version_id, probability,"
            " decision, risk_band, reason_codes, latency_ms, created_at, demo)"
            " SELECT %s, 'dated infinity', client_id, model_version_id, probability, decision, risk_band, reason_codes,"
            " latency_ms, 'infinity', false FROM predictions_decisionlog LIMIT 1",
            [str(uuid.uuid4())],
        )
    kind = KINDS_BY_NAME["decision"]
    with pytest.raises(CanonicalFormError, match="no canonical encoding"):
        list(records_stream(with_text_id(kind).order_by("pk"), kind))


@pytest.mark.parametrize("document", [' {"b": 1, "a": [2.5]} ', '\n[1, {"y": null, "x": "ü"}]\t', " 7"])
def test_a_json_document_with_whitespace_around_it_writes_its_canonical_encoding(document):
    assert value_text("json", nullable=False)(document).encode() == canonical_encode(json.loads(document))


@pytest.mark.parametrize("document", ['{"a": 1} x', "", "tru", "[1e400]", '{"a": NaN}', "[1,]"])
def test_a_json_document_that_is_not_canonical_json_is_refused(document):
    with pytest.raises(CanonicalFormError):
        value_text("json", nullable=False)(document)
