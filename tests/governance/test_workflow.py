"""The approval workflow: states, comments, waivers, gates, rollback and history."""

import pytest

from governance.errors import WorkflowConflict, WorkflowRefused
from governance.models import ModelVersion, Transition, VersionState
from governance.services import model_version_transition
from tests.support import waive_all_high


def act(version, action, actor, comment="ok", waivers=None):
    return model_version_transition(version_id=version.pk, action=action, actor=actor, comment=comment, waivers=waivers)


@pytest.mark.django_db
def test_full_path_to_production_writes_transitions_and_history(draft_version, take_to, author, validator, approver):
    version = take_to(draft_version, "production")
    assert version.state == VersionState.PRODUCTION
    transitions = list(version.transitions.filter(accepted=True).order_by("created_at", "id"))
    assert [(t.action, t.from_state, t.to_state, t.actor) for t in transitions] == [
        ("register", "", "draft", author),
        ("submit", "draft", "submitted", author),
        ("validate", "submitted", "validated", validator),
        ("approve", "validated", "approved", approver),
        ("promote", "approved", "production", approver),
    ]
    reasons = list(
        version.history.order_by("history_date").values_list("state", "history_change_reason", "history_user")
    )
    assert reasons[-1] == ("production", "promote: promote in test", approver.pk)
    assert [r[0] for r in reasons] == ["draft", "submitted", "validated", "approved", "production"]


@pytest.mark.django_db
def test_action_from_the_wrong_state_is_a_conflict(draft_version, approver):
    with pytest.raises(WorkflowConflict, match="is draft; approve needs it to be validated"):
        act(draft_version, "approve", approver)
    assert Transition.objects.filter(version=draft_version, accepted=False, action="approve").exists()


@pytest.mark.django_db
def test_validate_needs_a_written_waiver_for_every_high_finding(draft_version, take_to, validator):
    version = take_to(draft_version, "submitted")
    high = [f["id"] for f in version.findings if f["severity"] == "high"]
    assert high, "the demo data carries leakage artifacts"
    partial = {high[0]: "Reviewed."}
    with pytest.raises(WorkflowRefused, match="high-severity findings without a waiver"):
        act(version, "validate", validator, waivers=partial)
    with pytest.raises(WorkflowRefused, match="needs a written justification"):
        act(version, "validate", validator, waivers={k: "  " for k in high})
    version = act(version, "validate", validator, waivers=waive_all_high(version))
    assert version.state == VersionState.VALIDATED
    assert set(version.waivers) == set(high)
    assert version.waivers[high[0]]["by"] == validator.username
    given = version.transitions.get(action="validate", accepted=True).details["waivers"]
    assert set(given) == set(high)


@pytest.mark.django_db
def test_waiving_something_that_is_not_a_finding_is_refused(draft_version, take_to, validator):
    version = take_to(draft_version, "submitted")
    with pytest.raises(WorkflowRefused, match="nothing to waive under 'MADE_UP'"):
        act(version, "validate", validator, waivers={**waive_all_high(version), "MADE_UP": "x"})


@pytest.mark.django_db
def test_reject_needs_a_comment_and_the_author_can_resubmit(draft_version, take_to, validator, author):
    version = take_to(draft_version, "submitted")
    with pytest.raises(WorkflowRefused, match="a comment saying why is required"):
        act(version, "reject", validator, comment="")
    version = act(version, "reject", validator, comment="Threshold not justified")
    assert version.state == VersionState.REJECTED
    version = act(version, "submit", author, comment="Threshold policy documented")
    assert version.state == VersionState.SUBMITTED


@pytest.mark.django_db
def test_submit_requires_the_automated_findings(register_version, author):
    version = register_version(findings=[])
    with pytest.raises(WorkflowRefused, match="no automated validation findings"):
        act(version, "submit", author)


@pytest.mark.django_db
def test_promotion_gate_refuses_auc_below_the_model_floor(draft_version, take_to, approver):
    version = take_to(draft_version, "approved")
    model = version.registered_model
    model.min_auc = 0.99
    model.save()
    with pytest.raises(WorkflowRefused, match=r"holdout ROC-AUC 0\.\d+ is below the floor 0\.99"):
        act(version, "promote", approver)
    version.refresh_from_db()
    assert version.state == VersionState.APPROVED


def unfair(training_result):
    fairness = {k: dict(v) for k, v in training_result.fairness.items()}
    gender = fairness["Gender"]
    groups = {g: dict(row) for g, row in gender["groups"].items()}
    groups["Female"]["adverse_impact_ratio"] = 0.7
    fairness["Gender"] = {**gender, "groups": groups, "passes_four_fifths": False, "min_adverse_impact_ratio": 0.7}
    return fairness


@pytest.mark.django_db
def test_promotion_gate_refuses_a_failed_fairness_screen_unless_waived(
    register_version, training_result, take_to, approver
):
    version = take_to(register_version(fairness=unfair(training_result)), "approved")
    with pytest.raises(WorkflowRefused, match="four-fifths rule: adverse impact ratio 0.700 for Gender = Female"):
        act(version, "promote", approver)
    with pytest.raises(WorkflowRefused, match="needs a written justification"):
        act(version, "promote", approver, waivers={"FAIRNESS:Gender": ""})
    version = act(
        version, "promote", approver, waivers={"FAIRNESS:Gender": "Disparity explained by income; monitored monthly."}
    )
    assert version.state == VersionState.PRODUCTION
    assert version.waivers["FAIRNESS:Gender"]["by"] == approver.username


@pytest.mark.django_db
def test_promoting_retires_the_previous_production_version_in_the_same_step(register_version, take_to, approver):
    first = take_to(register_version(), "production")
    second = take_to(register_version(), "production")
    first.refresh_from_db()
    assert (first.state, second.state) == (VersionState.RETIRED, VersionState.PRODUCTION)
    retire = first.transitions.get(action="retire")
    promote = second.transitions.get(action="promote")
    assert retire.details == {"superseded_by": second.pk}
    assert promote.details["retired_version"] == first.pk
    assert ModelVersion.objects.filter(state=VersionState.PRODUCTION).count() == 1


@pytest.mark.django_db
def test_rollback_returns_a_retired_version_to_production_with_a_comment(register_version, take_to, approver):
    first = take_to(register_version(), "production")
    second = take_to(register_version(), "production")
    with pytest.raises(WorkflowRefused, match="comment saying why"):
        act(first, "rollback", approver, comment="")
    first = act(first, "rollback", approver, comment="v2 mis-scores self-employed applicants")
    second.refresh_from_db()
    assert (first.state, second.state) == (VersionState.PRODUCTION, VersionState.RETIRED)


@pytest.mark.django_db
def test_retire_takes_a_version_out_of_production(draft_version, take_to, approver):
    version = act(take_to(draft_version, "production"), "retire", approver, comment="Replaced by scorecard")
    assert version.state == VersionState.RETIRED


@pytest.mark.django_db
def test_waivers_are_only_given_when_validating_or_promoting(draft_version, author):
    with pytest.raises(WorkflowRefused, match="not to submit"):
        act(draft_version, "submit", author, waivers={"X": "y"})


@pytest.mark.django_db
def test_a_long_comment_is_kept_whole_on_the_transition_and_shortened_in_the_history(draft_version, author):
    comment = "Submitted after the data owner confirmed the extract; " * 10
    version = act(draft_version, "submit", author, comment=comment)
    assert version.state == VersionState.SUBMITTED
    assert Transition.objects.get(version=version, action="submit").comment == comment
    reason = version.history.order_by("-history_date", "-history_id").first().history_change_reason
    assert reason == f"submit: {comment}"[:100]
