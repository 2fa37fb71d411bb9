"""Fairness of logged decisions, checked against numbers worked out by hand for a fixture."""

import uuid
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from monitoring.models import FairnessResult, Incident, JobKind, RunStatus
from monitoring.windows import Window
from predictions.models import DecisionLog
from tests.support import applications

from .support import WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db
FAIRNESS_START = WINDOW_END - timedelta(days=30)

# Per Gender group: (applications, defaulters declined, defaulters approved, repaid declined, repaid approved)
GROUPS = {
    "Joint": (150, 12, 8, 3, 127),  # approves 135 of 150 = 0.90: the most favoured group
    "Male": (300, 45, 15, 15, 225),  # approves 240 of 300 = 0.80
    "Female": (300, 70, 10, 50, 170),  # approves 180 of 300 = 0.60
    "Sex Not Available": (50, 10, 0, 0, 40),  # 50 < 100: reported, not judged (TPR 1.0, FPR 0.0)
}


def fixture_decisions(version, log_decisions):
    """800 decisions in four groups; declined applications scored 0.8, approved 0.2."""
    frames, decisions, defaulted = [], [], []
    for k, (group, (n, def_dec, def_app, rep_dec, rep_app)) in enumerate(GROUPS.items()):
        frame = applications(n, seed=20 + k)
        frame["Gender"] = group
        frame["age"] = "35-44"
        frames.append(frame)
        decisions += ["decline"] * def_dec + ["approve"] * def_app + ["decline"] * rep_dec + ["approve"] * rep_app
        defaulted += [True] * (def_dec + def_app) + [False] * (rep_dec + rep_app)
    probabilities = [0.8 if d == "decline" else 0.2 for d in decisions]
    log_decisions(
        version,
        pd.concat(frames, ignore_index=True),
        at=FAIRNESS_START + timedelta(days=3),
        decisions=decisions,
        probabilities=probabilities,
        defaulted=defaulted,
    )


def test_fairness_numbers_match_an_independent_computation(production_version, log_decisions):
    fixture_decisions(production_version, log_decisions)
    run = run_job(JobKind.FAIRNESS, production_version, Window(FAIRNESS_START, WINDOW_END))
    assert run.status == RunStatus.COMPLETED
    assert run.rows == 800
    gender = FairnessResult.objects.get(run=run, attribute="Gender")
    groups = gender.groups

    # Approval rates and the four-fifths rule against Joint (0.90).
    assert gender.reference_group == "Joint"
    assert groups["Male"]["approval_rate"] == pytest.approx(240 / 300)
    assert groups["Female"]["adverse_impact_ratio"] == pytest.approx(0.60 / 0.90)
    assert groups["Male"]["adverse_impact_ratio"] == pytest.approx(0.80 / 0.90)
    assert groups["Female"]["demographic_parity_difference"] == pytest.approx(0.60 - 0.90)
    assert gender.min_adverse_impact_ratio == pytest.approx(2 / 3)
    assert gender.demographic_parity_difference == pytest.approx(0.30)
    assert gender.passes_four_fifths is False
    assert groups["Sex Not Available"]["sufficient"] is False  # reported ...
    assert groups["Sex Not Available"]["approval_rate"] == pytest.approx(40 / 50)

    # With outcomes: TPR = declined defaulters / defaulters, FPR = declined repayers / repayers.
    assert groups["Male"]["true_positive_rate"] == pytest.approx(45 / 60)
    assert groups["Female"]["true_positive_rate"] == pytest.approx(70 / 80)
    assert groups["Joint"]["true_positive_rate"] == pytest.approx(12 / 20)
    assert groups["Female"]["false_positive_rate"] == pytest.approx(50 / 220)
    assert groups["Joint"]["false_positive_rate"] == pytest.approx(3 / 130)
    # ... but not judged: its TPR of 1.0 and FPR of 0.0 would widen both gaps.
    assert groups["Sex Not Available"]["true_positive_rate"] == 1.0
    assert gender.equal_opportunity_gap == pytest.approx(70 / 80 - 12 / 20)
    assert gender.equalized_odds_gap == pytest.approx(max(70 / 80 - 12 / 20, 50 / 220 - 3 / 130))
    # AUC with two score levels: P(defaulter above repayer) + half the ties.
    male_auc = (45 * 225 + 0.5 * (45 * 15 + 15 * 225)) / (60 * 240)
    assert groups["Male"]["auc"] == pytest.approx(male_auc)

    # One age band only: nothing to compare, nothing judged.
    age = FairnessResult.objects.get(run=run, attribute="age")
    assert age.min_adverse_impact_ratio == pytest.approx(1.0)

    incident = Incident.objects.get()
    assert (incident.kind, incident.subject, incident.severity) == ("fairness", "Gender adverse impact ratio", "P1")
    assert incident.worst_value == pytest.approx(2 / 3)
    assert "Female" in incident.summary


def test_decisions_whose_inputs_retention_removed_are_left_out_and_counted(
    production_version, log_decisions, api_client_user
):
    fixture_decisions(production_version, log_decisions)
    DecisionLog.objects.bulk_create(
        DecisionLog(
            request_id=uuid.uuid4().hex,
            client=api_client_user,
            model_version=production_version,
            inputs=None,
            features=None,
            probability=0.1,
            decision="approve",
            risk_band="A",
            latency_ms=3.0,
            created_at=FAIRNESS_START + timedelta(days=1),
            inputs_removed_at=WINDOW_END,
        )
        for _ in range(7)
    )
    run = run_job(JobKind.FAIRNESS, production_version, Window(FAIRNESS_START, WINDOW_END))
    assert run.rows == 800
    assert run.summary["inputs_removed"] == 7


def test_groups_too_small_to_compare_report_insufficient_data(production_version, log_decisions):
    frame = applications(150, seed=3)
    frame["Gender"] = np.where(np.arange(150) < 90, "Male", "Female")
    log_decisions(production_version, frame, at=WINDOW_START, decisions=["decline"] * 150, probabilities=[0.9] * 150)
    run = run_job(JobKind.FAIRNESS, production_version)
    assert run.status == RunStatus.INSUFFICIENT_DATA
    assert not Incident.objects.exists()
