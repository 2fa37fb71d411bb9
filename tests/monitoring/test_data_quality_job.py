"""Input data quality per field: refusals by rule, and the accepted applications' missing,
out-of-range and unseen-category shares against training, with a two-proportion test
checked against scipy; one P2 incident per field that jumps, with its evidence."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy.stats import chi2_contingency

from monitoring.data_quality import two_proportion_test
from monitoring.models import DataQualityResult, Incident, JobKind, RunStatus
from predictions.models import RefusedApplication
from tests.support import applications

from ..predictions.support import token_client
from .support import WINDOW_END, WINDOW_START, run_job

ACCEPTED, REFUSED = 1000, 200


@pytest.mark.parametrize(("a", "n_a", "b", "n_b"), [(30, 1000, 10, 1200), (5, 80, 40, 5000), (0, 300, 12, 900)])
def test_the_two_proportion_test_matches_scipys_chi_square_on_the_2x2_table(a, n_a, b, n_b):
    z, p = two_proportion_test(successes_a=a, n_a=n_a, successes_b=b, n_b=n_b)
    chi2, p_scipy, _, _ = chi2_contingency([[a, n_a - a], [b, n_b - b]], correction=False)
    assert z**2 == pytest.approx(chi2)
    assert p == pytest.approx(p_scipy)
    assert np.sign(z) == np.sign(a / n_a - b / n_b)


def test_no_evidence_either_way_is_not_significant():
    assert two_proportion_test(successes_a=0, n_a=100, successes_b=0, n_b=100) == (0.0, 1.0)
    assert two_proportion_test(successes_a=0, n_a=0, successes_b=3, n_b=100) == (0.0, 1.0)


@pytest.fixture
def broken_feed(production_version, log_decisions, api_client_user):
    """An hour in which 40 % of the accepted applications lost their income, one sent a
    Credit_Score above anything training saw (admitted by the tolerance), and 200
    applications were refused for an out-of-range loan amount."""
    frame = applications(ACCEPTED, seed=21)
    frame.loc[frame.index[:400], "income"] = np.nan
    high = next(f["max"] for f in production_version.feature_schema["fields"] if f["name"] == "Credit_Score")
    frame.loc[frame.index[500], "Credit_Score"] = high + 1
    rows = log_decisions(production_version, frame, at=WINDOW_START)
    RefusedApplication.objects.bulk_create(
        RefusedApplication(
            client=api_client_user,
            model_version=production_version,
            request_id=f"r{i}",
            rules={"loan_amount": "out_of_range"} if i % 4 else {"loan_amount": "out_of_range", "Region": "required"},
            created_at=WINDOW_START,
        )
        for i in range(REFUSED)
    )
    missing = frame["income"].isna().to_numpy()
    return production_version, {str(r.pk) for r, m in zip(rows, missing, strict=True) if m}


@pytest.mark.django_db
def test_shares_per_field_and_one_incident_per_field_that_jumped(broken_feed):
    version, without_income = broken_feed
    run = run_job(JobKind.DATA_QUALITY, version)
    assert (run.status, run.rows) == (RunStatus.COMPLETED, ACCEPTED + REFUSED)
    results = {r.field: r for r in DataQualityResult.objects.filter(run=run)}
    assert set(results) == {f["name"] for f in version.feature_schema["fields"]}

    income = results["income"]
    baseline = next(f["missing_rate"] for f in version.feature_schema["fields"] if f["name"] == "income")
    assert income.baseline_missing_share == baseline
    n_missing = len(without_income)
    assert n_missing >= 400
    assert income.missing_share == pytest.approx(n_missing / ACCEPTED)
    assert income.breached
    missing = income.checks["missing"]
    rows = version.training_data["rows"]
    _, p, _, _ = chi2_contingency(
        [[n_missing, ACCEPTED - n_missing], [round(baseline * rows), rows - round(baseline * rows)]], correction=False
    )
    assert missing["p_value"] == pytest.approx(p)

    loan_amount = results["loan_amount"]
    assert loan_amount.refusals_by_rule == {"out_of_range": REFUSED}
    assert loan_amount.refusal_share == pytest.approx(REFUSED / (ACCEPTED + REFUSED))
    assert results["Region"].refusals_by_rule == {"required": REFUSED // 4}
    assert results["Credit_Score"].out_of_range_share == pytest.approx(1 / ACCEPTED)
    assert not results["Credit_Score"].breached  # one application is no jump
    assert results["Gender"].unseen_category_share == 0

    incidents = {i.subject: i for i in Incident.objects.filter(kind="data_quality")}
    assert set(incidents) == {"income", "loan_amount"}
    assert {i.severity for i in incidents.values()} == {"P2"}
    examples = incidents["income"].metric_snapshot["example_decisions"]
    assert examples and set(examples) <= without_income
    assert incidents["loan_amount"].metric_snapshot["refusal_counts"] == {"out_of_range": REFUSED}
    assert "refusal share of loan_amount" in incidents["loan_amount"].summary


@pytest.mark.django_db
def test_too_few_applications_are_reported_insufficient_and_judge_nothing(production_version, log_decisions):
    log_decisions(production_version, applications(100, seed=22), at=WINDOW_START)
    run = run_job(JobKind.DATA_QUALITY, production_version)
    assert (run.status, run.rows) == (RunStatus.INSUFFICIENT_DATA, 100)
    assert not DataQualityResult.objects.exists() and not Incident.objects.exists()


@pytest.mark.django_db
def test_the_api_and_the_command_show_the_fields(broken_feed, validator):
    out = StringIO()
    end = ["--end", WINDOW_END.isoformat()]
    call_command("run_data_quality", "--model", "loan-default", "--window-hours", "1", *end, stdout=out)
    (run,) = json.loads(out.getvalue())["runs"]
    assert run["kind"] == "data_quality" and run["status"] == "completed"
    response = token_client(validator).get("/api/v1/monitoring/data-quality/", {"model": "loan-default"})
    assert response.status_code == 200
    fields = {r["field"]: r for r in response.json()["latest"]["results"]}
    _, without_income = broken_feed
    income = fields["income"]
    assert income["breached"] and income["checks"]["missing"]["share"] == pytest.approx(len(without_income) / ACCEPTED)
    with pytest.raises(CommandError, match="No registered model"):
        call_command("run_data_quality", "--model", "no-such", stdout=StringIO())
    assert token_client(validator).get("/api/v1/monitoring/data-quality/", {"model": "no-such"}).status_code == 404
