"""Concurrent workflow actions on one model: exactly one wins, the other gets a clear 409.

The first action is held inside its transaction (after taking the locks) while the second
arrives, so the race is deterministic rather than left to the scheduler.
"""

import threading

import pytest
from django.db import connection

from governance import services
from governance.errors import WorkflowConflict
from governance.models import ModelVersion, Transition, VersionState
from governance.services import model_version_transition
from loanportal.exceptions import service_error_status

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_in_thread(results: dict, key: str, **kwargs) -> threading.Thread:
    def target() -> None:
        try:
            model_version_transition(**kwargs)
            results[key] = "accepted"
        except WorkflowConflict as conflict:
            results[key] = conflict
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


@pytest.fixture
def hold_next_action(monkeypatch):
    """Arm: the next action that reaches `_apply` waits inside its transaction until released."""

    def arm() -> tuple[threading.Event, threading.Event]:
        inside, release = threading.Event(), threading.Event()
        original = services._apply

        def held(version, action, *args):
            if not inside.is_set():
                inside.set()
                release.wait(10)
            return original(version, action, *args)

        monkeypatch.setattr(services, "_apply", held)
        return inside, release

    return arm


def test_two_concurrent_promotions_exactly_one_wins(register_version, take_to, approver, hold_next_action):
    first = take_to(register_version(), "approved")
    second = take_to(register_version(), "approved")
    inside, release = hold_next_action()
    results: dict = {}
    winner = run_in_thread(results, "first", version_id=first.pk, action="promote", actor=approver, comment="go")
    assert inside.wait(10)
    loser = run_in_thread(results, "second", version_id=second.pk, action="promote", actor=approver, comment="go")
    loser.join(5)
    assert not loser.is_alive(), "the loser is answered while the winner still holds the lock"
    release.set()
    winner.join(10)

    assert results["first"] == "accepted"
    assert isinstance(results["second"], WorkflowConflict)
    assert service_error_status(results["second"]) == 409
    assert "Another workflow action on this model is in progress" in results["second"].message
    assert list(ModelVersion.objects.filter(state=VersionState.PRODUCTION).values_list("pk", flat=True)) == [first.pk]
    assert ModelVersion.objects.get(pk=second.pk).state == VersionState.APPROVED
    refused = Transition.objects.get(version=second, accepted=False)
    assert refused.action == "promote" and "in progress" in refused.reason


def test_approve_while_rejecting_one_wins_and_no_state_outside_the_workflow(
    draft_version, take_to, approver, make_user, hold_next_action
):
    from loanportal.roles import Role

    other_approver = make_user("bo-approver", Role.MODEL_APPROVER)
    version = take_to(draft_version, "validated")
    inside, release = hold_next_action()
    results: dict = {}
    approving = run_in_thread(
        results, "approve", version_id=version.pk, action="approve", actor=approver, comment="fine"
    )
    assert inside.wait(10)
    rejecting = run_in_thread(
        results, "reject", version_id=version.pk, action="reject", actor=other_approver, comment="not fine"
    )
    rejecting.join(5)
    assert not rejecting.is_alive(), "the loser is answered while the winner still holds the lock"
    release.set()
    approving.join(10)

    assert results["approve"] == "accepted"
    assert isinstance(results["reject"], WorkflowConflict)
    version.refresh_from_db()
    assert version.state == VersionState.APPROVED
    accepted = list(version.transitions.filter(accepted=True).values_list("action", flat=True))
    assert accepted.count("reject") == 0 and accepted.count("approve") == 1
