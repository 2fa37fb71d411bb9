"""Four-eyes review: nobody reviews their own work, and superusers get no bypass."""

import pytest

from governance.errors import WorkflowRefused
from governance.models import Transition, VersionState
from governance.services import model_version_transition
from loanportal.roles import Role
from tests.support import waive_all_high


def act(version, action, actor, comment="ok", waivers=None):
    return model_version_transition(version_id=version.pk, action=action, actor=actor, comment=comment, waivers=waivers)


@pytest.mark.django_db
def test_submitter_cannot_validate_own_version(make_user, draft_version):
    both = make_user("sam", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR)
    act(draft_version, "submit", both)
    with pytest.raises(WorkflowRefused, match="four-eyes review requires someone else to validate"):
        act(draft_version, "validate", both, waivers=waive_all_high(draft_version))


@pytest.mark.django_db
def test_author_cannot_validate_approve_or_promote_own_version(
    make_user, registered_model, training_result, take_to, validator
):
    from governance.services import model_version_register

    author = make_user("ana", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER)
    version = model_version_register(registered_model=registered_model, result=training_result, author=author)
    act(version, "submit", author)
    with pytest.raises(WorkflowRefused, match="ana authored or submitted"):
        act(version, "validate", author, waivers=waive_all_high(version))
    act(version, "validate", validator, waivers=waive_all_high(version))
    with pytest.raises(WorkflowRefused, match="four-eyes"):
        act(version, "approve", author)
    version.refresh_from_db()
    assert version.state == VersionState.VALIDATED


@pytest.mark.django_db
def test_submitter_cannot_approve_own_version(make_user, draft_version, validator):
    submitter = make_user("sub", Role.DATA_SCIENTIST, Role.MODEL_APPROVER)
    act(draft_version, "submit", submitter)
    act(draft_version, "validate", validator, waivers=waive_all_high(draft_version))
    with pytest.raises(WorkflowRefused, match="sub authored or submitted"):
        act(draft_version, "approve", submitter)


@pytest.mark.django_db
def test_validator_cannot_also_approve(make_user, draft_version, take_to):
    both = make_user("val-and-app", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER)
    version = take_to(draft_version, "submitted")
    act(version, "validate", both, waivers=waive_all_high(version))
    with pytest.raises(WorkflowRefused, match="val-and-app validated loan-default v1; .* someone else to approve it"):
        act(version, "approve", both)


@pytest.mark.django_db
def test_validator_cannot_promote_either(make_user, draft_version, take_to, approver):
    both = make_user("val-and-app", Role.MODEL_VALIDATOR, Role.MODEL_APPROVER)
    version = take_to(draft_version, "submitted")
    act(version, "validate", both, waivers=waive_all_high(version))
    act(version, "approve", approver)
    with pytest.raises(WorkflowRefused, match="val-and-app validated loan-default v1; .* someone else to promote it"):
        act(version, "promote", both)


@pytest.mark.django_db
def test_superuser_without_the_role_is_refused(draft_version, take_to, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    version = take_to(draft_version, "validated")
    with pytest.raises(WorkflowRefused, match="Only a Model Approver may approve"):
        act(version, "approve", root)


@pytest.mark.django_db
def test_superuser_author_with_every_role_still_cannot_approve_own_version(
    django_user_model, registered_model, training_result, validator
):
    from governance.services import model_version_register, portal_user_provision

    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    for role in (Role.DATA_SCIENTIST, Role.MODEL_APPROVER):
        root = portal_user_provision(username="root", role=role)
    version = model_version_register(registered_model=registered_model, result=training_result, author=root)
    act(version, "submit", root)
    act(version, "validate", validator, waivers=waive_all_high(version))
    with pytest.raises(WorkflowRefused, match="four-eyes"):
        act(version, "approve", root)


@pytest.mark.django_db
def test_roles_decide_who_may_act(draft_version, validator, approver, take_to):
    with pytest.raises(WorkflowRefused, match="Only a Data Scientist may submit"):
        act(draft_version, "submit", validator)
    version = take_to(draft_version, "submitted")
    with pytest.raises(WorkflowRefused, match="Only a Model Validator may validate"):
        act(version, "validate", approver, waivers=waive_all_high(version))


@pytest.mark.django_db
def test_every_refusal_is_recorded_with_its_reason(draft_version, validator):
    with pytest.raises(WorkflowRefused) as refusal:
        act(draft_version, "submit", validator, comment="trying")
    record = Transition.objects.filter(version=draft_version, accepted=False).get()
    assert (record.action, record.actor, record.from_state, record.to_state) == ("submit", validator, "draft", "draft")
    assert record.reason == refusal.value.message
    assert record.comment == "trying"
    assert record.actor_roles == ["Model Validator"]
    draft_version.refresh_from_db()
    assert draft_version.state == VersionState.DRAFT
