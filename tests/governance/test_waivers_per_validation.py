"""Waivers belong to the validation that gave them: a rejection withdraws them, and the next
validation needs its own validator's waivers."""

import pytest
from django.test import Client

from governance.errors import WorkflowRefused
from governance.models import Transition
from governance.services import model_version_transition
from loanportal.roles import Role
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db


def act(version, action, actor, waivers=None, comment="in test"):
    return model_version_transition(version_id=version.pk, action=action, actor=actor, comment=comment, waivers=waivers)


@pytest.fixture
def second_validator(make_user):
    return make_user("vera-validator", Role.MODEL_VALIDATOR)


@pytest.fixture
def rejected_after_validation(draft_version, author, validator, approver):
    """Round 1: validated by `validator` with waivers, then rejected by the approver."""
    act(draft_version, "submit", author)
    act(draft_version, "validate", validator, waivers=waive_all_high(draft_version))
    act(draft_version, "reject", approver, comment="Threshold choice undocumented")
    draft_version.refresh_from_db()
    return draft_version


def high_findings(version):
    return sorted(f["id"] for f in version.findings if f["severity"] == "high")


def test_the_demo_version_has_high_findings_to_waive(draft_version):
    assert high_findings(draft_version), "these tests need a version with high findings"


def test_a_rejection_withdraws_the_waivers_of_its_round(rejected_after_validation):
    version = rejected_after_validation
    assert not set(version.waivers) & set(high_findings(version))
    reject = Transition.objects.get(version=version, action="reject", accepted=True)
    assert reject.details["waivers_withdrawn"] == high_findings(version)
    first = Transition.objects.get(version=version, action="validate", accepted=True)
    assert sorted(first.details["waivers"]) == high_findings(version)
    assert {w["by"] for w in first.details["waivers"].values()} == {"victor-validator"}


def test_a_new_validation_without_its_own_waivers_is_refused(rejected_after_validation, author, second_validator):
    version = rejected_after_validation
    act(version, "submit", author)
    with pytest.raises(WorkflowRefused, match="without a waiver in this validation") as refusal:
        act(version, "validate", second_validator)
    for finding in high_findings(version):
        assert finding in refusal.value.message
    version.refresh_from_db()
    assert version.state == "submitted"


def test_a_partial_set_of_waivers_is_not_topped_up_by_the_earlier_round(
    rejected_after_validation, author, second_validator
):
    version = rejected_after_validation
    act(version, "submit", author)
    first, *rest = high_findings(version)
    with pytest.raises(WorkflowRefused, match="without a waiver in this validation"):
        act(version, "validate", second_validator, waivers={first: "Reviewed again"})
    if rest:
        assert all(finding in Transition.objects.filter(accepted=False).latest("created_at").reason for finding in rest)


def test_the_stored_waivers_are_the_new_validators_own(rejected_after_validation, author, second_validator):
    version = rejected_after_validation
    act(version, "submit", author)
    version = act(version, "validate", second_validator, waivers=waive_all_high(version))
    second = Transition.objects.filter(version=version, action="validate", accepted=True).latest("created_at")
    assert sorted(version.waivers) == high_findings(version)
    for waiver in version.waivers.values():
        assert waiver["by"] == "vera-validator"
        assert waiver["transition"] == second.pk


def test_the_model_card_shows_which_validation_each_waiver_belongs_to(
    rejected_after_validation, author, second_validator, compliance_officer
):
    version = rejected_after_validation
    act(version, "submit", author)
    act(version, "validate", second_validator, waivers={k: f"Second look at {k}" for k in high_findings(version)})
    first, second = Transition.objects.filter(version=version, action="validate", accepted=True).order_by("created_at")
    browser = Client()
    browser.force_login(compliance_officer)
    page = browser.get(f"/admin/governance/modelversion/{version.pk}/change/").content.decode()
    assert "Round 1: validated by victor-validator" in page
    assert f"(transition #{first.pk})" in page
    assert "ended by a later rejection" in page
    assert "Round 2: validated by vera-validator" in page
    assert f"(transition #{second.pk})" in page
    assert "the current validation" in page
    assert f"in transition #{second.pk}" in page  # the findings table names the current waiver's validation


def test_the_validate_form_offers_the_earlier_text_to_copy(rejected_after_validation, author, second_validator):
    version = rejected_after_validation
    act(version, "submit", author)
    browser = Client()
    browser.force_login(second_validator)
    page = browser.get(f"/admin/governance/modelversion/{version.pk}/change/").content.decode()
    assert "An earlier review round's waiver, by victor-validator" in page
    assert "Known artifact of the development data; reviewed." in page
