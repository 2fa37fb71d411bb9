"""Four-eyes across review rounds: a rejection starts a new round, and nobody who validated a
version in any round may approve, promote or roll it back."""

import itertools

import pytest

from governance.errors import WorkflowRefused
from governance.models import Transition, VersionState
from governance.services import model_version_transition
from loanportal.roles import Role
from tests.predictions.support import token_client
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db


def act(version, action, actor, waivers=None):
    return model_version_transition(
        version_id=version.pk, action=action, actor=actor, comment=f"{action} in test", waivers=waivers
    )


@pytest.fixture
def people(make_user, author):
    """The author, two validators who also approve (A, B), and two approvers (C, D)."""
    return {
        "author": author,
        "A": make_user("val-a", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
        "B": make_user("val-b", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
        "C": make_user("app-c", Role.MODEL_APPROVER),
        "D": make_user("app-d", Role.MODEL_APPROVER),
    }


def test_a_validator_of_the_second_round_cannot_approve_through_the_api(people, draft_version):
    """The acceptance run's reproduction: submit, validate (B), reject, submit, validate (A),
    then A approves through the REST API."""
    version = draft_version
    act(version, "submit", people["author"])
    act(version, "validate", people["B"], waivers=waive_all_high(version))
    act(version, "reject", people["C"])
    act(version, "submit", people["author"])
    act(version, "validate", people["A"], waivers=waive_all_high(version))

    answer = token_client(people["A"]).post(f"/api/v1/versions/{version.pk}/approve/", {"comment": "ok"}, format="json")

    assert answer.status_code == 403
    assert "val-a validated loan-default v1" in answer.json()["detail"]
    assert "approve" in answer.json()["detail"]
    version.refresh_from_db()
    assert version.state == VersionState.VALIDATED
    refusal = Transition.objects.filter(version=version, accepted=False).get()
    assert (refusal.action, refusal.actor) == ("approve", people["A"])


# Each review history: who validated (or None: rejected before validation) in each round.
# Every round but the last ends in a rejection; the last is validated and goes on.
ROUNDS = [
    ("A",),
    ("B", "A"),
    ("A", "B"),
    ("A", "A"),
    (None, "A"),
    ("B", None, "A"),
    ("B", "B", "A"),
]


def review(version, people, rounds):
    """Run the review rounds; return the set of people who ever validated."""
    validated_by = set()
    for number, validator in enumerate(rounds):
        act(version, "submit", people["author"])
        if validator is not None:
            act(version, "validate", people[validator], waivers=waive_all_high(version))
            validated_by.add(validator)
        if number < len(rounds) - 1:
            act(version, "reject", people["D"])
    return validated_by


@pytest.mark.parametrize(
    ("rounds", "approver"), list(itertools.product(ROUNDS, ["A", "B", "C"])), ids=lambda value: str(value)
)
def test_approve_after_every_review_history(people, draft_version, rounds, approver):
    validated_by = review(draft_version, people, rounds)
    if approver in validated_by:
        with pytest.raises(WorkflowRefused, match="validated loan-default v1; .* someone else to approve it"):
            act(draft_version, "approve", people[approver])
    else:
        assert act(draft_version, "approve", people[approver]).state == VersionState.APPROVED


@pytest.mark.parametrize(
    ("rounds", "promoter"), list(itertools.product(ROUNDS, ["A", "B", "D"])), ids=lambda value: str(value)
)
def test_promote_after_every_review_history(people, draft_version, rounds, promoter):
    validated_by = review(draft_version, people, rounds)
    act(draft_version, "approve", people["C"])
    if promoter in validated_by:
        with pytest.raises(WorkflowRefused, match="validated loan-default v1; .* someone else to promote it"):
            act(draft_version, "promote", people[promoter])
    else:
        assert act(draft_version, "promote", people[promoter]).state == VersionState.PRODUCTION


@pytest.mark.parametrize(
    ("rounds", "restorer"), list(itertools.product(ROUNDS, ["A", "B", "D"])), ids=lambda value: str(value)
)
def test_rollback_after_every_review_history(people, draft_version, rounds, restorer):
    validated_by = review(draft_version, people, rounds)
    act(draft_version, "approve", people["C"])
    act(draft_version, "promote", people["C"])
    act(draft_version, "retire", people["C"])
    if restorer in validated_by:
        with pytest.raises(WorkflowRefused, match="validated loan-default v1; .* someone else to roll"):
            model_version_transition(
                version_id=draft_version.pk, action="rollback", actor=people[restorer], comment="restore"
            )
    else:
        restored = model_version_transition(
            version_id=draft_version.pk, action="rollback", actor=people[restorer], comment="restore"
        )
        assert restored.state == VersionState.PRODUCTION


def test_the_model_card_buttons_follow_the_same_rule(people, draft_version):
    from governance.workflow import available_actions

    review(draft_version, people, ("B", "A"))
    draft_version.refresh_from_db()
    assert "approve" not in available_actions(draft_version, people["A"])
    assert "approve" not in available_actions(draft_version, people["B"])
    assert "approve" in available_actions(draft_version, people["C"])
