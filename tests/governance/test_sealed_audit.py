"""Sealing the audit records into signed blocks and verifying them (SQLite and PostgreSQL)."""

import dataclasses
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from governance.models import (
    AuditBlock,
    AuditLeaf,
    RetrainingPolicy,
    RetrainingRun,
    RetrainingState,
    RetrainingTrigger,
)
from governance.sealing.kinds import KINDS, KINDS_BY_NAME, kind_for_model
from governance.sealing.selectors import audit_proof
from governance.sealing.services import audit_seal
from loanportal.audit import audit_models
from loanportal.errors import NotFound
from predictions.models import DecisionLog
from predictions.services import decision_log_retention_apply

from .audit_support import behind_the_portals_back, log_some_decisions, problems, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def test_a_seal_puts_every_record_in_one_block_per_kind_and_verifies_clean(production_version, log_decisions):
    log_some_decisions(log_decisions, production_version)
    result = audit_seal()
    kinds = {block.kind: block for block in result.blocks}
    assert kinds["decision"].record_count == 30 and kinds["outcome"].record_count == 30
    assert kinds["transition"].record_count == production_version.transitions.count()
    assert AuditLeaf.objects.filter(kind="decision").count() == 30
    status, report = verify()
    assert status == 0 and report["ok"], report
    assert report["kinds"]["decision"]["records"] == 30 and report["kinds"]["decision"]["blocks"] == 1


def test_a_second_seal_seals_only_what_is_new_and_chains_to_the_first(production_version, log_decisions):
    log_some_decisions(log_decisions, production_version)
    first = audit_seal()
    assert audit_seal().blocks == []
    log_some_decisions(log_decisions, production_version, count=10, seed=4)
    second = audit_seal()
    new = {block.kind: block for block in second.blocks}
    assert set(new) == {"decision", "outcome"} and new["decision"].record_count == 10
    old = next(block for block in first.blocks if block.kind == "decision")
    assert (new["decision"].number, new["decision"].previous_block_hash) == (2, old.block_hash)
    assert new["decision"].first_position == 30
    assert verify()[0] == 0


def test_each_block_head_is_one_line_in_the_checkpoint_file(production_version, log_decisions, checkpoint_dir):
    log_some_decisions(log_decisions, production_version)
    result = audit_seal()
    lines = (checkpoint_dir / "audit-checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(line)["block_hash"] for line in lines] == [
        b.block_hash for b in sorted(result.blocks, key=lambda b: (b.kind, b.number))
    ]


def test_verify_passes_after_retention_and_counts_the_cleared_decisions(production_version, log_decisions, settings):
    log_some_decisions(log_decisions, production_version)
    audit_seal()
    settings.DECISION_LOG_RETENTION_DAYS = 1
    decision_log_retention_apply()
    assert not DecisionLog.objects.filter(inputs__isnull=False).exists()
    status, report = verify("--kind", "decision")
    assert status == 0, report
    assert report["kinds"]["decision"]["cleared_by_retention"] == 30


def test_a_record_changed_before_retention_is_caught_by_its_kept_digest(production_version, log_decisions):
    rows = log_some_decisions(log_decisions, production_version)
    audit_seal()
    # The inputs are outside the leaf, inside the kept digest.
    with behind_the_portals_back():
        DecisionLog.objects.filter(pk=rows[0].pk).update(inputs={"edited": True})
    status, report = verify("--kind", "decision")
    assert status == 1 and problems(report, "decision") == [("changed", str(rows[0].pk))]


def test_sealing_without_a_signing_key_is_refused_with_a_sentence(settings, production_version):
    settings.AUDIT_SIGNING_KEY = ""
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY is not set") as error:
        call_command("seal_audit")
    assert error.value.returncode == 2 and not AuditBlock.objects.exists()


def test_verify_exits_2_for_a_missing_checkpoint_dir_or_a_key_that_is_not_ed25519(settings, tmp_path):
    status, report = verify("--checkpoints", str(tmp_path / "nowhere"))
    assert status == 2 and "does not exist" in report["error"]
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello")
    settings.AUDIT_SIGNING_KEY = str(not_a_key)
    status, report = verify()
    assert status == 2 and "does not hold a PEM private key" in report["error"]


def test_the_seal_runs_every_5_minutes_as_a_task_the_worker_knows():
    from django_celery_beat.models import PeriodicTask

    from loanportal.celery import app

    periodic = PeriodicTask.objects.select_related("interval").get(name="Audit: seal, every 5 minutes")
    app.loader.import_default_modules()
    assert periodic.task in app.tasks and periodic.enabled
    assert (periodic.interval.every, periodic.interval.period) == (5, "minutes")


def test_the_task_without_a_signing_key_fails_with_a_job_failure_incident(settings, production_version):
    from governance.tasks import audit_seal as audit_seal_task
    from monitoring.models import Incident

    settings.AUDIT_SIGNING_KEY = ""
    assert audit_seal_task.apply().failed()
    incident = Incident.objects.get(kind="job_failure")
    assert "audit seal" in incident.subject and "AUDIT_SIGNING_KEY is not set" in incident.summary


def test_a_failed_checkpoint_post_is_retried_by_the_next_seal(settings, production_version, log_decisions, monkeypatch):
    import urllib.request

    from governance.models import AuditCheckpoint

    settings.AUDIT_CHECKPOINT_WEBHOOK_URL = "http://checkpoints.invalid/heads"
    posted = []

    def refuse(request, timeout):
        raise OSError("connection refused")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    log_some_decisions(log_decisions, production_version)
    first = audit_seal()
    assert first.blocks and first.checkpoints_posted == 0  # sealing was not blocked
    assert AuditCheckpoint.objects.filter(posted_at__isnull=True).count() == len(first.blocks)

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def accept(request, timeout):
        posted.append(json.loads(request.data))
        return Answer()

    monkeypatch.setattr(urllib.request, "urlopen", accept)
    second = audit_seal()
    assert second.blocks == [] and second.checkpoints_posted == len(first.blocks)
    assert {p["block_hash"] for p in posted} == {b.block_hash for b in first.blocks}
    assert not AuditCheckpoint.objects.filter(posted_at__isnull=True).exists()


def test_every_audit_table_but_the_ledgers_own_is_sealed_in_a_chain_of_its_own():
    ledger = {AuditBlock, AuditLeaf}
    unsealed = [model._meta.label for model in audit_models() if model not in ledger and kind_for_model(model) is None]
    assert unsealed == []
    assert len({kind.name for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_column_of_a_sealed_table_is_in_its_record_kept_by_digest_or_named_outside(kind):
    """A column added to a sealed model must be a decision: sealed under a new kind name,
    or named in `outside_record` with the reason."""
    columns = {field.attname for field in kind.model._meta.concrete_fields} - {kind.model._meta.pk.attname}
    kept = kind.kept_digest
    covered = set(kind.record_fields) | (set(kept.data_fields) | {kept.cleared_at} if kept else set())
    assert sorted(columns - covered) == sorted(kind.outside_record)


def test_a_retraining_run_is_sealed_once_it_has_finished_and_not_before(production_version):
    def run(state: str, **fields):
        return RetrainingRun.objects.create(
            registered_model=production_version.registered_model,
            parent_version=production_version,
            trigger=RetrainingTrigger.COMMAND,
            reason="In the sealing test.",
            state=state,
            **fields,
        )

    pending = run(RetrainingState.PENDING)
    finished = run(RetrainingState.FAILED, failure="Too few labelled rows.", finished_at=timezone.now())
    audit_seal()
    sealed = set(AuditLeaf.objects.filter(kind="retraining_run").values_list("record_id", flat=True))
    assert sealed == {str(finished.pk)}
    status, report = verify()
    assert status == 0 and report["ok"], report
    assert pending.pk  # still pending, unsealed, and not reported as forged


def test_a_closed_chain_seals_nothing_new_and_its_successor_seals_every_row_with_the_added_column(
    production_version,
):
    """retraining_policy_history was sealed before `search_rows` existed; its successor
    seals every history row, those sealed before too, with the column."""
    closed, successor = KINDS_BY_NAME["retraining_policy_history"], KINDS_BY_NAME["retraining_policy_history_v2"]
    policy = RetrainingPolicy.objects.create(registered_model=production_version.registered_model)
    # As a portal sealed before the successor existed: the old kind, still open.
    audit_seal(kinds=[dataclasses.replace(closed, superseded_by=None)])
    policy.search_rows = 60_000
    policy.save()
    result = audit_seal()
    blocks = {block.kind: block.record_count for block in result.blocks}
    assert "retraining_policy_history" not in blocks and blocks["retraining_policy_history_v2"] == 2
    status, report = verify()
    assert status == 0, report
    assert report["kinds"]["retraining_policy_history"]["records"] == 1
    assert report["kinds"]["retraining_policy_history"]["unsealed"] == 0
    assert report["kinds"]["retraining_policy_history_v2"]["records"] == 2

    newest = policy.history.order_by("-history_id").first()
    proof = audit_proof(kind_name=successor.name, record_id=str(newest.history_id))
    assert json.loads(proof["record"])["fields"]["search_rows"] == 60_000
    with pytest.raises(NotFound, match="ask for kind retraining_policy_history_v2"):
        audit_proof(kind_name=closed.name, record_id=str(newest.history_id))

    # The added column is sealed: an edit of it is caught by the successor.
    with behind_the_portals_back():
        type(newest).objects.filter(history_id=newest.history_id).update(search_rows=1)
    status, report = verify()
    assert status == 1 and problems(report, "retraining_policy_history_v2") == [("changed", newest.history_id)]
    assert problems(report, "retraining_policy_history") == []


def test_a_row_sealed_in_a_closed_chain_and_deleted_is_named_deleted_in_both_chains(production_version):
    closed = KINDS_BY_NAME["retraining_policy_history"]
    policy = RetrainingPolicy.objects.create(registered_model=production_version.registered_model)
    audit_seal(kinds=[dataclasses.replace(closed, superseded_by=None)])
    audit_seal()
    first = policy.history.get()
    with behind_the_portals_back():
        type(first).objects.filter(history_id=first.history_id).delete()
    status, report = verify()
    assert status == 1
    assert problems(report, "retraining_policy_history") == [("deleted", first.history_id)]
    assert problems(report, "retraining_policy_history_v2") == [("deleted", first.history_id)]
