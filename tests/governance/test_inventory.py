"""The model risk inventory: fields, the review clock, the latest monitoring figures, the
API and the admin's CSV export (a governance event)."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.inventory import inventory_entries
from governance.models import Action, EventKind, GovernanceEvent, RegulatoryScope, ReviewPolicy
from monitoring import rules
from monitoring.incidents import incident_raise
from monitoring.models import DriftResult, FairnessResult, Incident, JobKind
from tests.monitoring.support import WINDOW_START, run_job
from tests.predictions.support import token_client
from tests.support import applications

pytestmark = pytest.mark.django_db


def validated_at(version):
    return version.transitions.get(action=Action.VALIDATE, accepted=True).created_at


def test_regulatory_scope_is_a_validated_multiple_choice(registered_model):
    registered_model.regulatory_scope = [RegulatoryScope.EU_AI_ACT_HIGH_RISK, RegulatoryScope.IRB_CAPITAL]
    registered_model.full_clean()
    registered_model.save()
    registered_model.refresh_from_db()
    assert registered_model.regulatory_scope == ["eu_ai_act_high_risk", "irb_capital"]
    for wrong in (["basel_iv"], "irb_capital", ["other", "other"]):
        registered_model.regulatory_scope = wrong
        with pytest.raises(ValidationError):
            registered_model.full_clean()


@pytest.mark.parametrize(("tier", "months"), [("tier_1", 12), ("tier_2", 24), ("tier_3", 36)])
def test_next_review_is_due_one_cycle_of_the_tier_after_the_validation(production_version, tier, months):
    model = production_version.registered_model
    model.risk_tier = tier
    model.save()
    validated = validated_at(production_version)

    (entry,) = inventory_entries()

    assert entry.production_version == production_version.version
    assert entry.last_validated_at == validated
    assert entry.review_cycle_months == months
    assert entry.next_review_due == timezone.localdate(validated) + relativedelta(months=months)
    overdue_day = entry.next_review_due + timedelta(days=10)
    assert inventory_entries(today=overdue_day)[0].days_overdue == 10


def test_model_risk_changes_the_review_cycle_in_the_admin_with_history(production_version, validator, author, client):
    policy = ReviewPolicy.objects.get(risk_tier="tier_1")
    url = f"/admin/governance/reviewpolicy/{policy.pk}/change/"
    client.force_login(author)
    assert client.post(url, {"months": 3}).status_code == 403
    client.force_login(validator)
    assert client.post(url, {"months": 6}).status_code == 302
    record = policy.history.get()
    assert (record.months, record.history_user, record.history_change_reason) == (
        6,
        validator,
        "Review cycle set to 6 months in the admin",
    )
    (entry,) = inventory_entries()
    assert entry.next_review_due == timezone.localdate(validated_at(production_version)) + relativedelta(months=6)


def test_a_model_without_production_has_no_review_clock(draft_version):
    (entry,) = inventory_entries()
    assert (entry.production_version, entry.last_validated_at, entry.next_review_due) == (None, None, None)


def test_the_latest_monitoring_figures_and_active_incidents_are_the_databases(production_version, log_decisions):
    log_decisions(production_version, applications(800, seed=3), at=WINDOW_START, defaulted=[False, True] * 400)
    drift = run_job(JobKind.DRIFT, production_version)
    fairness = run_job(JobKind.FAIRNESS, production_version)
    run_job(JobKind.PERFORMANCE, production_version)
    for psi, subject in ((0.4, "Credit_Score"), (0.3, "loan_amount"), (0.7, "score")):
        incident_raise(
            breach=rules.drift_breach(subject=subject, psi=psi, alerting=True, act=0.25), version=production_version
        )

    (entry,) = inventory_entries()

    assert entry.latest_score_psi == DriftResult.objects.get(run=drift, subject="score").psi
    lowest = min(
        r.min_adverse_impact_ratio for r in FairnessResult.objects.filter(run=fairness) if r.min_adverse_impact_ratio
    )
    assert entry.latest_lowest_adverse_impact_ratio == pytest.approx(lowest)
    assert entry.latest_realized_auc is not None
    # The jobs opened their own incidents too: count every active one, in Python.
    counted = Counter(i.severity for i in Incident.objects.all() if i.status in ("open", "acknowledged"))
    assert entry.active_incidents == {severity: counted[severity] for severity in ("P0", "P1", "P2", "P3")}
    assert entry.active_incidents["P0"] == 1


def test_the_inventory_api_answers_staff(production_version, compliance_officer):
    response = token_client(compliance_officer).get("/api/v1/inventory/")
    assert response.status_code == 200
    (row,) = response.json()["results"] if "results" in response.json() else response.json()
    assert row["name"] == "loan-default"
    assert row["production_version"] == production_version.version
    assert row["next_review_due"] == str(
        timezone.localdate(validated_at(production_version)) + relativedelta(months=12)
    )


def test_the_csv_export_lists_every_model_and_is_a_governance_event(production_version, compliance_officer, client):
    client.force_login(compliance_officer)
    assert "Export inventory CSV" in client.get("/admin/governance/registeredmodel/").content.decode()
    response = client.get("/admin/governance/registeredmodel/inventory.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["model"], r["risk_tier"], r["production_version"]) for r in rows] == [("loan-default", "tier_1", "1")]
    assert rows[0]["days_overdue"] == "0"
    event = GovernanceEvent.objects.get(kind=EventKind.INVENTORY_EXPORTED)
    assert (event.actor, event.details["rows"]) == (compliance_officer, 1)
