"""Replay: a challenger scored on the production version's logged decisions, the comparison
stored and printed, checked against scikit-learn on the same decisions; and the requests
(command, API) that are refused without storing anything."""

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from sklearn.metrics import roc_auc_score

from governance.models import RegisteredModel
from governance.selectors import model_version_scorer
from governance.services import model_version_register
from loanportal.roles import Role
from monitoring.comparisons import comparison_create, comparison_request_check
from monitoring.errors import ComparisonRefused
from monitoring.models import Comparison, Trigger
from predictions.models import DecisionLog, Outcome
from predictions.validation import ApplicationValidator
from tests.predictions.support import token_client
from tests.support import applications

pytestmark = pytest.mark.django_db

DECIDED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FROM, TO = DECIDED_AT - timedelta(days=1), DECIDED_AT + timedelta(days=1)
KEYS = {
    "n_decisions",
    "challenger_errors",
    "agreement_rate",
    "champion_approve_challenger_decline",
    "champion_decline_challenger_approve",
    "score_psi",
    "spearman",
    "n_outcomes",
    "auc_champion",
    "auc_challenger",
    "auc_difference",
    "auc_difference_ci",
    "delong_p_value",
    "brier_champion",
    "brier_challenger",
    "ks_champion",
    "ks_challenger",
    "fairness",
    "challenger_only_approvals_without_outcome",
    "outcome_note",
}


@pytest.fixture
def logged(production_version, challenger_version, log_decisions, api_client_user):
    """2,000 decisions of the production version, with outcomes for its approvals only."""
    rows = log_decisions(production_version, applications(2000, seed=21), at=DECIDED_AT)
    rng = np.random.default_rng(4)
    approved = [row for row in rows if row.decision == "approve"]
    Outcome.objects.bulk_create(
        Outcome(
            decision_log=row,
            defaulted=bool(rng.random() < 0.1 + 0.8 * row.probability),
            observed_at=DECIDED_AT + timedelta(days=365),
            recorded_by=api_client_user,
        )
        for row in approved
    )
    return rows


def test_replay_numbers_agree_with_scikit_learn_on_the_same_decisions(production_version, challenger_version, logged):
    subject = comparison_request_check(
        model_name="loan-default", challenger_id=challenger_version.pk, start=FROM, end=TO
    )
    comparison = comparison_create(subject=subject, trigger=Trigger.COMMAND)
    result = comparison.result
    assert KEYS <= set(result)

    # The API's own validator, on the stored inputs, says which applications the challenger refuses.
    validator = ApplicationValidator(challenger_version.feature_schema)
    verdicts = [validator.validate(row.inputs) for row in logged]
    expected_errors = Counter(field for cleaned, errors in verdicts for field in errors)
    assert result["challenger_errors"] == dict(expected_errors)
    logged = [row for row, (cleaned, _) in zip(logged, verdicts, strict=True) if cleaned is not None]
    assert result["n_decisions"] == len(logged) > 1900

    scorer = model_version_scorer(version=challenger_version)
    challenger_p = scorer.score_frame(pd.DataFrame([row.inputs for row in logged]))
    champion_p = np.array([row.probability for row in logged])
    champion_ok = np.array([row.decision == "approve" for row in logged])
    challenger_ok = challenger_p < challenger_version.threshold
    assert result["agreement_rate"] == pytest.approx(float((champion_ok == challenger_ok).mean()))
    assert result["champion_approve_challenger_decline"] == int((champion_ok & ~challenger_ok).sum())
    assert result["champion_decline_challenger_approve"] == int((~champion_ok & challenger_ok).sum())
    assert result["challenger_only_approvals_without_outcome"] == int((~champion_ok & challenger_ok).sum())

    outcomes = dict(Outcome.objects.values_list("decision_log_id", "defaulted"))
    known = np.array([row.pk in outcomes for row in logged])
    y = np.array([outcomes[row.pk] for row in logged if row.pk in outcomes], dtype=int)
    assert result["n_outcomes"] == int(champion_ok.sum()) == len(y)
    assert result["n_defaults"] == int(y.sum())
    assert result["auc_champion"] == pytest.approx(roc_auc_score(y, champion_p[known]), abs=1e-9)
    assert result["auc_challenger"] == pytest.approx(roc_auc_score(y, challenger_p[known]), abs=1e-9)
    low, high = result["auc_difference_ci"]
    assert low < result["auc_difference"] < high
    assert "only for approved (funded) applications" in result["outcome_note"]
    # Stored once, with the columns the gate reads.
    assert comparison.n_outcomes == len(y) and comparison.auc_difference_ci_low == low
    assert comparison_create(subject=subject, trigger=Trigger.COMMAND).pk == comparison.pk
    gender = result["fairness"]["Gender"]["groups"]
    assert sum(group["n"] for group in gender.values()) == len(logged)
    assert {"champion", "challenger"} <= set(next(iter(gender.values())))


def test_removed_inputs_and_refused_applications_are_left_out_and_counted(
    production_version, challenger_version, log_decisions
):
    frame = applications(600, seed=22)
    frame.loc[:49, "Credit_Score"] = 5000.0  # beyond the challenger's accepted range
    rows = log_decisions(production_version, frame, at=DECIDED_AT)
    removed = [row.pk for row in rows[100:130]]
    DecisionLog.objects.filter(pk__in=removed).update(inputs=None, features=None, inputs_removed_at=DECIDED_AT)
    subject = comparison_request_check(
        model_name="loan-default", challenger_id=challenger_version.pk, start=FROM, end=TO
    )
    result = comparison_create(subject=subject, trigger=Trigger.COMMAND).result
    assert result["inputs_removed"] == 30
    assert result["challenger_errors"] == {"Credit_Score": 50}
    assert result["n_decisions"] == 600 - 30 - 50
    assert result["n_outcomes"] == 0 and result["auc_difference_ci"] is None and not result["outcomes_sufficient"]


def test_the_command_prints_one_json_object(production_version, challenger_version, logged):
    out = io.StringIO()
    call_command(
        "run_comparison",
        "--model=loan-default",
        f"--challenger={challenger_version.pk}",
        f"--from={FROM.isoformat()}",
        f"--to={TO.isoformat()}",
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    assert KEYS <= set(printed)
    assert printed["id"] == Comparison.objects.get().pk


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model=nope", "--challenger={challenger}"], "no registered model"),
        (["--model=loan-default", "--challenger=999999"], "no model version"),
        (["--model=loan-default", "--challenger={champion}"], "cannot be its own challenger"),
        (
            [
                "--model=loan-default",
                "--challenger={challenger}",
                "--from=2026-03-02T00:00:00+00:00",
                "--to=2026-03-01T00:00:00+00:00",
            ],
            "empty or reversed",
        ),
        (["--model=loan-default", "--challenger={challenger}", "--to=2999-01-01T00:00:00+00:00"], "in the future"),
    ],
)
def test_the_command_refuses_bad_input_with_exit_status_2(production_version, challenger_version, arguments, message):
    ids = {"challenger": challenger_version.pk, "champion": production_version.pk}
    with pytest.raises(CommandError, match=f"(?i){message}") as refused:
        call_command("run_comparison", *[a.format(**ids) for a in arguments], stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert not Comparison.objects.exists()


def test_a_challenger_of_another_model_is_refused(production_version, linear_result, author):
    other = RegisteredModel.objects.create(name="other-model", purpose="Another", owner="Someone")
    foreign = model_version_register(registered_model=other, result=linear_result, author=author)
    with pytest.raises(ComparisonRefused) as refused:
        comparison_request_check(model_name="loan-default", challenger_id=foreign.pk, start=None, end=None)
    assert "not a version of loan-default" in refused.value.errors["challenger"]


def test_the_api_queues_a_comparison_then_answers_with_the_stored_one(
    production_version, challenger_version, logged, make_user, celery_eager, django_capture_on_commit_callbacks
):
    client = token_client(make_user("dora-scientist", Role.DATA_SCIENTIST))
    body = {"model": "loan-default", "challenger": challenger_version.pk, "from": FROM.isoformat()}
    body["to"] = TO.isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post("/api/v1/monitoring/comparisons/run/", body, format="json")
    assert queued.status_code == 202, queued.content
    assert Comparison.objects.count() == 1
    again = client.post("/api/v1/monitoring/comparisons/run/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == Comparison.objects.get().pk
    listed = client.get(f"/api/v1/monitoring/comparisons/?model=loan-default&challenger={challenger_version.pk}")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["comparisons"]] == [Comparison.objects.get().pk]
    assert listed.json()["comparisons"][0]["result"]["cohorts"] == Comparison.objects.get().result["cohorts"] != []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": "nope"}, "model"),
        ({"challenger": 999999}, "challenger"),
        ({"challenger": "two"}, "challenger"),
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "from"),
        ({"to": "2999-01-01T00:00:00Z"}, "to"),
    ],
)
def test_the_api_refuses_bad_input_per_field_and_stores_nothing(
    production_version, challenger_version, make_user, change, field
):
    client = token_client(make_user("dora-scientist", Role.DATA_SCIENTIST))
    body = {"model": "loan-default", "challenger": challenger_version.pk, **change}
    response = client.post("/api/v1/monitoring/comparisons/run/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Comparison.objects.exists()


def test_the_comparison_page_shows_the_swap_sets_scores_aucs_by_cohort_groups_and_errors(
    client, production_version, challenger_version, logged, validator
):
    subject = comparison_request_check(
        model_name="loan-default", challenger_id=challenger_version.pk, start=FROM, end=TO
    )
    result = comparison_create(subject=subject, trigger=Trigger.COMMAND).result
    client.force_login(validator)
    page = client.get(f"/admin/monitoring/monitoredversion/{challenger_version.pk}/comparison/").content.decode()
    for section in ('id="swap-sets"', "<svg", 'id="outcome-metrics"', 'id="groups"', "only for approved (funded)"):
        assert section in page
    assert f"<td>{result['champion_approve_challenger_decline']}</td>" in page
    (cohort,) = result["cohorts"]  # every decision of the fixture is of March 2026
    table = page[page.index('id="outcome-cohorts"') :]
    assert "<td>2026-03</td>" in table and f"<td>{cohort['n_outcomes']}</td>" in table
    assert f"<td>{cohort['auc_challenger']:.4f}</td>" in table
    assert 'src="http' not in page and 'href="http' not in page  # nothing fetched from elsewhere
    monitoring = client.get(f"/admin/monitoring/monitoredversion/{production_version.pk}/monitoring/").content.decode()
    assert f"/admin/monitoring/monitoredversion/{challenger_version.pk}/comparison/" in monitoring
    card = client.get(f"/admin/governance/modelversion/{challenger_version.pk}/change/").content.decode()
    assert f"/admin/monitoring/monitoredversion/{challenger_version.pk}/comparison/" in card


def test_each_outcome_cohort_has_the_aucs_of_its_months_decisions(
    production_version, challenger_version, log_decisions, api_client_user
):
    months = [datetime(2026, 1, 31, 23, 30, tzinfo=UTC), datetime(2026, 2, 1, 0, 30, tzinfo=UTC)]
    rows = log_decisions(production_version, applications(2400, seed=22), at=[months[k % 2] for k in range(2400)])
    rows += log_decisions(production_version, applications(60, seed=23), at=datetime(2026, 3, 10, tzinfo=UTC))
    rng = np.random.default_rng(5)
    Outcome.objects.bulk_create(
        Outcome(
            decision_log=row,
            defaulted=bool(rng.random() < 0.1 + 0.8 * row.probability),
            observed_at=row.created_at + timedelta(days=365),
            recorded_by=api_client_user,
        )
        for row in rows
        if row.decision == "approve"
    )
    subject = comparison_request_check(
        model_name="loan-default",
        challenger_id=challenger_version.pk,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 4, 1, tzinfo=UTC),
    )
    cohorts = comparison_create(subject=subject, trigger=Trigger.COMMAND).result["cohorts"]

    validator = ApplicationValidator(challenger_version.feature_schema)
    outcomes = dict(Outcome.objects.values_list("decision_log_id", "defaulted"))
    known = [row for row in rows if row.pk in outcomes and validator.validate(row.inputs)[0] is not None]
    challenger_p = model_version_scorer(version=challenger_version).score_frame(
        pd.DataFrame([row.inputs for row in known])
    )
    month = np.array([row.created_at.strftime("%Y-%m") for row in known])
    y = np.array([outcomes[row.pk] for row in known], dtype=int)
    champion_p = np.array([row.probability for row in known])
    assert [c["cohort"] for c in cohorts] == ["2026-01", "2026-02", "2026-03"]
    for cohort in cohorts[:2]:
        mine = month == cohort["cohort"]
        assert (cohort["n_outcomes"], cohort["n_defaults"]) == (int(mine.sum()), int(y[mine].sum()))
        assert cohort["sufficient"] is True
        assert cohort["auc_champion"] == pytest.approx(roc_auc_score(y[mine], champion_p[mine]), abs=1e-9)
        assert cohort["auc_challenger"] == pytest.approx(roc_auc_score(y[mine], challenger_p[mine]), abs=1e-9)
        low, high = cohort["auc_difference_ci"]
        assert low < cohort["auc_difference"] < high and 0 <= cohort["delong_p_value"] <= 1
    march = cohorts[2]
    assert march["sufficient"] is False and march["auc_champion"] is None
    assert march["n_outcomes"] == int((month == "2026-03").sum()) < 100
