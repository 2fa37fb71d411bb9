"""Shadow scoring: the hourly job answers each of the previous hour's decisions with every
shadow version (checked against that version's schema), stores it once, and changes no
decision; the daily job refreshes each shadow version's comparison since its shadow began."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from governance.models import ModelVersion
from governance.selectors import model_version_scorer
from governance.services import model_version_transition
from monitoring.models import ChallengerScore, Comparison
from monitoring.shadow import shadow_comparisons_schedule, shadow_scores_schedule
from predictions.models import DecisionLog
from predictions.reason_codes import top_reasons
from predictions.risk_bands import risk_bands
from tests.support import applications

pytestmark = pytest.mark.django_db


@pytest.fixture
def shadow(challenger_version, approver):
    return model_version_transition(version_id=challenger_version.pk, action="start_shadow", actor=approver)


def test_the_previous_hours_decisions_are_scored_once_by_each_shadow_version(production_version, shadow, log_decisions):
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    frame = applications(400, seed=41)
    frame.loc[:9, "Credit_Score"] = 5000.0
    rows = log_decisions(production_version, frame, at=hour + timedelta(minutes=10))
    log_decisions(production_version, applications(50, seed=42), at=hour + timedelta(hours=1, minutes=1))  # next hour
    before = list(DecisionLog.objects.order_by("id").values_list("probability", "decision"))

    assert shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=20)) == {shadow.pk: 400}
    assert shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=40)) == {shadow.pk: 0}  # safe twice

    scores = {s.decision_log_id: s for s in ChallengerScore.objects.filter(challenger=shadow)}
    assert len(scores) == 400
    refused = [scores[row.pk] for row in rows[:10]]
    assert all(s.probability is None and s.errors == {"Credit_Score": "out_of_range"} for s in refused)
    scored = [row for row in rows[10:] if scores[row.pk].probability is not None]
    expected = model_version_scorer(version=shadow).score_frame(pd.DataFrame([row.inputs for row in scored]))
    got = np.array([scores[row.pk].probability for row in scored])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    for row, probability in zip(scored, expected, strict=True):
        score = scores[row.pk]
        assert score.decision == ("decline" if probability >= shadow.threshold else "approve")
        assert bool(score.reason_codes) == (score.decision == "decline")
    assert list(DecisionLog.objects.order_by("id").values_list("probability", "decision")) == before


def test_the_daily_job_compares_each_shadow_version_since_its_shadow_started(production_version, shadow, log_decisions):
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    log_decisions(production_version, applications(300, seed=43), at=hour + timedelta(minutes=5))
    refreshed = shadow_comparisons_schedule(now=hour + timedelta(hours=2))
    comparison = Comparison.objects.get(pk=refreshed[shadow.pk])
    assert (comparison.champion, comparison.challenger) == (production_version, shadow)
    assert comparison.period_start == shadow.shadow_since
    assert comparison.result["n_decisions"] + comparison.result["challenger_refused"] == 300


def test_a_version_out_of_shadow_is_not_scored(production_version, shadow, approver, log_decisions):
    model_version_transition(version_id=shadow.pk, action="stop_shadow", actor=approver, comment="Enough.")
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    log_decisions(production_version, applications(20, seed=44), at=hour + timedelta(minutes=5))
    assert shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=5)) == {}
    assert not ChallengerScore.objects.exists()


def test_a_shadow_score_is_what_the_challenger_answers_the_application_alone(production_version, shadow, log_decisions):
    """The batch path (re-encoded vectors, chunked scoring, batch reason codes) against the
    challenger scoring each application by itself from its raw inputs, as the API would."""
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    rows = log_decisions(production_version, applications(300, seed=45), at=hour + timedelta(minutes=3))
    shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=1))
    scores = {s.decision_log_id: s for s in ChallengerScore.objects.filter(challenger=shadow)}
    scorer = model_version_scorer(version=shadow)
    declines = [row for row in rows if scores[row.pk].decision == "decline"]
    approvals = [row for row in rows if scores[row.pk].decision == "approve"]
    assert len(declines) >= 5 and len(approvals) >= 2
    for row in declines[:5] + approvals[:2]:
        matrix = scorer.encoder.model_matrix(scorer.encoder.encode_records([row.inputs]))
        probability = scorer.probabilities(matrix)
        declined = bool(probability[0] >= shadow.threshold)
        expected = (
            top_reasons(
                model_features=scorer.model_features,
                contributions=scorer.contributions(matrix)[0],
                model_inputs=matrix[0],
            )
            if declined
            else []
        )
        score = scores[row.pk]
        assert score.probability == pytest.approx(float(probability[0]), rel=1e-12)
        assert (score.decision == "decline") == declined
        assert score.risk_band == risk_bands(probability)[0]
        assert score.reason_codes == expected


def test_every_shadow_score_references_a_logged_decision_and_protects_its_challenger(
    production_version, shadow, log_decisions
):
    """The scores carry no database foreign keys (their per-row checks cost more than the
    scoring): the references hold because the job stores only what it read, and a version
    with scores still cannot be deleted."""
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    frame = applications(120, seed=46)
    frame.loc[:4, "Credit_Score"] = 5000.0
    rows = log_decisions(production_version, frame, at=hour + timedelta(minutes=7))
    assert shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=2)) == {shadow.pk: 120}

    stored = ChallengerScore.objects.filter(challenger=shadow)
    assert set(stored.values_list("decision_log_id", flat=True)) == {row.pk for row in rows}
    assert not stored.exclude(decision_log_id__in=DecisionLog.objects.values("id")).exists()
    with pytest.raises(ProtectedError):
        ModelVersion.objects.get(pk=shadow.pk).delete()


@pytest.mark.postgresql
def test_the_database_refuses_deleting_what_a_shadow_score_references(production_version, shadow, log_decisions):
    hour = shadow.shadow_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    rows = log_decisions(production_version, applications(20, seed=47), at=hour + timedelta(minutes=7))
    shadow_scores_schedule(now=hour + timedelta(hours=1, minutes=2))
    statements = [
        ("DELETE FROM predictions_decisionlog WHERE id = %s", rows[0].pk),  # the decision log's guard
        ("DELETE FROM governance_modelversion WHERE id = %s", shadow.pk),  # its transitions' foreign key
    ]
    for statement, key in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement, [key])
    assert ChallengerScore.objects.filter(challenger=shadow).count() == 20
