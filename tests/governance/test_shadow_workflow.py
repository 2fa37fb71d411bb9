"""Shadow scoring as a workflow action: who may start and stop it (four-eyes as for
approval), from which states, several versions at once, and promotion ending it."""

import pytest

from governance.errors import WorkflowConflict, WorkflowRefused
from governance.models import VersionState
from governance.services import model_version_transition
from loanportal.roles import Role
from tests.predictions.support import token_client
from tests.support import waive_all_high, waive_challenger_evidence

pytestmark = pytest.mark.django_db


def act(version, action, actor, comment="", **kwargs):
    return model_version_transition(version_id=version.pk, action=action, actor=actor, comment=comment, **kwargs)


def test_an_approver_starts_and_stops_a_shadow_and_both_are_recorded(challenger_version, approver):
    started = act(challenger_version, "start_shadow", approver)
    assert started.shadow_since is not None and started.state == VersionState.VALIDATED
    transition = started.transitions.get(action="start_shadow", accepted=True)
    assert transition.accepted and transition.from_state == transition.to_state == VersionState.VALIDATED
    with pytest.raises(WorkflowConflict, match="already in shadow"):
        act(started, "start_shadow", approver)
    with pytest.raises(WorkflowRefused, match="comment"):
        act(started, "stop_shadow", approver)
    stopped = act(started, "stop_shadow", approver, comment="Enough shadow evidence collected.")
    assert stopped.shadow_since is None
    assert (
        stopped.transitions.get(action="stop_shadow", accepted=True).details["shadow_since"]
        == transition.details["shadow_since"]
    )
    assert stopped.history.first().history_change_reason.startswith("stop_shadow")


def test_only_an_independent_model_approver_may_start_a_shadow(register_version, take_to, author, validator, make_user):
    version = take_to(register_version(), "submitted")
    both = make_user("vera-both", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER)
    act(version, "validate", both, waivers=waive_all_high(version))
    with pytest.raises(WorkflowRefused, match="validated"):
        act(version, "start_shadow", both)
    with pytest.raises(WorkflowRefused, match="Only a Model Approver"):
        act(version, "start_shadow", author)
    with pytest.raises(WorkflowRefused, match="Only a Model Approver"):
        act(version, "start_shadow", validator)
    version.refresh_from_db()
    assert version.shadow_since is None
    assert version.transitions.filter(action="start_shadow", accepted=False).count() == 3


def test_a_draft_cannot_be_in_shadow(draft_version, approver):
    with pytest.raises(WorkflowConflict, match="validated, approved"):
        act(draft_version, "start_shadow", approver)


def test_several_versions_shadow_at_once_and_promotion_ends_a_shadow(
    production_version, register_version, take_to, approver
):
    first = act(take_to(register_version(), "validated"), "start_shadow", approver)
    second = act(take_to(register_version(), "approved"), "start_shadow", approver)
    assert first.shadow_since and second.shadow_since
    promoted = act(second, "promote", approver, waivers=waive_challenger_evidence(second))
    assert promoted.state == VersionState.PRODUCTION and promoted.shadow_since is None
    assert "shadow_ended" in promoted.transitions.get(action="promote").details
    first.refresh_from_db()
    assert first.shadow_since is not None


def test_the_api_starts_and_stops_a_shadow(challenger_version, approver, author):
    started = token_client(approver).post(f"/api/v1/versions/{challenger_version.pk}/start_shadow/", {}, format="json")
    assert started.status_code == 200, started.content
    assert "start_shadow" in [t["action"] for t in started.json()["transitions"]]
    refused = token_client(author).post(
        f"/api/v1/versions/{challenger_version.pk}/stop_shadow/", {"comment": "Stop."}, format="json"
    )
    assert refused.status_code == 403
    stopped = token_client(approver).post(
        f"/api/v1/versions/{challenger_version.pk}/stop_shadow/", {"comment": "Done."}, format="json"
    )
    assert stopped.status_code == 200
    challenger_version.refresh_from_db()
    assert challenger_version.shadow_since is None
