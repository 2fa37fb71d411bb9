"""Check a Loan Model Governance Portal audit proof offline, without the portal.

    python verify_proof.py proof.json public_key.pem

Needs Python 3.10+ and the `cryptography` package, nothing else: the hashing and the
audit path check are written out here on purpose, so that an examiner need not trust the
portal's code. docs/audit_ledger.md describes the formats in full.

The proof (JSON, "format": "loanportal.audit-proof", "format_version": 1) holds:
  record       the record's canonical JSON, exactly the text that was hashed
  leaf_hash    SHA-256(0x00 || record as UTF-8), hex
  leaf_index   the record's position in its block, from 0
  tree_size    the number of records in the block
  audit_path   the sibling hashes from the leaf up to the root (RFC 6962), hex
  block_head   the signed head: kind, block number, record count, Merkle root, previous
               block hash, signing time, key id, ...
  block_hash   SHA-256 of the head's canonical JSON (sorted keys, no spaces, UTF-8), hex
  signature    Ed25519 signature of the 32 block hash bytes, hex
  key_id       SHA-256 of the raw 32-byte public key, hex

The steps, each reported on its own:
  1. the record hashes to leaf_hash, and its kind is the block's kind;
  2. the audit path leads from leaf_hash at leaf_index to the head's Merkle root, in a
     tree of the head's record count (RFC 9162 section 2.1.3.2);
  3. the head hashes to block_hash;
  4. the public key given is the key the head names, and the signature over block_hash
     verifies with it.

Prints what it checked and VALID (exit 0), or each problem and INVALID (exit 1). Bad
arguments or unreadable files: a sentence and exit 2.
"""

import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEX_DIGITS = set("0123456789abcdef")


class Unusable(Exception):
    """An argument or a file this script cannot work with (exit 2)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_audit_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 section 2.1.3.2: the root the path leads to, or None if it cannot fit."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for node in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            result = node_hash(node, result)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            result = node_hash(result, node)
        fn, sn = fn // 2, sn // 2
    return result if sn == 0 else None


def canonical_json(value: object) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate cannot be canonical, nor match


def is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and set(value) <= HEX_DIGITS


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_one(value: object) -> bool:
    return is_count(value) and value == 1


def shape_problems(proof: object) -> list[str]:
    if not isinstance(proof, dict):
        return ["The proof is not a JSON object."]
    valid = {
        "record": isinstance(proof.get("record"), str),
        "leaf_hash": is_hex(proof.get("leaf_hash"), 64),
        "leaf_index": is_count(proof.get("leaf_index")),
        "tree_size": is_count(proof.get("tree_size")),
        "block_hash": is_hex(proof.get("block_hash"), 64),
        "signature": is_hex(proof.get("signature"), 128),
        "key_id": is_hex(proof.get("key_id"), 64),
    }
    problems = [f"The proof has no valid {name}." for name, ok in valid.items() if not ok]
    if proof.get("format") != "loanportal.audit-proof" or not is_one(proof.get("format_version")):
        problems.insert(0, "The document is not a loanportal.audit-proof, format version 1.")
    path = proof.get("audit_path")
    if not isinstance(path, list) or not all(is_hex(node, 64) for node in path):
        problems.append("The proof has no valid audit_path.")
    head = proof.get("block_head")
    if not isinstance(head, dict):
        problems.append("The proof has no block_head.")
    elif not is_hex(head.get("merkle_root"), 64) or not is_count(head.get("record_count")):
        problems.append("The block head has no valid merkle_root or record_count.")
    return problems


def check(proof: dict, public_key: Ed25519PublicKey) -> tuple[list[str], list[str]]:
    """(what was checked, problems found) for a proof of the right shape."""
    head, problems = proof["block_head"], []
    record_bytes = proof["record"].encode("utf-8", "surrogatepass")
    try:
        record = json.loads(record_bytes)
    except (ValueError, RecursionError):
        record = None
    if not isinstance(record, dict):
        record = {}
        problems.append("The record is not a JSON object.")
    elif not is_one(record.get("v")):
        problems.append(f"The record's serialization version {record.get('v')!r} is not version 1.")
    if record.get("kind") != head.get("kind"):
        problems.append(f"The record is of kind {record.get('kind')!r}; the block seals {head.get('kind')!r}.")

    computed_leaf = leaf_hash(record_bytes).hex()
    if computed_leaf != proof["leaf_hash"]:
        problems.append("The record does not match its leaf hash: the record or the leaf hash was changed.")

    if proof["tree_size"] != head["record_count"]:
        problems.append(f"The proof's tree size {proof['tree_size']} is not the block's {head['record_count']}.")
    root = root_from_audit_path(
        bytes.fromhex(proof["leaf_hash"]),
        proof["leaf_index"],
        head["record_count"],
        [bytes.fromhex(node) for node in proof["audit_path"]],
    )
    if root is None or root.hex() != head["merkle_root"]:
        problems.append("The audit path does not lead from the leaf to the block's Merkle root.")

    if hashlib.sha256(canonical_json(head)).hexdigest() != proof["block_hash"]:
        problems.append("The block head does not hash to the block hash: the head was edited.")
    raw_key = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    given_key_id = hashlib.sha256(raw_key).hexdigest()
    if proof["key_id"] != head.get("key_id"):
        problems.append("The proof's key id is not the key id in the signed block head.")
    if head.get("key_id") != given_key_id:
        problems.append(f"The block was signed with key {head.get('key_id')}, not with the key given ({given_key_id}).")
    else:
        try:
            public_key.verify(bytes.fromhex(proof["signature"]), bytes.fromhex(proof["block_hash"]))
        except InvalidSignature:
            problems.append("The signature does not verify for the block hash with the public key given.")

    checked = [
        f"Record:       {record.get('kind')} {record.get('id')}",
        f"Leaf hash:    {computed_leaf} (leaf {proof['leaf_index']} of {head['record_count']})",
        f"Merkle root:  {head['merkle_root']}",
        f"Block:        {head.get('kind')} block {head.get('block_number')}, hash {proof['block_hash']}",
        f"Signed at:    {head.get('signed_at')}",
        f"Key id:       {given_key_id}",
    ]
    return checked, problems


def read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unusable(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from exc


def load_inputs(argv: list[str]) -> tuple[object, Ed25519PublicKey]:
    if len(argv) != 3:
        raise Unusable("Usage: python verify_proof.py proof.json public_key.pem")
    try:
        proof = json.loads(read(argv[1], "proof file"))
    except (ValueError, RecursionError) as exc:
        raise Unusable(f"The proof file {argv[1]} is not a JSON document.") from exc
    try:
        public_key = serialization.load_pem_public_key(read(argv[2], "public key file"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise Unusable(f"The public key file {argv[2]} does not hold a PEM public key.") from exc
    if not isinstance(public_key, Ed25519PublicKey):
        raise Unusable(f"The public key file {argv[2]} does not hold an Ed25519 public key.")
    return proof, public_key


def main(argv: list[str]) -> int:
    try:
        proof, public_key = load_inputs(argv)
    except Unusable as exc:
        print(exc, file=sys.stderr)
        return 2
    problems = shape_problems(proof)
    if not problems and isinstance(proof, dict):
        checked, problems = check(proof, public_key)
        print("\n".join(checked))
    for problem in problems:
        print(f"Problem:      {problem}")
    print("INVALID" if problems else "VALID")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
