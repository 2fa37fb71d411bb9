"""A compliance officer fetches one decision's inclusion proof and the public key; an
examiner checks them offline with docs/verify_proof.py, which refuses a tampered copy."""

import json

# Runs docs/verify_proof.py with fixed arguments.
import subprocess  # nosec B404
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from governance.sealing.services import audit_seal
from tests.predictions.support import token_client

from .audit_support import log_some_decisions

pytestmark = pytest.mark.django_db

VERIFIER = Path(settings.BASE_DIR) / "docs" / "verify_proof.py"


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


@pytest.fixture
def officer(compliance_officer):
    return token_client(compliance_officer)


@pytest.fixture
def decisions(production_version, log_decisions):
    rows = log_some_decisions(log_decisions, production_version, count=12)
    audit_seal()
    return rows


def run_verifier(proof_path, key_path):
    return subprocess.run(  # nosec B603
        [sys.executable, str(VERIFIER), str(proof_path), str(key_path)], capture_output=True, text=True
    )


def test_a_saved_proof_verifies_offline_and_a_tampered_copy_does_not(officer, decisions, tmp_path):
    response = officer.get("/api/v1/audit/proof/", {"kind": "decision", "id": str(decisions[5].pk)})
    assert response.status_code == 200, response.content
    proof = response.json()
    record = json.loads(proof["record"])
    assert (record["kind"], record["id"], proof["tree_size"]) == ("decision", str(decisions[5].pk), 12)
    assert record["fields"]["probability"] == decisions[5].probability
    key = officer.get("/api/v1/audit/public-key/").json()
    (tmp_path / "key.pem").write_text(key["public_key_pem"])
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    done = run_verifier(tmp_path / "proof.json", tmp_path / "key.pem")
    assert done.returncode == 0 and "VALID" in done.stdout, done.stdout + done.stderr
    tampered = {**proof, "record": proof["record"].replace(repr(decisions[5].probability), "0.001")}
    assert tampered["record"] != proof["record"]
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    done = run_verifier(tmp_path / "tampered.json", tmp_path / "key.pem")
    assert done.returncode == 1 and "INVALID" in done.stdout


def test_an_unknown_kind_is_a_400_that_names_the_kinds(officer, decisions):
    response = officer.get("/api/v1/audit/proof/", {"kind": "loan", "id": "1"})
    assert response.status_code == 400
    assert "no audit record kind 'loan'" in response.json()["detail"] and "decision" in str(response.json()["errors"])


def test_an_unknown_or_malformed_id_is_a_404_or_a_400(officer, decisions):
    assert officer.get("/api/v1/audit/proof/", {"kind": "decision", "id": str(uuid.uuid4())}).status_code == 404
    response = officer.get("/api/v1/audit/proof/", {"kind": "decision", "id": "12"})
    assert response.status_code == 400 and "id" in response.json()["errors"]
    assert officer.get("/api/v1/audit/proof/", {"kind": "decision"}).status_code == 400


def test_a_record_not_sealed_yet_is_a_404_that_says_so(officer, production_version, log_decisions):
    row = log_some_decisions(log_decisions, production_version, count=2)[0]
    response = officer.get("/api/v1/audit/proof/", {"kind": "decision", "id": str(row.pk)})
    assert response.status_code == 404 and "not sealed yet" in response.json()["detail"]


def test_only_a_compliance_officer_gets_proofs(api_client_user, validator, decisions):
    for user in (api_client_user, validator):
        response = token_client(user).get("/api/v1/audit/proof/", {"kind": "decision", "id": str(decisions[0].pk)})
        assert response.status_code == 403
