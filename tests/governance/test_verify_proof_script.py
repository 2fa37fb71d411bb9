"""The examiner's offline verifier, docs/verify_proof.py, run as an examiner runs it: a copy
of the script outside the project, in an isolated interpreter, on a proof the portal made."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from governance.ledger import canonical_encode, key_id, public_key_pem
from tests.governance.ledger_support import seal_decisions

SCRIPT = Path(settings.BASE_DIR) / "docs" / "verify_proof.py"


@pytest.fixture
def examiner(tmp_path):
    """A directory holding a copy of the script, a proof of record 5 of 13 and the
    portal's public key; `run(*args)` runs the script there."""
    signing_key = Ed25519PrivateKey.generate()
    shutil.copy(SCRIPT, tmp_path / "verify_proof.py")
    block = seal_decisions(13, signing_key)
    (tmp_path / "proof.json").write_text(json.dumps(block.proof(5), indent=2))
    (tmp_path / "public_key.pem").write_bytes(public_key_pem(signing_key))

    def run(*args: str) -> subprocess.CompletedProcess:
        # -I: no PYTHONPATH, no user site, not even the script's own directory on sys.path.
        return subprocess.run(
            [sys.executable, "-I", "verify_proof.py", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    run.directory = tmp_path
    run.block = block
    run.signing_key = signing_key
    return run


def rewrite_proof(examiner, change) -> None:
    path = examiner.directory / "proof.json"
    proof = json.loads(path.read_text())
    change(proof)
    path.write_text(json.dumps(proof))


def test_a_proof_from_the_portal_is_valid_and_the_script_says_what_it_checked(examiner):
    result = examiner("proof.json", "public_key.pem")
    assert result.returncode == 0, result.stdout + result.stderr
    proof = examiner.block.proof(5)
    head = proof["block_head"]
    lines = result.stdout.splitlines()
    assert lines[-1] == "VALID"
    assert f"decision {json.loads(proof['record'])['id']}" in lines[0]
    assert f"{proof['leaf_hash']} (leaf 5 of 13)" in lines[1]
    assert head["merkle_root"] in lines[2]
    assert "decision block 1" in lines[3] and proof["block_hash"] in lines[3]
    assert "2026-03-02T10:00:00.000000Z" in lines[4]
    assert key_id(examiner.signing_key.public_key()) in lines[5]
    assert result.stderr == ""


def change_decision(proof: dict) -> None:
    record = json.loads(proof["record"])
    record["fields"]["decision"] = "decline"
    proof["record"] = canonical_encode(record).decode()


def change_path(proof: dict) -> None:
    node = proof["audit_path"][2]
    proof["audit_path"][2] = ("1" if node[0] == "0" else "0") + node[1:]


def change_signature(proof: dict) -> None:
    signature = bytearray.fromhex(proof["signature"])
    signature[0] ^= 0x01
    proof["signature"] = signature.hex()


def change_head(proof: dict) -> None:
    proof["block_head"]["signed_at"] = "2026-03-02T10:00:00.000001Z"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (change_decision, "The record does not match its leaf hash: the record or the leaf hash was changed."),
        (change_path, "The audit path does not lead from the leaf to the block's Merkle root."),
        (change_signature, "The signature does not verify for the block hash with the public key given."),
        (change_head, "The block head does not hash to the block hash: the head was edited."),
    ],
)
def test_a_tampered_proof_is_invalid_and_the_problem_is_named(examiner, change, problem):
    rewrite_proof(examiner, change)
    result = examiner("proof.json", "public_key.pem")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("Problem:")] == [f"Problem:      {problem}"]
    assert lines[-1] == "INVALID"


def test_a_proof_checked_against_another_public_key_is_invalid(examiner):
    other = Ed25519PrivateKey.generate()
    (examiner.directory / "other.pem").write_bytes(public_key_pem(other))
    result = examiner("proof.json", "other.pem")
    assert result.returncode == 1
    signer, given = key_id(examiner.signing_key.public_key()), key_id(other.public_key())
    assert f"Problem:      The block was signed with key {signer}, not with the key given ({given})." in result.stdout
    assert result.stdout.splitlines()[-1] == "INVALID"


def test_a_json_document_that_is_not_a_proof_is_invalid(examiner):
    (examiner.directory / "proof.json").write_text('{"record": 5, "audit_path": ["xyz"]}')
    result = examiner("proof.json", "public_key.pem")
    assert result.returncode == 1
    assert "Problem:      The proof has no valid record." in result.stdout
    assert "Problem:      The proof has no valid audit_path." in result.stdout
    assert result.stdout.splitlines()[-1] == "INVALID"


def rsa_public_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


USAGE = "Usage: python verify_proof.py proof.json public_key.pem"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), USAGE),
        (("proof.json",), USAGE),
        (("proof.json", "public_key.pem", "extra"), USAGE),
        (("gone.json", "public_key.pem"), "The proof file gone.json cannot be read: No such file or directory."),
        (("bad.json", "public_key.pem"), "The proof file bad.json is not a JSON document."),
        (("proof.json", "."), "The public key file . cannot be read: Is a directory."),
        (("proof.json", "text.pem"), "The public key file text.pem does not hold a PEM public key."),
        (("proof.json", "rsa.pem"), "The public key file rsa.pem does not hold an Ed25519 public key."),
    ],
)
def test_bad_arguments_or_files_get_a_sentence_and_exit_2(examiner, args, message):
    (examiner.directory / "bad.json").write_text("{not json")
    (examiner.directory / "text.pem").write_text("hello")
    (examiner.directory / "rsa.pem").write_bytes(rsa_public_key_pem())
    result = examiner(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


def load_script():
    spec = importlib.util.spec_from_file_location("verify_proof", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("value", [None, "x", -1, [], {}, 1.5, True])
def test_any_field_of_the_wrong_type_makes_the_proof_invalid_without_a_traceback(examiner, capsys, value):
    script = load_script()  # in-process: one run per field and value would take minutes as subprocesses
    proof = examiner.block.proof(5)
    paths = [str(examiner.directory / "proof.json"), str(examiner.directory / "public_key.pem")]
    targets = [(proof, name) for name in proof] + [(proof["block_head"], name) for name in proof["block_head"]]
    for container, name in targets:
        original = container[name]
        container[name] = value
        (examiner.directory / "proof.json").write_text(json.dumps(proof))
        assert script.main(["verify_proof.py", *paths]) == 1, name
        container[name] = original
    assert capsys.readouterr().out.count("\nINVALID\n") == len(targets)
