"""Property-style check of the four-eyes rule: random sequences of workflow actions by random
people, and after every step the invariants, computed here from the transition log alone (not
with the workflow module's own helpers), still hold."""

import random

import pytest

from governance.errors import WorkflowError
from governance.models import Transition, VersionState
from governance.services import model_version_register, model_version_transition
from loanportal.roles import Role

pytestmark = pytest.mark.django_db

ACTIONS = ["submit", "validate", "reject", "approve", "promote", "retire", "rollback"]
ROLE_OF = {
    "submit": {Role.DATA_SCIENTIST},
    "validate": {Role.MODEL_VALIDATOR},
    "reject": {Role.MODEL_VALIDATOR, Role.MODEL_APPROVER},
    "approve": {Role.MODEL_APPROVER},
    "promote": {Role.MODEL_APPROVER},
    "retire": {Role.MODEL_APPROVER},
    "rollback": {Role.MODEL_APPROVER},
}
# The README's workflow table, so the walks mostly try moves the state allows.
FROM_STATES = {
    "submit": {"draft", "rejected"},
    "validate": {"submitted"},
    "reject": {"submitted", "validated"},
    "approve": {"validated"},
    "promote": {"approved"},
    "retire": {"production", "approved"},
    "rollback": {"retired"},
}
INDEPENDENT_OF_AUTHORS = {"validate", "reject", "approve", "promote", "rollback"}
INDEPENDENT_OF_VALIDATORS = {"approve", "promote", "rollback"}
VALIDATED_STATES = {VersionState.VALIDATED, VersionState.APPROVED, VersionState.PRODUCTION, VersionState.RETIRED}
STEPS_PER_WALK = 60


@pytest.fixture
def crowd(make_user, django_user_model):
    """People with every mix of roles, including ones that make four-eyes matter."""
    people = [
        make_user("ds-1", Role.DATA_SCIENTIST),
        make_user("ds-2", Role.DATA_SCIENTIST),
        make_user("ds-val", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR),
        make_user("ds-app", Role.DATA_SCIENTIST, Role.MODEL_APPROVER),
        make_user("val-1", Role.MODEL_VALIDATOR),
        make_user("val-app-1", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
        make_user("val-app-2", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
        make_user("app-1", Role.MODEL_APPROVER),
        make_user("everything", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
    ]
    people.append(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    return people


def check_invariants(version, high_findings):
    accepted = list(Transition.objects.filter(version=version, accepted=True).order_by("created_at", "id"))
    authors = {version.created_by_id}
    validators: set[int] = set()
    round_validation = None
    for transition in accepted:
        action, actor = transition.action, transition.actor_id
        if action != "register":
            assert set(transition.actor_roles) & ROLE_OF[action], f"{transition} taken without the role"
        if action in INDEPENDENT_OF_AUTHORS:
            assert actor not in authors, f"{transition} taken by an author or submitter"
        if action in INDEPENDENT_OF_VALIDATORS:
            assert actor not in validators, f"{transition} taken by someone who validated the version"
        if action == "submit":
            authors.add(actor)
            round_validation = None
        elif action == "validate":
            validators.add(actor)
            round_validation = transition
            assert set(transition.details.get("waivers", {})) >= high_findings, "validated without its own waivers"
        elif action == "reject":
            round_validation = None
    version.refresh_from_db()
    assert version.state == accepted[-1].to_state
    finding_waivers = {k: w for k, w in version.waivers.items() if k in high_findings}
    if version.state in VALIDATED_STATES:
        assert round_validation is not None
        assert set(finding_waivers) == high_findings
        for waiver in finding_waivers.values():
            assert waiver["by"] == round_validation.actor.get_username()
            assert waiver["transition"] == round_validation.pk
    else:
        assert not finding_waivers, f"a {version.state} version still carries an earlier round's waivers"


@pytest.mark.parametrize("seed", range(16))
def test_random_workflow_walks_keep_the_four_eyes_invariants(crowd, registered_model, training_result, seed):
    rng = random.Random(seed)
    author = crowd[0]
    version = model_version_register(registered_model=registered_model, result=training_result, author=author)
    high_findings = {f["id"] for f in version.findings if f["severity"] == "high"}
    refused = 0
    for _ in range(STEPS_PER_WALK):
        version.refresh_from_db()
        possible = [a for a in ACTIONS if version.state in FROM_STATES[a]]
        action = rng.choice(possible if rng.random() < 0.8 else ACTIONS)
        actor = rng.choice(crowd)
        waivers = {}
        if action == "validate" and rng.random() < 0.8:
            waivers = {key: f"Reviewed by {actor.username}" for key in high_findings}
        try:
            model_version_transition(
                version_id=version.pk, action=action, actor=actor, comment=rng.choice(["", "why"]), waivers=waivers
            )
        except WorkflowError:
            refused += 1
        else:
            check_invariants(version, high_findings)
    assert Transition.objects.filter(version=version, accepted=False).count() == refused
    # Walks long enough to get somewhere: each seed makes several accepted moves.
    assert Transition.objects.filter(version=version, accepted=True).count() > 5
