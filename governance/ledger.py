"""The tamper-evident audit ledger's cryptographic core: canonical records, Merkle trees,
signed block heads and per-record inclusion proofs.

Pure: the standard library and `cryptography` (Ed25519), no Django. The formats are
specified in docs/audit_ledger.md; `docs/verify_proof.py` re-implements the proof check
independently for examiners.

Records. A record of one kind (decision, transition, ...) becomes the canonical bytes of
`{"fields": {...}, "id": <id>, "kind": <kind>, "v": 1}` (`canonical_record`), and its
leaf hash is SHA-256(0x00 || those bytes). The kind and the serialization version are
inside the hashed bytes, so a leaf cannot be presented as a record of another kind.
Personal data that retention may clear later enters a record as `digest_of(data)`: the
leaf commits to the hash, which is kept, and the data can go.

Trees. RFC 6962 / RFC 9162 section 2.1: node = SHA-256(0x01 || left || right), the tree
over n leaves splits at the largest power of two smaller than n, the empty tree's root is
SHA-256 of the empty string. Inclusion proofs are the RFC's audit paths, verified with
the algorithm of RFC 9162 section 2.1.3.2.

Blocks. Each kind has its own chain of blocks. A block's head (`BlockHead`) names the
kind, the block number (from 1), the chain positions and ids of its first and last
records, the record count, the Merkle root, the previous block's hash (64 zeros for block
1), the signing time, the serialization version and the signing key's id. The block hash
is SHA-256 of the head's canonical bytes and the Ed25519 signature is over those 32 bytes.

Hex is lowercase throughout; a key id is the SHA-256 of the raw 32-byte Ed25519 public
key, all 64 hex digits.
"""

import hashlib
import json
import json.scanner as json_scanner
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SERIALIZATION_VERSION = 1
PROOF_FORMAT = "loanportal.audit-proof"
PROOF_FORMAT_VERSION = 1
HASH_SIZE = 32
GENESIS_PREVIOUS_HASH = "0" * 64
EMPTY_TREE_ROOT = hashlib.sha256(b"").digest()

RecordId = uuid.UUID | int | str

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_SIGNATURE = re.compile(r"[0-9a-f]{128}")
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class LedgerError(Exception):
    """Something the ledger cannot encode, load or parse; the message says what and why."""


class CanonicalFormError(LedgerError):
    """A value outside what the canonical serialization encodes."""


class SigningKeyError(LedgerError):
    """A key file that is missing, unreadable or not an Ed25519 key of the expected kind."""


class BlockHeadError(LedgerError):
    """A block head, or a sealed block's document, with a missing or malformed field."""


# ---------------------------------------------------------------------------------------
# Canonical serialization, version 1
# ---------------------------------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    if value.utcoffset() is None:
        raise CanonicalFormError(f"The datetime {value.isoformat()} has no time zone; only aware ones are encoded.")
    if value.tzinfo is not UTC:  # the database hands back UTC already
        value = value.astimezone(UTC)
    # isoformat keeps four year digits where strftime's %Y may not; it ends in +00:00.
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


# The JSON strings standing for values JSON has no type for, by exact type first (one
# dict lookup per value on the sealing path), then for subclasses.
_CONVERTERS: dict[type, Callable[[Any], str]] = {
    uuid.UUID: str,
    datetime: _timestamp,
    date: date.isoformat,
    bytes: bytes.hex,
    bytearray: bytearray.hex,
    memoryview: memoryview.hex,
}


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _scalar(value: Any) -> str:
    """The encoder's fallback for a value it has no JSON type for."""
    converter = _CONVERTERS.get(type(value))
    if converter is None:
        converter = next((c for kind, c in _CONVERTERS.items() if isinstance(value, kind)), None)
        if converter is None:
            raise CanonicalFormError(f"A value of type {_type_name(value)} has no canonical encoding (version 1).")
    return converter(value)


# Built once: json.dumps would build an encoder per call. Sorted keys, no whitespace,
# UTF-8 rather than \u escapes, NaN and infinity refused, floats as Python's shortest
# round-trip repr. No circular-reference bookkeeping: `_refuse_non_text_keys` walks every
# container first, and a circular value ends that walk with a RecursionError.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False, default=_scalar
)
_CONTAINERS = (dict, list, tuple)
_TEXT = frozenset({str})
_SCALARS = frozenset({str, int, float, bool, type(None), *_CONVERTERS})


def _refuse_non_text_keys(value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> None:
    # json turns int, float, bool and None keys into strings, which would give {1: x} and
    # {"1": x} the same bytes; the canonical form accepts string keys only. This runs on
    # every record, so the common case (string keys, scalar values) is decided by set
    # lookups over the items' types in C; items are visited one by one only otherwise.
    items: Any = value
    if isinstance(value, dict):
        if not _TEXT.issuperset(map(type, value)):
            for key in value:
                if not isinstance(key, str):
                    raise CanonicalFormError(f"Mapping keys must be strings; {key!r} is a {type(key).__name__}.")
        items = value.values()
    if not _SCALARS.issuperset(map(type, items)):
        for item in items:
            if isinstance(item, _CONTAINERS):
                _refuse_non_text_keys(item)


def _encode(value: Any, checked: Any) -> bytes:
    """`value`'s canonical bytes, once the containers in `checked` (the part of `value`
    that did not come from this module) pass `_refuse_non_text_keys`."""
    try:
        if isinstance(checked, _CONTAINERS):
            _refuse_non_text_keys(checked)
        elif type(value) in _CONVERTERS:  # a lone UUID, time or bytes: the encoder's fast path for str
            value = _CONVERTERS[type(value)](value)
        return _ENCODER.encode(value).encode("utf-8")
    except CanonicalFormError:
        raise
    except RecursionError as exc:
        raise CanonicalFormError("The value is nested too deeply or contains itself.") from exc
    except (ValueError, TypeError, OverflowError) as exc:  # NaN or infinity, lone surrogates
        raise CanonicalFormError(f"The value cannot be encoded canonically: {exc}.") from exc


def canonical_encode(value: Any) -> bytes:
    """The canonical bytes of a value (version 1): JSON with sorted keys, no insignificant
    whitespace, UTF-8 without \\u escapes for non-ASCII characters.

    None, bool, int, float (Python's shortest round-trip repr; NaN and infinity refused)
    and str map to JSON; a UUID to its lowercase hyphenated string; an aware datetime to
    UTC ISO 8601 with microseconds and "Z" (naive refused); a date to YYYY-MM-DD; bytes,
    bytearray and memoryview to lowercase hex; lists and tuples to arrays; dicts with
    string keys to objects, recursively. Anything else raises `CanonicalFormError`.
    The encoding is not self-describing (a UUID and its string encode alike): a record
    kind's field set fixes each field's type.
    """
    return _encode(value, value)


def digest_of(value: Any) -> str:
    """Hex SHA-256 of the value's canonical bytes: what a record keeps of data that
    retention may clear, so the leaf still verifies once the data is gone."""
    return hashlib.sha256(canonical_encode(value)).hexdigest()


def _check_kind(kind: Any) -> None:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise CanonicalFormError(
            f"A record kind is 1-64 lowercase letters, digits or underscores starting with a letter, not {kind!r}."
        )


def _check_record_id(record_id: Any) -> None:
    if isinstance(record_id, bool) or not isinstance(record_id, uuid.UUID | int | str) or record_id == "":
        raise CanonicalFormError(f"A record id is a UUID, an int or a non-empty string, not {record_id!r}.")


def canonical_record(*, kind: str, record_id: RecordId, fields: Mapping[str, Any]) -> bytes:
    """The bytes a record's leaf hashes: `canonical_encode` of
    {"v": 1, "kind": kind, "id": record_id, "fields": fields}."""
    _check_kind(kind)
    _check_record_id(record_id)
    fields = dict(fields)
    return _encode({"v": SERIALIZATION_VERSION, "kind": kind, "id": record_id, "fields": fields}, fields)


# ---------------------------------------------------------------------------------------
# The same bytes, one column at a time (the sealing fast path)
# ---------------------------------------------------------------------------------------
# Sealing and verifying a million records cannot afford a dict, a key sort and a walk of
# every value per record. A record kind's field set fixes each field's type, so each
# field's canonical text can be produced by one function chosen once per column (or, on
# PostgreSQL, by the query: governance.sealing.records), and the record assembled from the
# text around the values, which holds the sorted keys. The result is byte for byte
# `canonical_record` (tests/governance/test_sealing_fast_path.py checks every type).

ValueText = Callable[[Any], str]


def _or_null(encode: ValueText) -> ValueText:
    def text(value: Any) -> str:
        return "null" if value is None else encode(value)

    return text


def _float_text(value: float) -> str:
    if value - value:  # NaN for NaN and the infinities, 0.0 for every finite float
        raise CanonicalFormError(f"The value cannot be encoded canonically: the float {value!r} is not JSON.")
    return float.__repr__(value)


# Documents common enough to skip parsing (an empty list of reason codes).
_JSON_CONSTANTS = {"[]": "[]", "{}": "{}", "null": "null", "true": "true", "false": "false"}


# `json.loads` and `_ENCODER.encode` without their per-call set-up (a regular expression
# for the whitespace around the document, a new C encoder per call): the same C scanner
# and C encoder, built once, with _ENCODER's options. For documents as PostgreSQL writes
# them, which neither start nor end with whitespace; any other goes through `json.loads`.
_make_scanner: Any = json_scanner.make_scanner  # typeshed types its argument as the scanner class itself
_scan_document = _make_scanner(json.JSONDecoder())
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # None without the C module; untyped
_encode_document = (
    _c_make_encoder(None, _scalar, json.encoder.encode_basestring, None, ":", ",", True, False, False)
    if _c_make_encoder is not None
    else None
)


def _json_text(document: str) -> str:
    """A JSON document's canonical text (it was parsed from JSON: its keys are strings)."""
    constant = _JSON_CONSTANTS.get(document)
    if constant is not None:
        return constant
    try:
        try:
            value, end = _scan_document(document, 0)
        except StopIteration:
            end = -1
        if end != len(document):
            value = json.loads(document)  # whitespace around it, or not JSON: its own error
        if _encode_document is None:
            return _ENCODER.encode(value)
        return "".join(_encode_document(value, 0))
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise CanonicalFormError(f"The value cannot be encoded canonically: {exc}.") from exc


_quoted_encode_basestring = json.encoder.encode_basestring  # C, as the encoder's for ensure_ascii=False

# What each encoder takes: the column as the database driver returns it, with UUIDs,
# JSON documents and binary values already turned into text (lowercase hyphenated,
# the document, lowercase hex) by the query.
_VALUE_TEXT: dict[str, ValueText] = {
    "text": _quoted_encode_basestring,
    "quoted": lambda value: f'"{value}"',  # UUID or hex text: nothing to escape
    "int": int.__repr__,
    "bool": lambda value: "true" if value else "false",
    "float": _float_text,
    "datetime": lambda value: f'"{_timestamp(value)}"',
    "date": lambda value: f'"{value.isoformat()}"',
    "json": _json_text,
}
VALUE_TYPES = frozenset(_VALUE_TEXT)


def value_text(value_type: str, *, nullable: bool) -> ValueText:
    """The canonical text of a column's values of this type (one of `VALUE_TYPES`);
    a column that may be NULL also gives `null`."""
    encode = _VALUE_TEXT[value_type]
    return _or_null(encode) if nullable else encode


def digest_text(encode: ValueText) -> ValueText:
    """The text of `digest_of(value)` (a quoted hex digest), from the value's encoder."""

    def text(value: Any) -> str:
        return f'"{hashlib.sha256(encode(value).encode("utf-8")).hexdigest()}"'

    return text


def object_pieces(keys: Sequence[str]) -> tuple[list[str], list[int]]:
    """The canonical object with these (string) keys as the text around its values, and
    the order of the values: the keys' indices in sorted order. The object is
    `pieces[0] + value[order[0]] + pieces[1] + ... + value[order[-1]] + pieces[-1]`."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    pieces = [f"{',' if n else '{'}{_quoted_encode_basestring(keys[i])}:" for n, i in enumerate(order)]
    return (pieces + ["}"]) if keys else ["{}"], order


def record_pieces(kind: str, keys: Sequence[str]) -> tuple[list[str], list[int]]:
    """`object_pieces` of a record of `kind` with these field names, with one more value
    after the fields: the id's text."""
    _check_kind(kind)
    pieces, order = object_pieces(keys)
    pieces[0] = '{"fields":' + pieces[0]
    pieces[-1] += ',"id":'
    return [*pieces, f',"kind":"{kind}","v":{SERIALIZATION_VERSION}}}'], order


# ---------------------------------------------------------------------------------------
# Merkle tree (RFC 6962 / RFC 9162 section 2.1)
# ---------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    # Pairing neighbours level by level and carrying an odd last node up unhashed builds
    # exactly the RFC's tree (left subtree = the largest power of two below n), without
    # recursion or slices. One iterator zipped with itself yields the pairs.
    pairs = iter(level)
    sha256 = hashlib.sha256
    parents = [sha256(_NODE_PREFIX + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
    if len(level) % 2:
        parents.append(level[-1])
    return parents


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaves (already leaf-hashed), in order."""
    if not leaf_hashes:
        return EMPTY_TREE_ROOT
    level = leaf_hashes
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def inclusion_proof(leaf_hashes: Sequence[bytes], leaf_index: int) -> list[bytes]:
    """The audit path of leaf `leaf_index` in the tree over `leaf_hashes`: sibling hashes
    from the leaf up to just below the root (RFC 6962 section 2.1.1's PATH)."""
    if not 0 <= leaf_index < len(leaf_hashes):
        raise ValueError(f"Leaf index {leaf_index} is outside a tree of {len(leaf_hashes)} leaves.")
    path = []
    level, index = leaf_hashes, leaf_index
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):  # else the node is carried up unhashed: nothing to add
            path.append(level[sibling])
        level, index = _next_level(level), index >> 1
    return path


def inclusion_proof_verify(
    *, leaf_hash: bytes, leaf_index: int, tree_size: int, audit_path: Sequence[bytes], root: bytes
) -> bool:
    """Whether the audit path proves the leaf at `leaf_index` is in the tree of `tree_size`
    leaves with this root: RFC 9162 section 2.1.3.2, step by step."""
    if not 0 <= leaf_index < tree_size or any(len(node) != HASH_SIZE for node in (leaf_hash, root, *audit_path)):
        return False
    fn, sn, result = leaf_index, tree_size - 1, leaf_hash
    for node in audit_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(node, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------


def generate_signing_key() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public key (of a private key, or itself) as SubjectPublicKeyInfo PEM."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the raw 32-byte public key (all 64 digits)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _read_key_file(path: str | os.PathLike[str], role: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise SigningKeyError(f"The {role} file {os.fspath(path)} does not exist.") from exc
    except IsADirectoryError as exc:
        raise SigningKeyError(f"The {role} path {os.fspath(path)} is a directory, not a key file.") from exc
    except OSError as exc:
        raise SigningKeyError(f"The {role} file {os.fspath(path)} cannot be read: {exc.strerror or exc}.") from exc


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file (unencrypted PKCS#8, as `generate_signing_key`
    writes it); `SigningKeyError` with a sentence for anything else."""
    data = _read_key_file(path, "signing key")
    if b"-----BEGIN PUBLIC KEY-----" in data:
        raise SigningKeyError(f"{os.fspath(path)} holds a public key; signing needs the Ed25519 private key.")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # what cryptography raises for a key that needs a password
        raise SigningKeyError(
            f"{os.fspath(path)} holds an encrypted private key; the portal needs an unencrypted PKCS#8 key."
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"{os.fspath(path)} does not hold a PEM private key that can be read.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{os.fspath(path)} holds a {_algorithm(key)} private key, not an Ed25519 key.")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (SubjectPublicKeyInfo); `SigningKeyError` with a
    sentence for anything else, a private key included: a verifier never needs one."""
    data = _read_key_file(path, "public key")
    if b"PRIVATE KEY-----" in data:
        raise SigningKeyError(f"{os.fspath(path)} holds a private key; give the Ed25519 public key instead.")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"{os.fspath(path)} does not hold a PEM public key that can be read.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{os.fspath(path)} holds a {_algorithm(key)} public key, not an Ed25519 key.")
    return key


def _algorithm(key: object) -> str:
    # cryptography's key classes are named like RSAPrivateKey / EllipticCurvePublicKey.
    name = type(key).__name__.lstrip("_")
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    return {"EllipticCurve": "EC"}.get(name, name) or "non-Ed25519"


# ---------------------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------------------


def _parse_timestamp(text: Any) -> datetime:
    if not isinstance(text, str):
        raise BlockHeadError(f"signed_at must be a string like 2026-01-05T09:30:00.000000Z, not {text!r}.")
    try:
        return datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise BlockHeadError(f"signed_at must look like 2026-01-05T09:30:00.000000Z, not {text!r}.") from exc


def _is_count(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_exactly(value: Any, number: int) -> bool:
    return _is_count(value, number) and value == number  # True == 1 in Python; not a version here


@dataclass(frozen=True, kw_only=True)
class BlockHead:
    """What a block's hash and signature cover. `first_record_id` and `last_record_id` are
    the ids of the block's first and last leaves (leaf order is sealing order, which need
    not be id order); `first_position` is the first leaf's position in the kind's chain,
    counted from 0 across blocks."""

    kind: str
    block_number: int
    first_position: int
    record_count: int
    first_record_id: RecordId
    last_record_id: RecordId
    merkle_root: str
    previous_block_hash: str
    signed_at: datetime
    key_id: str
    version: int = SERIALIZATION_VERSION

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.kind, str) or not _KIND.fullmatch(self.kind):
            problems.append(f"kind {self.kind!r} is not a record kind")
        for name, minimum in (("block_number", 1), ("first_position", 0), ("record_count", 1)):
            if not _is_count(getattr(self, name), minimum):
                problems.append(f"{name} must be an integer of at least {minimum}, not {getattr(self, name)!r}")
        for name in ("first_record_id", "last_record_id"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, uuid.UUID | int | str) or value == "":
                problems.append(f"{name} must be a UUID, an int or a non-empty string, not {value!r}")
        for name in ("merkle_root", "previous_block_hash", "key_id"):
            if not isinstance(getattr(self, name), str) or not _HEX_DIGEST.fullmatch(getattr(self, name)):
                problems.append(f"{name} must be 64 lowercase hex digits, not {getattr(self, name)!r}")
        if not isinstance(self.signed_at, datetime) or self.signed_at.utcoffset() is None:
            problems.append(f"signed_at must be an aware datetime, not {self.signed_at!r}")
        if not _is_exactly(self.version, SERIALIZATION_VERSION):
            problems.append(f"serialization version {self.version!r} is not supported (only {SERIALIZATION_VERSION})")
        if problems:
            raise BlockHeadError("Invalid block head: " + "; ".join(problems) + ".")
        # A UUID id is held as its canonical string, so a head read back from its document
        # equals the head that was written.
        for name in ("first_record_id", "last_record_id"):
            if isinstance(getattr(self, name), uuid.UUID):
                object.__setattr__(self, name, str(getattr(self, name)))
        # Held in UTC, as the canonical form writes it, for the same reason.
        object.__setattr__(self, "signed_at", self.signed_at.astimezone(UTC))

    @property
    def last_position(self) -> int:
        return self.first_position + self.record_count - 1

    def to_document(self) -> dict[str, Any]:
        """The head as a JSON-ready dict of strings and integers; its canonical bytes are
        what the block hash covers."""
        return {
            "v": self.version,
            "kind": self.kind,
            "block_number": self.block_number,
            "first_position": self.first_position,
            "last_position": self.last_position,
            "record_count": self.record_count,
            "first_record_id": self.first_record_id,
            "last_record_id": self.last_record_id,
            "merkle_root": self.merkle_root,
            "previous_block_hash": self.previous_block_hash,
            "signed_at": _timestamp(self.signed_at),
            "key_id": self.key_id,
        }

    def canonical(self) -> bytes:
        return canonical_encode(self.to_document())

    @classmethod
    def from_document(cls, document: Any) -> "BlockHead":
        """The head a document written by `to_document` describes; `BlockHeadError` if a
        field is missing, unknown or malformed."""
        if not isinstance(document, dict):
            raise BlockHeadError(f"A block head is a JSON object, not {type(document).__name__}.")
        expected = set(_HEAD_FIELDS)
        if set(document) != expected:
            missing, unknown = sorted(expected - set(document)), sorted(map(str, set(document) - expected))
            raise BlockHeadError(f"The block head's fields are not version 1's: missing {missing}, unknown {unknown}.")
        head = cls(
            kind=document["kind"],
            block_number=document["block_number"],
            first_position=document["first_position"],
            record_count=document["record_count"],
            first_record_id=document["first_record_id"],
            last_record_id=document["last_record_id"],
            merkle_root=document["merkle_root"],
            previous_block_hash=document["previous_block_hash"],
            signed_at=_parse_timestamp(document["signed_at"]),
            key_id=document["key_id"],
            version=document["v"],
        )
        if not _is_exactly(document["last_position"], head.last_position):
            raise BlockHeadError(
                f"The block head's last_position {document['last_position']!r} is not first_position + "
                f"record_count - 1 = {head.last_position}."
            )
        return head


_HEAD_FIELDS = (
    "v",
    "kind",
    "block_number",
    "first_position",
    "last_position",
    "record_count",
    "first_record_id",
    "last_record_id",
    "merkle_root",
    "previous_block_hash",
    "signed_at",
    "key_id",
)


def block_hash(head: BlockHead) -> str:
    """Hex SHA-256 of the head's canonical bytes: what the next block's
    `previous_block_hash` holds and what the signature covers (as 32 raw bytes)."""
    return hashlib.sha256(head.canonical()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class SealedBlock:
    """A block head with its hash and its Ed25519 signature (hex) over that hash."""

    head: BlockHead
    block_hash: str
    signature: str

    def to_document(self) -> dict[str, Any]:
        """{"block_head": {...}, "block_hash": hex, "signature": hex}: a checkpoint line,
        and the block part of a proof."""
        return {"block_head": self.head.to_document(), "block_hash": self.block_hash, "signature": self.signature}

    @classmethod
    def from_document(cls, document: Any) -> "SealedBlock":
        if not isinstance(document, dict):
            raise BlockHeadError(f"A sealed block is a JSON object, not {type(document).__name__}.")
        for name, pattern in (("block_hash", _HEX_DIGEST), ("signature", _SIGNATURE)):
            if not isinstance(document.get(name), str) or not pattern.fullmatch(document[name]):
                raise BlockHeadError(f"The block's {name} must be lowercase hex, not {document.get(name)!r}.")
        head = BlockHead.from_document(document.get("block_head"))
        return cls(head=head, block_hash=document["block_hash"], signature=document["signature"])


def block_seal(
    *,
    kind: str,
    block_number: int,
    first_position: int,
    first_record_id: RecordId,
    last_record_id: RecordId,
    leaf_hashes: Sequence[bytes],
    previous_block_hash: str,
    signing_key: Ed25519PrivateKey,
    signed_at: datetime,
) -> SealedBlock:
    """The signed block over `leaf_hashes` (in leaf order): root, head, hash, signature."""
    head = BlockHead(
        kind=kind,
        block_number=block_number,
        first_position=first_position,
        record_count=len(leaf_hashes),
        first_record_id=first_record_id,
        last_record_id=last_record_id,
        merkle_root=merkle_root(leaf_hashes).hex(),
        previous_block_hash=previous_block_hash,
        signed_at=signed_at,
        key_id=key_id(signing_key.public_key()),
    )
    digest = block_hash(head)
    return SealedBlock(head=head, block_hash=digest, signature=signing_key.sign(bytes.fromhex(digest)).hex())


def _seal_problems(sealed: SealedBlock, public_key: Ed25519PublicKey) -> list[str]:
    """Head -> block hash -> signature, each link checked on its own so that each problem
    names the part that was changed."""
    head, problems = sealed.head, []
    if block_hash(head) != sealed.block_hash:
        problems.append(f"Block {head.block_number}'s head does not match its block hash: the head was edited.")
    expected_key = key_id(public_key)
    if head.key_id != expected_key:
        problems.append(
            f"Block {head.block_number} was signed with key {head.key_id}, "
            f"not with the public key given ({expected_key})."
        )
        return problems  # a signature under another key cannot verify; the key is the problem
    try:
        public_key.verify(bytes.fromhex(sealed.signature), bytes.fromhex(sealed.block_hash))
    except InvalidSignature:
        problems.append(f"Block {head.block_number}'s signature is not valid for its block hash and the public key.")
    return problems


def block_problems(
    *,
    sealed: SealedBlock,
    leaf_hashes: Sequence[bytes],
    previous: SealedBlock | None,
    public_key: Ed25519PublicKey,
) -> list[str]:
    """Everything wrong with one block of a chain, as sentences (empty: the block holds).

    `leaf_hashes` are recomputed from the stored records in leaf order; `previous` is the
    block before it in the same kind's chain (already checked on its own), None for block 1.
    """
    head, problems = sealed.head, []
    if len(leaf_hashes) != head.record_count:
        problems.append(f"Block {head.block_number} has {len(leaf_hashes)} records; its head says {head.record_count}.")
    elif merkle_root(leaf_hashes).hex() != head.merkle_root:
        problems.append(f"Block {head.block_number}'s records do not hash to its Merkle root.")
    problems += _seal_problems(sealed, public_key)
    if previous is None:
        expected = (1, 0, GENESIS_PREVIOUS_HASH)
    else:
        if previous.head.kind != head.kind:
            problems.append(f"Block {head.block_number} ({head.kind}) follows a block of kind {previous.head.kind}.")
        expected = (previous.head.block_number + 1, previous.head.last_position + 1, previous.block_hash)
    if head.block_number != expected[0]:
        problems.append(f"Block {head.block_number} is where block {expected[0]} of the {head.kind} chain belongs.")
    if head.first_position != expected[1]:
        problems.append(
            f"Block {head.block_number} starts at position {head.first_position}; the chain continues at {expected[1]}."
        )
    if head.previous_block_hash != expected[2]:
        problems.append(f"Block {head.block_number}'s previous block hash does not match the block before it.")
    return problems


# ---------------------------------------------------------------------------------------
# Inclusion proofs
# ---------------------------------------------------------------------------------------


def proof_document(
    *, record: bytes, leaf_index: int, audit_path: Sequence[bytes], sealed: SealedBlock
) -> dict[str, Any]:
    """The JSON-ready proof that `record` (its canonical bytes) is leaf `leaf_index` of the
    sealed block; `docs/verify_proof.py` checks it offline."""
    return {
        "format": PROOF_FORMAT,
        "format_version": PROOF_FORMAT_VERSION,
        "record": record.decode("utf-8"),
        "leaf_hash": leaf_hash(record).hex(),
        "leaf_index": leaf_index,
        "tree_size": sealed.head.record_count,
        "audit_path": [node.hex() for node in audit_path],
        "key_id": sealed.head.key_id,
        **sealed.to_document(),
    }


def _hex_digest(value: Any) -> bytes | None:
    return bytes.fromhex(value) if isinstance(value, str) and _HEX_DIGEST.fullmatch(value) else None


def _proof_shape_problems(proof: Any) -> list[str]:
    if not isinstance(proof, dict):
        return [f"The proof is a {type(proof).__name__}, not a JSON object."]
    problems = []
    if proof.get("format") != PROOF_FORMAT or not _is_exactly(proof.get("format_version"), PROOF_FORMAT_VERSION):
        problems.append(f"The proof is not a {PROOF_FORMAT} document, version {PROOF_FORMAT_VERSION}.")
    if not isinstance(proof.get("record"), str):
        problems.append("The proof's record is missing or not a string.")
    for name in ("leaf_hash", "key_id"):
        if _hex_digest(proof.get(name)) is None:
            problems.append(f"The proof's {name} is missing or not 64 lowercase hex digits.")
    for name in ("leaf_index", "tree_size"):
        if not _is_count(proof.get(name), 0):
            problems.append(f"The proof's {name} is missing or not a non-negative integer.")
    path = proof.get("audit_path")
    if not isinstance(path, list) or any(_hex_digest(node) is None for node in path):
        problems.append("The proof's audit_path is missing or not a list of 64-digit lowercase hex hashes.")
    return problems


def proof_verify(proof: Any, public_key: Ed25519PublicKey) -> list[str]:
    """The problems with a proof document, as sentences; an empty list means the record is
    leaf `leaf_index` of a block signed by `public_key`.

    Each link is checked on its own (record -> leaf hash -> audit path -> Merkle root;
    head -> block hash -> signature), so each problem names what was changed.
    """
    problems = _proof_shape_problems(proof)
    if problems:
        return problems
    try:
        sealed = SealedBlock.from_document(proof)
    except BlockHeadError as exc:
        return [str(exc)]
    head = sealed.head
    record_bytes = proof["record"].encode("utf-8", "surrogatepass")
    try:
        record = json.loads(record_bytes)
    except (ValueError, RecursionError):
        record = None
    if not isinstance(record, dict) or set(record) != {"v", "kind", "id", "fields"}:
        problems.append("The proof's record is not a canonical record (an object of v, kind, id and fields).")
    elif not _is_exactly(record["v"], SERIALIZATION_VERSION):
        problems.append(f"The record's serialization version {record['v']!r} is not supported.")
    elif record["kind"] != head.kind:
        problems.append(f"The record is of kind {record['kind']!r} but the block seals {head.kind!r} records.")
    if leaf_hash(record_bytes).hex() != proof["leaf_hash"]:
        problems.append("The record does not match its leaf hash: the record or the leaf hash was changed.")
    if proof["tree_size"] != head.record_count:
        problems.append(f"The proof's tree size {proof['tree_size']} is not the block's {head.record_count} records.")
    if proof["key_id"] != head.key_id:
        problems.append("The proof's key_id differs from the key id in the signed block head.")
    if not inclusion_proof_verify(
        leaf_hash=bytes.fromhex(proof["leaf_hash"]),
        leaf_index=proof["leaf_index"],
        tree_size=head.record_count,
        audit_path=[bytes.fromhex(node) for node in proof["audit_path"]],
        root=bytes.fromhex(head.merkle_root),
    ):
        problems.append(
            f"The audit path does not lead from leaf {proof['leaf_index']} to block {head.block_number}'s Merkle root."
        )
    return problems + _seal_problems(sealed, public_key)
