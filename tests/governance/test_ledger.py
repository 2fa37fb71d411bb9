"""The audit ledger's core: RFC 6962 Merkle trees and audit paths, the canonical record
serialization, signed block heads, key files and per-record proofs."""

import copy
import dataclasses
import enum
import hashlib
import json
import math
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance.ledger import (
    EMPTY_TREE_ROOT,
    GENESIS_PREVIOUS_HASH,
    BlockHead,
    BlockHeadError,
    CanonicalFormError,
    SealedBlock,
    SigningKeyError,
    block_hash,
    block_problems,
    canonical_encode,
    canonical_record,
    digest_of,
    generate_signing_key,
    inclusion_proof,
    inclusion_proof_verify,
    key_id,
    leaf_hash,
    load_public_key,
    load_signing_key,
    merkle_root,
    proof_verify,
    public_key_pem,
)
from tests.governance.ledger_support import SIGNED_AT, seal_decisions

# ---------------------------------------------------------------------------------------
# Merkle trees
# ---------------------------------------------------------------------------------------

# The certificate-transparency reference vectors (transparency-dev/merkle,
# proof/verify_test.go): eight leaves, the roots of the trees over the first 1..8 of
# them, and published audit paths as (leaf index, tree size, path).
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def ct_leaf_hashes(count: int) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(leaf)) for leaf in CT_LEAVES[:count]]


# RFC 6962 section 2.1 as written: MTH and PATH recursive over the entries themselves,
# splitting at the largest power of two smaller than n.
def split_point(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = split_point(len(entries))
    return hashlib.sha256(b"\x01" + rfc_mth(entries[:k]) + rfc_mth(entries[k:])).digest()


def rfc_path(m: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) == 1:
        return []
    k = split_point(len(entries))
    if m < k:
        return rfc_path(m, entries[:k]) + [rfc_mth(entries[k:])]
    return rfc_path(m - k, entries[k:]) + [rfc_mth(entries[:k])]


def entries(count: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(count)]


def test_the_smallest_trees_hash_as_the_rfc_defines_by_hand():
    assert (
        merkle_root([])
        == EMPTY_TREE_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    one = hashlib.sha256(b"\x00").digest()
    assert merkle_root([leaf_hash(b"")]) == one
    two = hashlib.sha256(b"\x01" + one + hashlib.sha256(b"\x00\x00").digest()).digest()
    assert merkle_root(ct_leaf_hashes(2)) == two
    assert two.hex() == CT_ROOTS[1]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_certificate_transparency_vectors(size):
    assert merkle_root(ct_leaf_hashes(size)).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_PATHS)
def test_audit_paths_match_the_published_certificate_transparency_vectors(index, size, path):
    leaves = ct_leaf_hashes(size)
    assert [node.hex() for node in inclusion_proof(leaves, index)] == path
    assert inclusion_proof_verify(
        leaf_hash=leaves[index],
        leaf_index=index,
        tree_size=size,
        audit_path=[bytes.fromhex(node) for node in path],
        root=bytes.fromhex(CT_ROOTS[size - 1]),
    )


@pytest.mark.parametrize("size", [*range(1, 41), 63, 64, 65, 100, 1000, 1025])
def test_roots_equal_the_recursive_rfc_definition(size):
    data = entries(size)
    assert merkle_root([leaf_hash(entry) for entry in data]) == rfc_mth(data)


@pytest.mark.parametrize("size", range(1, 41))
def test_every_audit_path_equals_the_rfc_path_and_verifies(size):
    data = entries(size)
    leaves = [leaf_hash(entry) for entry in data]
    root = rfc_mth(data)
    for index in range(size):
        path = inclusion_proof(leaves, index)
        assert path == rfc_path(index, data)
        assert inclusion_proof_verify(
            leaf_hash=leaves[index], leaf_index=index, tree_size=size, audit_path=path, root=root
        )


def flip(node: bytes, position: int = 0) -> bytes:
    return node[:position] + bytes([node[position] ^ 0x08]) + node[position + 1 :]


@pytest.mark.parametrize("size", range(1, 41))
def test_an_audit_path_fails_once_leaf_path_index_or_size_changes(size):
    leaves = [leaf_hash(entry) for entry in entries(size)]
    root = merkle_root(leaves)

    def verifies(leaf: bytes, index: int, tree_size: int, path: list[bytes]) -> bool:
        return inclusion_proof_verify(leaf_hash=leaf, leaf_index=index, tree_size=tree_size, audit_path=path, root=root)

    for index in range(size):
        leaf, path = leaves[index], inclusion_proof(leaves, index)
        assert verifies(leaf, index, size, path)
        assert not verifies(flip(leaf), index, size, path)
        assert not verifies(leaf_hash(b"another record"), index, size, path)
        for position in range(len(path)):
            changed = list(path)
            changed[position] = flip(changed[position], position % 32)
            assert not verifies(leaf, index, size, changed)
        assert not verifies(leaf, index, size, [*path, root])
        assert not verifies(leaf, index, size, [root, *path])
        if path:
            assert not verifies(leaf, index, size, path[:-1])
        for other in range(-1, size + 1):
            if other != index:
                assert not verifies(leaf, other, size, path)
        # The tree size only shapes the path, so a size giving the same shape along this
        # path would verify against the same root (the signed head binds size and root);
        # doubling or halving the size always changes the tree's height.
        assert not verifies(leaf, index, size * 2, path)
        assert not verifies(leaf, index, size // 2, path)


def test_an_audit_path_is_refused_for_a_leaf_outside_the_tree():
    leaves = ct_leaf_hashes(3)
    with pytest.raises(ValueError, match="outside a tree of 3 leaves"):
        inclusion_proof(leaves, 3)
    assert not inclusion_proof_verify(
        leaf_hash=leaves[0], leaf_index=0, tree_size=0, audit_path=[], root=EMPTY_TREE_ROOT
    )


# ---------------------------------------------------------------------------------------
# Canonical serialization
# ---------------------------------------------------------------------------------------


class Band(enum.StrEnum):  # as Django's TextChoices values are
    B2 = "B2"


RECORD_ID = uuid.UUID("0190f3a2-7b1c-7def-8a12-3456789abcde")


def every_type() -> dict:
    return {
        "none": None,
        "yes": True,
        "no": False,
        "count": 12345678901234567890,
        "negative": -7,
        "probability": 0.1,
        "tiny": 1e-7,
        "large": 1e16,
        "whole": 2.0,
        "text": 'Zoë "quoted" \\ \n\t\x01',
        "band": Band.B2,
        "version_id": uuid.UUID("0190F3A2-7B1C-7DEF-8A12-3456789ABCDE"),
        "created_at": datetime(2026, 1, 5, 10, 30, 1, 5, tzinfo=timezone(timedelta(hours=2))),
        "on": date(2026, 1, 5),
        "features": b"\x00\xff\x10",
        "view": memoryview(b"\xab\xcd"),
        "codes": ["a", ("b", 1)],
        "nested": {"z": [], "a": {}},
    }


EVERY_TYPE_CANONICAL = (
    '{"band":"B2","codes":["a",["b",1]],"count":12345678901234567890,'
    '"created_at":"2026-01-05T08:30:01.000005Z","features":"00ff10","large":1e+16,'
    '"negative":-7,"nested":{"a":{},"z":[]},"no":false,"none":null,"on":"2026-01-05",'
    '"probability":0.1,"text":"Zoë \\"quoted\\" \\\\ \\n\\t\\u0001","tiny":1e-07,'
    '"version_id":"0190f3a2-7b1c-7def-8a12-3456789abcde","view":"abcd","whole":2.0,"yes":true}'
).encode()


def test_each_type_is_encoded_as_documented():
    assert canonical_encode(every_type()) == EVERY_TYPE_CANONICAL


def test_a_lone_value_encodes_as_it_does_inside_a_mapping():
    for name, value in every_type().items():
        inside = canonical_encode({"x": value}).decode()
        assert canonical_encode(value).decode() == inside[len('{"x":') : -1], name


def test_the_encoding_does_not_depend_on_key_order():
    value = every_type()
    reordered = {key: value[key] for key in reversed(value)}
    reordered["nested"] = {"a": {}, "z": []}
    assert canonical_encode(reordered) == canonical_encode(value)


def test_a_record_carries_the_version_kind_and_id_in_its_hashed_bytes():
    record = canonical_record(kind="decision", record_id=RECORD_ID, fields={"risk_band": "B2", "probability": 0.25})
    assert record == (
        b'{"fields":{"probability":0.25,"risk_band":"B2"},'
        b'"id":"0190f3a2-7b1c-7def-8a12-3456789abcde","kind":"decision","v":1}'
    )
    assert canonical_record(kind="transition", record_id=42, fields={}) == (
        b'{"fields":{},"id":42,"kind":"transition","v":1}'
    )


def test_the_same_fields_under_another_kind_or_id_give_another_leaf():
    fields = {"risk_band": "B2"}
    leaves = {
        leaf_hash(canonical_record(kind=kind, record_id=record_id, fields=fields))
        for kind in ("decision", "outcome")
        for record_id in (RECORD_ID, 1, "1")
    }
    assert len(leaves) == 6


def test_floats_keep_their_shortest_round_trip_form():
    for value in (0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 123456789.125):
        text = canonical_encode(value).decode()
        assert text == repr(value)
        assert float(text) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "cannot be encoded canonically"),
        ({"probability": math.inf}, "cannot be encoded canonically"),
        ([-math.inf], "cannot be encoded canonically"),
        ({"created_at": datetime(2026, 1, 5, 10, 30)}, "has no time zone"),
        ({1: "one"}, "keys must be strings; 1 is a int"),
        ({"outer": [{None: 1}]}, "keys must be strings; None is a NoneType"),
        ({"amount": Decimal("1.10")}, r"A value of type decimal\.Decimal has no canonical encoding \(version 1\)"),
        ({"tags": {"a"}}, "A value of type set has no canonical encoding"),
        ("lone \ud800 surrogate", "cannot be encoded canonically"),
    ],
)
def test_values_without_a_canonical_form_are_refused(value, message):
    with pytest.raises(CanonicalFormError, match=message):
        canonical_encode(value)


def test_a_value_that_contains_itself_is_refused():
    value = {"codes": []}
    value["codes"].append(value)
    with pytest.raises(CanonicalFormError, match="nested too deeply or contains itself"):
        canonical_encode(value)
    with pytest.raises(CanonicalFormError, match="nested too deeply or contains itself"):
        canonical_record(kind="decision", record_id=1, fields=value)


@pytest.mark.parametrize(
    ("kind", "record_id"), [("Decision", 1), ("", 1), ("decision-log", 1), ("decision", True), ("decision", "")]
)
def test_a_record_needs_a_plain_kind_and_an_id(kind, record_id):
    with pytest.raises(CanonicalFormError):
        canonical_record(kind=kind, record_id=record_id, fields={})


def test_a_kept_digest_commits_to_data_retention_may_clear():
    inputs = {"annual_income": 52000, "loan_purpose": "car", "start": date(2026, 1, 5)}
    expected = hashlib.sha256(b'{"annual_income":52000,"loan_purpose":"car","start":"2026-01-05"}').hexdigest()
    assert digest_of(inputs) == expected
    assert digest_of(dict(reversed(inputs.items()))) == expected
    assert digest_of({**inputs, "annual_income": 52001}) != expected


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------


def test_a_generated_key_loads_and_its_id_is_the_sha256_of_the_raw_public_key(tmp_path):
    (tmp_path / "signing.pem").write_bytes(generate_signing_key())
    signing_key = load_signing_key(tmp_path / "signing.pem")
    (tmp_path / "public.pem").write_bytes(public_key_pem(signing_key))
    public_key = load_public_key(tmp_path / "public.pem")
    # An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header and the raw 32-byte key.
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert der[:12] == bytes.fromhex("302a300506032b6570032100")
    assert key_id(public_key) == key_id(signing_key.public_key()) == hashlib.sha256(der[12:]).hexdigest()
    assert public_key_pem(public_key) == public_key_pem(signing_key)


def pem_private(key) -> bytes:
    encoding, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, pkcs8, serialization.NoEncryption())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("directory", "is a directory, not a key file"),
        (b"not a key\n", "does not hold a PEM private key that can be read"),
        ("rsa", "holds a RSA private key, not an Ed25519 key"),
        ("ed448", "holds a Ed448 private key, not an Ed25519 key"),
        ("public", "holds a public key; signing needs the Ed25519 private key"),
        ("encrypted", "holds an encrypted private key; the portal needs an unencrypted PKCS#8 key"),
    ],
)
def test_a_signing_key_file_that_cannot_be_used_is_refused_with_a_sentence(tmp_path, content, message):
    path = tmp_path / "key.pem"
    if content == "directory":
        path.mkdir()
    elif content == "rsa":
        path.write_bytes(pem_private(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    elif content == "ed448":
        path.write_bytes(pem_private(ed448.Ed448PrivateKey.generate()))
    elif content == "public":
        path.write_bytes(public_key_pem(Ed25519PrivateKey.generate()))
    elif content == "encrypted":
        encryption = serialization.BestAvailableEncryption(b"secret")
        key = Ed25519PrivateKey.generate()
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(SigningKeyError, match=message):
        load_signing_key(path)


def test_an_unreadable_key_path_is_refused_with_the_reason(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SigningKeyError, match=r"cannot be read: Not a directory\.$"):
        load_signing_key(tmp_path / "file" / "key.pem")
    with pytest.raises(SigningKeyError, match=r"The public key file .* does not exist\.$"):
        load_public_key(tmp_path / "missing.pem")


def test_a_public_key_file_must_hold_an_ed25519_public_key(tmp_path):
    path = tmp_path / "public.pem"
    path.write_bytes(generate_signing_key())
    with pytest.raises(SigningKeyError, match="holds a private key; give the Ed25519 public key instead"):
        load_public_key(path)
    path.write_bytes(public_key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()))
    with pytest.raises(SigningKeyError, match="holds a RSA public key, not an Ed25519 key"):
        load_public_key(path)
    path.write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(SigningKeyError, match="does not hold a PEM public key that can be read"):
        load_public_key(path)


# ---------------------------------------------------------------------------------------
# Block heads and signatures
# ---------------------------------------------------------------------------------------


def a_head(**changes) -> BlockHead:
    fields = {
        "kind": "decision",
        "block_number": 3,
        "first_position": 2000,
        "record_count": 1000,
        "first_record_id": RECORD_ID,
        "last_record_id": uuid.UUID(int=RECORD_ID.int + 1),
        "merkle_root": "ab" * 32,
        "previous_block_hash": "cd" * 32,
        "signed_at": datetime(2026, 1, 5, 11, 30, tzinfo=timezone(timedelta(hours=1))),
        "key_id": "ef" * 32,
    }
    return BlockHead(**{**fields, **changes})


def test_a_block_head_has_a_documented_canonical_form_and_hash():
    canonical = (
        '{"block_number":3,"first_position":2000,"first_record_id":"0190f3a2-7b1c-7def-8a12-3456789abcde",'
        f'"key_id":"{"ef" * 32}","kind":"decision","last_position":2999,'
        '"last_record_id":"0190f3a2-7b1c-7def-8a12-3456789abcdf",'
        f'"merkle_root":"{"ab" * 32}","previous_block_hash":"{"cd" * 32}","record_count":1000,'
        '"signed_at":"2026-01-05T10:30:00.000000Z","v":1}'
    ).encode()
    head = a_head()
    assert head.canonical() == canonical
    assert block_hash(head) == hashlib.sha256(canonical).hexdigest()


def test_a_block_head_reads_back_from_its_document():
    head = a_head()
    document = json.loads(json.dumps(head.to_document()))
    assert BlockHead.from_document(document) == head
    assert BlockHead.from_document(document).canonical() == head.canonical()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("key_id"), r"missing \['key_id'\]"),
        (lambda d: d.update(extra=1), r"unknown \['extra'\]"),
        (lambda d: d.update(last_position=3000), "is not first_position \\+ record_count - 1 = 2999"),
        (lambda d: d.update(signed_at="2026-01-05T10:30:00Z"), "signed_at must look like"),
        (lambda d: d.update(v=2), "serialization version 2 is not supported"),
        (lambda d: d.update(merkle_root="AB" * 32), "merkle_root must be 64 lowercase hex digits"),
        (lambda d: d.update(record_count=0, last_position=1999), "record_count must be an integer of at least 1"),
        (lambda d: d.update(block_number=True), "block_number must be an integer of at least 1"),
    ],
)
def test_a_malformed_block_head_document_is_refused(change, message):
    document = a_head().to_document()
    change(document)
    with pytest.raises(BlockHeadError, match=message):
        BlockHead.from_document(document)


def test_a_block_head_needs_an_aware_signing_time():
    with pytest.raises(BlockHeadError, match="signed_at must be an aware datetime"):
        a_head(signed_at=datetime(2026, 1, 5, 10, 30))


def test_the_signature_covers_every_byte_of_the_head():
    signing_key = Ed25519PrivateKey.generate()
    sealed = seal_decisions(5, signing_key).sealed
    public_key = signing_key.public_key()
    canonical = sealed.head.canonical()
    signature = bytes.fromhex(sealed.signature)
    public_key.verify(signature, hashlib.sha256(canonical).digest())
    for position in range(len(canonical)):
        changed = canonical[:position] + bytes([canonical[position] ^ 0x01]) + canonical[position + 1 :]
        with pytest.raises(InvalidSignature):
            public_key.verify(signature, hashlib.sha256(changed).digest())


def test_a_sealed_block_verifies_and_reads_back_from_its_checkpoint_line():
    signing_key = Ed25519PrivateKey.generate()
    block = seal_decisions(7, signing_key)
    line = json.dumps(block.sealed.to_document())
    assert SealedBlock.from_document(json.loads(line)) == block.sealed
    head = block.sealed.head
    assert (head.record_count, head.first_position, head.last_position, head.key_id) == (
        7,
        0,
        6,
        key_id(signing_key.public_key()),
    )
    assert head.merkle_root == rfc_mth(block.records).hex()
    assert head.signed_at == SIGNED_AT
    problems = block_problems(
        sealed=block.sealed, leaf_hashes=block.leaf_hashes, previous=None, public_key=signing_key.public_key()
    )
    assert problems == []


def test_an_edited_head_or_signature_or_another_key_is_named():
    signing_key = Ed25519PrivateKey.generate()
    block = seal_decisions(4, signing_key)
    public_key = signing_key.public_key()

    def problems(sealed: SealedBlock, key=public_key) -> list[str]:
        return block_problems(sealed=sealed, leaf_hashes=block.leaf_hashes, previous=None, public_key=key)

    edited = dataclasses.replace(block.sealed, head=dataclasses.replace(block.sealed.head, signed_at=SIGNED_AT))
    assert problems(edited) == []  # the same head, rebuilt

    later = dataclasses.replace(block.sealed.head, signed_at=SIGNED_AT + timedelta(microseconds=1))
    assert problems(dataclasses.replace(block.sealed, head=later)) == [
        "Block 1's head does not match its block hash: the head was edited."
    ]
    rehashed = dataclasses.replace(block.sealed, head=later, block_hash=block_hash(later))
    assert problems(rehashed) == ["Block 1's signature is not valid for its block hash and the public key."]
    signature = bytearray.fromhex(block.sealed.signature)
    signature[10] ^= 0x01
    assert problems(dataclasses.replace(block.sealed, signature=signature.hex())) == [
        "Block 1's signature is not valid for its block hash and the public key."
    ]
    other = Ed25519PrivateKey.generate().public_key()
    assert problems(block.sealed, other) == [
        f"Block 1 was signed with key {key_id(public_key)}, not with the public key given ({key_id(other)})."
    ]


def test_a_chain_of_blocks_names_a_missing_changed_or_misplaced_block():
    signing_key = Ed25519PrivateKey.generate()
    public_key = signing_key.public_key()
    first = seal_decisions(3, signing_key)
    second = seal_decisions(
        5, signing_key, block_number=2, first_position=3, previous_block_hash=first.sealed.block_hash
    )
    third = seal_decisions(
        2, signing_key, block_number=3, first_position=8, previous_block_hash=second.sealed.block_hash
    )

    def problems(block, previous, leaf_hashes=None) -> list[str]:
        return block_problems(
            sealed=block.sealed,
            leaf_hashes=block.leaf_hashes if leaf_hashes is None else leaf_hashes,
            previous=previous.sealed if previous else None,
            public_key=public_key,
        )

    assert problems(first, None) == problems(second, first) == problems(third, second) == []
    assert problems(third, first) == [
        "Block 3 is where block 2 of the decision chain belongs.",
        "Block 3 starts at position 8; the chain continues at 3.",
        "Block 3's previous block hash does not match the block before it.",
    ]
    assert problems(second, None) == [
        "Block 2 is where block 1 of the decision chain belongs.",
        "Block 2 starts at position 3; the chain continues at 0.",
        "Block 2's previous block hash does not match the block before it.",
    ]
    leaves = second.leaf_hashes
    assert problems(second, first, leaves[:-1]) == ["Block 2 has 4 records; its head says 5."]
    assert problems(second, first, [*leaves[:2], leaf_hash(b"edited"), *leaves[3:]]) == [
        "Block 2's records do not hash to its Merkle root."
    ]
    assert problems(second, first, [leaves[1], leaves[0], *leaves[2:]]) == [
        "Block 2's records do not hash to its Merkle root."
    ]
    outcome = seal_decisions(
        5, signing_key, block_number=2, first_position=3, previous_block_hash=first.sealed.block_hash, kind="outcome"
    )
    assert problems(outcome, first) == ["Block 2 (outcome) follows a block of kind decision."]


# ---------------------------------------------------------------------------------------
# Proofs
# ---------------------------------------------------------------------------------------


def test_every_record_of_a_block_has_a_proof_that_verifies_after_a_json_round_trip():
    signing_key = Ed25519PrivateKey.generate()
    block = seal_decisions(13, signing_key)
    for index in range(13):
        proof = json.loads(json.dumps(block.proof(index)))
        assert proof["leaf_index"] == index and proof["tree_size"] == 13
        assert proof["record"].encode() == block.records[index]
        assert proof_verify(proof, signing_key.public_key()) == []


def tampered(proof: dict, change) -> dict:
    proof = copy.deepcopy(proof)
    change(proof)
    return proof


def changed_record(proof: dict) -> None:
    record = json.loads(proof["record"])
    record["fields"]["decision"] = "decline"
    proof["record"] = canonical_encode(record).decode()


def flipped_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


LEAF_PROBLEM = "The record does not match its leaf hash: the record or the leaf hash was changed."
PATH_PROBLEM = "The audit path does not lead from leaf {index} to block 1's Merkle root."


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (changed_record, [LEAF_PROBLEM]),
        (lambda p: p.update(leaf_hash=flipped_hex(p["leaf_hash"])), [LEAF_PROBLEM, PATH_PROBLEM.format(index=5)]),
        (lambda p: p["audit_path"].__setitem__(1, flipped_hex(p["audit_path"][1])), [PATH_PROBLEM.format(index=5)]),
        (lambda p: p["audit_path"].pop(), [PATH_PROBLEM.format(index=5)]),
        (lambda p: p.update(leaf_index=4), [PATH_PROBLEM.format(index=4)]),
        (lambda p: p.update(tree_size=12), ["The proof's tree size 12 is not the block's 13 records."]),
        (
            lambda p: p["block_head"].update(merkle_root=flipped_hex(p["block_head"]["merkle_root"])),
            [PATH_PROBLEM.format(index=5), "Block 1's head does not match its block hash: the head was edited."],
        ),
        (
            lambda p: p["block_head"].update(record_count=12, last_position=11),
            [
                "The proof's tree size 13 is not the block's 12 records.",
                "Block 1's head does not match its block hash: the head was edited.",
            ],
        ),
        (
            lambda p: p.update(block_hash=flipped_hex(p["block_hash"])),
            [
                "Block 1's head does not match its block hash: the head was edited.",
                "Block 1's signature is not valid for its block hash and the public key.",
            ],
        ),
        (
            lambda p: p.update(signature=flipped_hex(p["signature"])),
            ["Block 1's signature is not valid for its block hash and the public key."],
        ),
        (
            lambda p: p.update(record=p["record"].replace('"kind":"decision"', '"kind":"outcome"')),
            [
                "The record is of kind 'outcome' but the block seals 'decision' records.",
                LEAF_PROBLEM,
            ],
        ),
    ],
)
def test_a_tampered_proof_names_what_was_changed(change, expected):
    signing_key = Ed25519PrivateKey.generate()
    proof = seal_decisions(13, signing_key).proof(5)
    assert proof_verify(tampered(proof, change), signing_key.public_key()) == expected


def test_a_proof_checked_with_another_public_key_names_the_keys():
    signing_key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate().public_key()
    proof = seal_decisions(3, signing_key).proof(0)
    assert proof_verify(proof, other) == [
        f"Block 1 was signed with key {proof['key_id']}, not with the public key given ({key_id(other)})."
    ]


def test_a_proof_re_signed_with_another_key_still_fails_for_the_portal_key():
    signing_key, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    proof = seal_decisions(3, signing_key).proof(0)
    head = BlockHead.from_document(proof["block_head"])
    forged = dataclasses.replace(head, key_id=proof["key_id"])
    digest = block_hash(forged)
    proof = {**proof, "block_hash": digest, "signature": forger.sign(bytes.fromhex(digest)).hex()}
    assert proof_verify(proof, signing_key.public_key()) == [
        "Block 1's signature is not valid for its block hash and the public key."
    ]


@pytest.mark.parametrize(
    ("proof", "expected"),
    [
        ([], ["The proof is a list, not a JSON object."]),
        (
            {},
            [
                "The proof is not a loanportal.audit-proof document, version 1.",
                "The proof's record is missing or not a string.",
                "The proof's leaf_hash is missing or not 64 lowercase hex digits.",
                "The proof's key_id is missing or not 64 lowercase hex digits.",
                "The proof's leaf_index is missing or not a non-negative integer.",
                "The proof's tree_size is missing or not a non-negative integer.",
                "The proof's audit_path is missing or not a list of 64-digit lowercase hex hashes.",
            ],
        ),
    ],
)
def test_a_document_that_is_not_a_proof_is_described_not_raised(proof, expected):
    assert proof_verify(proof, Ed25519PrivateKey.generate().public_key()) == expected


def test_a_proof_with_a_broken_block_head_says_what_is_wrong():
    signing_key = Ed25519PrivateKey.generate()
    proof = seal_decisions(3, signing_key).proof(1)
    del proof["block_head"]["signed_at"]
    problems = proof_verify(proof, signing_key.public_key())
    assert problems == ["The block head's fields are not version 1's: missing ['signed_at'], unknown []."]
    proof = seal_decisions(3, signing_key).proof(1)
    proof["record"] = "[" * 100_000 + "]" * 100_000
    assert proof_verify(proof, signing_key.public_key()) == [
        "The proof's record is not a canonical record (an object of v, kind, id and fields).",
        LEAF_PROBLEM,
    ]


def test_the_genesis_block_links_to_the_all_zero_hash():
    block = seal_decisions(1, Ed25519PrivateKey.generate())
    assert block.sealed.head.previous_block_hash == GENESIS_PREVIOUS_HASH == "0" * 64
    assert block.sealed.head.merkle_root == leaf_hash(block.records[0]).hex()
    assert block.proof(0)["audit_path"] == []


@pytest.mark.parametrize("value", [None, "x", -1, [], {}, 1.5, True])
def test_any_field_of_the_wrong_type_is_a_problem_not_an_exception(value):
    signing_key = Ed25519PrivateKey.generate()
    proof = seal_decisions(5, signing_key).proof(2)
    targets = [(proof, name) for name in proof] + [(proof["block_head"], name) for name in proof["block_head"]]
    for container, name in targets:
        original = container[name]
        container[name] = value
        assert proof_verify(proof, signing_key.public_key()) != [], name
        container[name] = original
    assert proof_verify(proof, signing_key.public_key()) == []
