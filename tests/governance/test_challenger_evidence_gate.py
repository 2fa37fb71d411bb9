"""Promotion gate CHALLENGER_EVIDENCE: replacing a production version needs a recent
comparison with it on enough outcomes, without a material AUC loss or adverse impact under
the challenger; or a written waiver. A first promotion and a rollback do not need it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.errors import WorkflowRefused
from governance.models import VersionState
from governance.services import model_version_transition
from monitoring.comparisons import comparison_create, comparison_request_check
from monitoring.models import MonitoringPolicy, Trigger
from tests.support import applications, comparison_record

pytestmark = pytest.mark.django_db

WAIVER = "Replay impossible: the production version's inputs were removed by retention; reviewed offline."


@pytest.fixture
def candidate(production_version, register_version, take_to):
    """A second version, approved, while the first is in production."""
    return take_to(register_version(), "approved")


def promote(version, approver, **kwargs):
    return model_version_transition(
        version_id=version.pk, action="promote", actor=approver, comment="Better on replay.", **kwargs
    )


def test_promotion_over_a_production_version_without_a_comparison_is_refused(candidate, approver, production_version):
    with pytest.raises(WorkflowRefused, match="CHALLENGER_EVIDENCE.*no comparison"):
        promote(candidate, approver)
    candidate.refresh_from_db()
    production_version.refresh_from_db()
    assert candidate.state == VersionState.APPROVED and production_version.state == VersionState.PRODUCTION
    refused = candidate.transitions.get(action="promote")
    assert not refused.accepted and "CHALLENGER_EVIDENCE" in refused.reason


def test_a_written_waiver_lets_it_through_and_is_recorded(candidate, approver, production_version):
    promoted = promote(candidate, approver, waivers={"CHALLENGER_EVIDENCE": WAIVER})
    assert promoted.state == VersionState.PRODUCTION
    transition = promoted.transitions.get(action="promote")
    gate = transition.details["challenger_evidence"]
    assert gate["met"] is False and gate["waived"] is True and gate["comparison"] is None
    assert transition.details["waivers"]["CHALLENGER_EVIDENCE"]["justification"] == WAIVER
    assert promoted.waivers["CHALLENGER_EVIDENCE"]["transition"] == transition.pk


def test_an_empty_waiver_is_refused(candidate, approver):
    with pytest.raises(WorkflowRefused, match="written justification"):
        promote(candidate, approver, waivers={"CHALLENGER_EVIDENCE": "  "})


def test_sufficient_evidence_lets_it_through_and_names_the_comparison(candidate, approver, production_version):
    comparison = comparison_record(production_version, candidate)
    promoted = promote(candidate, approver)
    assert promoted.state == VersionState.PRODUCTION
    gate = promoted.transitions.get(action="promote").details["challenger_evidence"]
    assert gate == {
        "gate": "CHALLENGER_EVIDENCE",
        "champion": production_version.pk,
        "comparison": comparison.pk,
        "met": True,
        "reasons": [],
        "policy": {
            "challenger_max_age_days": 7,
            "challenger_min_outcomes": 1000,
            "challenger_auc_tolerance": 0.01,
            "adverse_impact_floor": 0.8,
        },
        "waived": False,
    }


def test_a_waiver_is_refused_when_the_evidence_is_there(candidate, approver, production_version):
    comparison_record(production_version, candidate)
    with pytest.raises(WorkflowRefused, match="nothing to waive"):
        promote(candidate, approver, waivers={"CHALLENGER_EVIDENCE": WAIVER})


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"created_at": timezone.now() - timedelta(days=8)}, "days old"),
        ({"n_outcomes": 999}, "999 outcomes, fewer than 1000"),
        ({"auc_difference_ci_low": -0.0101}, "interval starts at -0.0101"),
        ({"auc_difference_ci_low": None}, "no interval"),
        ({"min_adverse_impact_ratio_challenger": 0.79}, "adverse impact ratio is 0.790"),
    ],
)
def test_evidence_that_falls_short_is_refused_with_the_reason(candidate, approver, production_version, columns, reason):
    comparison_record(production_version, candidate, **columns)
    with pytest.raises(WorkflowRefused, match=reason):
        promote(candidate, approver)
    candidate.refresh_from_db()
    assert candidate.state == VersionState.APPROVED


def test_the_thresholds_come_from_the_models_policy(candidate, approver, production_version):
    MonitoringPolicy.objects.create(
        registered_model=production_version.registered_model, challenger_min_outcomes=100, challenger_auc_tolerance=0.05
    )
    comparison_record(production_version, candidate, n_outcomes=150, auc_difference_ci_low=-0.04)
    assert promote(candidate, approver).state == VersionState.PRODUCTION


def test_a_comparison_against_another_version_does_not_count(candidate, approver, register_version):
    comparison_record(register_version(), candidate)
    with pytest.raises(WorkflowRefused, match="no comparison"):
        promote(candidate, approver)


def test_a_replayed_comparison_is_evidence(candidate, approver, production_version, log_decisions, api_client_user):
    """End to end: logged decisions with outcomes, a replay, and the promotion it allows."""
    at = timezone.now() - timedelta(days=30)
    log_decisions(production_version, applications(1500, seed=31), at=at, defaulted=[False, False, True] * 500)
    MonitoringPolicy.objects.create(registered_model=production_version.registered_model, challenger_min_outcomes=1200)
    subject = comparison_request_check(
        model_name="loan-default", challenger_id=candidate.pk, start=at - timedelta(days=1), end=timezone.now()
    )
    comparison = comparison_create(subject=subject, trigger=Trigger.COMMAND)
    assert comparison.n_outcomes == 1500
    # The candidate is the production model retrained identically: no AUC difference at all.
    assert comparison.auc_difference_ci_low == 0.0
    promoted = promote(candidate, approver)
    assert promoted.transitions.get(action="promote").details["challenger_evidence"]["comparison"] == comparison.pk


def test_a_first_promotion_and_a_rollback_need_no_comparison(draft_version, take_to, approver, register_version):
    first = take_to(draft_version, "production")
    assert "challenger_evidence" not in first.transitions.get(action="promote").details
    second = take_to(register_version(), "approved")
    promote(second, approver, waivers={"CHALLENGER_EVIDENCE": WAIVER})
    back = model_version_transition(
        version_id=first.pk, action="rollback", actor=approver, comment="Back to the known version."
    )
    assert back.state == VersionState.PRODUCTION
    assert "challenger_evidence" not in back.transitions.get(action="rollback").details


def test_the_model_card_shows_the_gate_and_offers_its_waiver(client, candidate, approver, production_version):
    client.force_login(approver)
    card = reverse("admin:governance_modelversion_change", args=[candidate.pk])
    page = client.get(card).content.decode()
    assert "Promotion gate CHALLENGER_EVIDENCE" in page and "<strong>not met</strong>" in page
    assert 'name="waiver:CHALLENGER_EVIDENCE"' in page
    comparison = comparison_record(production_version, candidate)
    page = client.get(card).content.decode()
    assert "<strong>met</strong>" in page and f"relying on comparison #{comparison.pk}" in page
    assert 'name="waiver:CHALLENGER_EVIDENCE"' not in page
    promote(candidate, approver)
    page = client.get(card).content.decode()
    assert "At promotion (transition #" in page and f"relying on comparison #{comparison.pk}" in page


def test_the_card_of_a_first_version_says_the_gate_is_not_needed(client, draft_version, take_to, approver):
    version = take_to(draft_version, "approved")
    client.force_login(approver)
    page = client.get(reverse("admin:governance_modelversion_change", args=[version.pk])).content.decode()
    assert "Not needed: no other version of loan-default is in production" in page
