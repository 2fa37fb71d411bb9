"""The detection matrix on PostgreSQL: the database superuser, with the append-only
triggers off, changes history; `verify_audit` catches each change and names it. And a
pg_dump restored into a new database verifies clean."""

import os

# Runs pg_dump, psql and manage.py with fixed arguments.
import subprocess  # nosec B404
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection

from governance.ledger import block_seal
from governance.models import AuditBlock, AuditLeaf, Transition
from governance.sealing.services import audit_seal
from predictions.models import DecisionLog
from predictions.services import decision_log_retention_apply

from ..monitoring.support import WINDOW_START
from .audit_support import behind_the_portals_back, log_some_decisions, problems, verify

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


@pytest.fixture
def sealed(production_version, log_decisions):
    """Three sealed decision blocks of 10, with outcomes and the workflow's transitions."""
    rows = []
    for seed in (1, 2, 3):
        rows += log_some_decisions(log_decisions, production_version, count=10, seed=seed)
        audit_seal()
    assert verify()[0] == 0
    return rows


def sql(statement, params=()):
    with behind_the_portals_back(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_edited_decision_field_is_named_changed(sealed):
    sql("UPDATE predictions_decisionlog SET probability = 0.001 WHERE id = %s", [sealed[4].pk])
    status, report = verify()
    assert status == 1 and problems(report, "decision") == [("changed", str(sealed[4].pk))]


def test_a_deleted_transition_is_named_deleted(sealed):
    transition = Transition.objects.order_by("-pk").first()
    sql("DELETE FROM governance_transition WHERE id = %s", [transition.pk])
    status, report = verify()
    assert status == 1 and problems(report, "transition") == [("deleted", transition.pk)]


def test_a_forged_decision_is_named_forged(sealed):
    forged = DecisionLog.objects.get(pk=sealed[0].pk)
    forged.pk, forged._state.adding, forged.created_at = uuid.uuid4(), True, WINDOW_START
    forged.save()
    status, report = verify()
    assert status == 1 and problems(report, "decision") == [("forged", str(forged.pk))]


def test_two_rows_that_swapped_contents_are_named_out_of_order(sealed):
    first, second = sealed[1], sealed[12]
    sql(
        "UPDATE predictions_decisionlog AS d SET probability = o.probability, request_id = o.request_id, "
        "decision = o.decision, created_at = o.created_at, inputs_sha256 = o.inputs_sha256, "
        "inputs = o.inputs, features = o.features "
        "FROM predictions_decisionlog AS o WHERE (d.id, o.id) IN ((%s, %s), (%s, %s))",
        [first.pk, second.pk, second.pk, first.pk],
    )
    status, report = verify()
    assert status == 1
    assert sorted(problems(report, "decision")) == sorted(
        [("out of order", str(first.pk)), ("out of order", str(second.pk))]
    )


def test_dropping_the_newest_blocks_is_named_tail_truncated(sealed):
    newest = list(AuditBlock.objects.filter(kind="decision", number__gte=2).values_list("pk", flat=True))
    for table in ("governance_auditleaf", "governance_auditcheckpoint"):
        # Fixed table names.
        sql(f"DELETE FROM {table} WHERE block_id = ANY(%s)", [newest])  # nosec B608
    sql("DELETE FROM governance_auditblock WHERE id = ANY(%s)", [newest])
    status, report = verify()
    assert status == 1 and ("tail truncated", 2) in problems(report, "decision")


def test_an_edited_block_root_is_named_block_edited(sealed):
    sql("UPDATE governance_auditblock SET merkle_root = repeat('a', 64) WHERE kind = 'decision' AND number = 2")
    status, report = verify()
    assert status == 1 and ("block edited", 2) in problems(report, "decision")


def test_a_block_re_signed_with_another_key_is_named_signature_invalid(sealed):
    block = AuditBlock.objects.get(kind="decision", number=3)
    leaves = [
        bytes(h) for h in AuditLeaf.objects.filter(block=block).order_by("position").values_list("leaf_hash", flat=True)
    ]
    forged = block_seal(
        kind="decision",
        block_number=3,
        first_position=block.first_position,
        first_record_id=block.first_record_id,
        last_record_id=block.last_record_id,
        leaf_hashes=leaves,
        previous_block_hash=block.previous_block_hash,
        signing_key=Ed25519PrivateKey.generate(),
        signed_at=block.signed_at,
    )
    sql(
        "UPDATE governance_auditblock SET key_id = %s, block_hash = %s, signature = %s WHERE id = %s",
        [forged.head.key_id, forged.block_hash, forged.signature, block.pk],
    )
    status, report = verify()
    assert status == 1 and ("signature invalid", 3) in problems(report, "decision")


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restored_into_a_new_database_verifies_clean(sealed, checkpoint_dir, tmp_path):
    database = connection.settings_dict
    restored = f"{database['NAME']}_restored"
    env = {
        **os.environ,
        "PGHOST": database["HOST"] or "127.0.0.1",
        "PGPORT": str(database["PORT"] or 5432),
        "PGUSER": database["USER"],
        "PGPASSWORD": database["PASSWORD"] or "",
    }
    dump = tmp_path / "dump.sql"
    subprocess.run(["pg_dump", "--no-owner", "-f", str(dump), database["NAME"]], env=env, check=True)  # nosec
    subprocess.run(["psql", "-q", "-c", f'DROP DATABASE IF EXISTS "{restored}"', "postgres"], env=env, check=True)  # nosec
    subprocess.run(["psql", "-q", "-c", f'CREATE DATABASE "{restored}"', "postgres"], env=env, check=True)  # nosec
    try:
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), restored], env=env, check=True, capture_output=True
        )  # nosec
        url = f"postgres://{env['PGUSER']}:{env['PGPASSWORD']}@{env['PGHOST']}:{env['PGPORT']}/{restored}"
        done = subprocess.run(  # nosec
            [sys.executable, "manage.py", "verify_audit", "--checkpoints", str(checkpoint_dir)],
            cwd=Path(settings.BASE_DIR),
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "loanportal.settings.test",
                "DATABASE_URL": url,
                "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
            },
            capture_output=True,
            text=True,
        )
    finally:
        subprocess.run(["psql", "-q", "-c", f'DROP DATABASE IF EXISTS "{restored}"', "postgres"], env=env, check=True)  # nosec
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"ok": true' in done.stdout and '"records": 30' in done.stdout


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_kept_digests_are_checked_in_a_forked_worker(sealed, settings, monkeypatch):
    """`verify_audit` as an operator runs it (no transaction around it) checks the kept
    digests in a worker process in its own snapshot: it still names an edited input, and
    still counts the decisions whose inputs retention cleared."""
    from governance.sealing import verify as verifying

    assert not connection.in_atomic_block
    verifier = os.getpid()
    real_kept_check = verifying._kept_check

    def kept_check_in_the_worker(kind, using=None):
        # The worker is a fork, so it runs this patched function too; run in the verifier's
        # own process it fails the verify.
        assert os.getpid() != verifier, "the kept digests were checked in the verifier's process"
        return real_kept_check(kind, using)

    monkeypatch.setattr(verifying, "_kept_check", kept_check_in_the_worker)
    sql("UPDATE predictions_decisionlog SET inputs = '{\"edited\": true}' WHERE id = %s", [sealed[7].pk])
    status, report = verify("--kind", "decision")
    assert status == 1 and problems(report, "decision") == [("changed", str(sealed[7].pk))]
    assert report["kinds"]["decision"]["mismatches"][0]["detail"] == (
        "Its inputs, features no longer match the kept digest inputs_sha256."
    )
    assert report["kinds"]["decision"]["cleared_by_retention"] == 0

    settings.DECISION_LOG_RETENTION_DAYS = 1
    decision_log_retention_apply()
    status, report = verify("--kind", "decision")
    assert status == 0, report
    assert report["kinds"]["decision"]["cleared_by_retention"] == len(sealed)
