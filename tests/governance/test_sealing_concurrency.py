"""Sealing while the portal writes: a transaction that commits after a later-numbered
record was sealed, two sealers at once, and a sealer that dies mid-block."""

import threading

import pytest
from django.db import connection, transaction

from governance.models import AuditBlock, AuditLeaf
from governance.sealing import services
from governance.sealing.kinds import KINDS_BY_NAME
from governance.sealing.services import audit_seal
from predictions.models import DecisionLog
from tests.support import applications, decision_log_rows

from ..monitoring.support import WINDOW_START
from .audit_support import verify

DECISIONS = [KINDS_BY_NAME["decision"]]


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


@pytest.fixture
def unsaved_decisions(production_version, scorer, api_client_user):
    def make(count, seed):
        return decision_log_rows(
            production_version, applications(count, seed=seed), scorer=scorer, client=api_client_user, at=WINDOW_START
        )

    return make


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_decision_committed_after_a_later_one_was_sealed_is_sealed_by_the_next_seal(unsaved_decisions):
    early, late = unsaved_decisions(1, seed=1)[0], unsaved_decisions(5, seed=2)
    assert early.pk < late[0].pk  # ids are time-ordered: the early one has the smaller id
    inserted, sealed = threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                early.save()
                inserted.set()
                assert sealed.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_transaction)
    writer.start()
    assert inserted.wait(30)
    DecisionLog.objects.bulk_create(late)
    first = audit_seal(kinds=DECISIONS)
    sealed.set()
    writer.join(30)
    assert [block.record_count for block in first.blocks] == [5]
    second = audit_seal(kinds=DECISIONS)
    assert [(b.number, b.record_count, b.first_record_id) for b in second.blocks] == [(2, 1, str(early.pk))]
    assert AuditLeaf.objects.filter(kind="decision").count() == 6
    status, report = verify("--kind", "decision")
    assert status == 0, report


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_make_one_chain(unsaved_decisions, monkeypatch):
    DecisionLog.objects.bulk_create(unsaved_decisions(40, seed=3))
    # The first sealer holds its block's lock while the second starts and must wait.
    in_block, release = threading.Event(), threading.Event()
    copy = services._copy

    def slow_copy(*args, **kwargs):
        copy(*args, **kwargs)
        # The leaves are copied on a thread named after the sealer's.
        if threading.current_thread().name.startswith("first"):
            in_block.set()
            assert release.wait(30)

    monkeypatch.setattr(services, "_copy", slow_copy)
    results, errors = {}, []

    def seal(name):
        try:
            results[name] = audit_seal(kinds=DECISIONS)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=seal, args=("first",), name="first")
    second = threading.Thread(target=seal, args=("second",), name="second")
    first.start()
    assert in_block.wait(30)
    second.start()
    second.join(2)
    assert second.is_alive()  # waiting for the lock, not sealing the same records
    release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    assert [b.record_count for b in results["first"].blocks] == [40] and results["second"].blocks == []
    assert list(AuditBlock.objects.filter(kind="decision").values_list("number", flat=True)) == [1]
    assert verify("--kind", "decision")[0] == 0


@pytest.mark.django_db
def test_a_sealer_killed_mid_block_leaves_no_partial_block(unsaved_decisions, monkeypatch):
    DecisionLog.objects.bulk_create(unsaved_decisions(12, seed=4))
    copy = services._copy

    def die_after_the_leaves(*args, **kwargs):
        copy(*args, **kwargs)
        raise KeyboardInterrupt  # what a killed worker's interrupted transaction amounts to

    monkeypatch.setattr(services, "_copy", die_after_the_leaves)
    with pytest.raises(KeyboardInterrupt):
        audit_seal(kinds=DECISIONS)
    assert not AuditBlock.objects.exists() and not AuditLeaf.objects.exists()
    monkeypatch.setattr(services, "_copy", copy)
    assert [b.record_count for b in audit_seal(kinds=DECISIONS).blocks] == [12]
    assert verify("--kind", "decision")[0] == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_sealer_killed_while_its_leaves_are_copied_on_a_thread_keeps_only_the_blocks_before(
    unsaved_decisions, monkeypatch
):
    # Outside a transaction the records are read on a second connection and each block's
    # leaves are copied on a thread while the next block is computed; the block commits
    # when the next one is handed over.
    DecisionLog.objects.bulk_create(unsaved_decisions(12, seed=5))
    monkeypatch.setattr(services, "MAX_BLOCK_RECORDS", 5)
    copy, copies = services._copy, []

    def die_in_the_second_block(*args, **kwargs):
        copies.append(threading.current_thread().name)
        copy(*args, **kwargs)
        if len(copies) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(services, "_copy", die_in_the_second_block)
    with pytest.raises(KeyboardInterrupt):
        audit_seal(kinds=DECISIONS)
    assert copies == ["MainThread-audit-leaves"] * 2  # on the thread, not the caller's
    assert [(b.number, b.record_count) for b in AuditBlock.objects.filter(kind="decision")] == [(1, 5)]
    assert AuditLeaf.objects.filter(kind="decision").count() == 5
    monkeypatch.setattr(services, "_copy", copy)
    assert [b.record_count for b in audit_seal(kinds=DECISIONS).blocks] == [5, 2]
    assert verify("--kind", "decision")[0] == 0
