"""Performance estimated from a window's probabilities before any outcome arrives: checked
against scikit-learn on the expected ROC curve, backtested against the realized performance
of matured cohorts, accurate on demo applications the model never saw, and refused with the
reason when the version's calibration does not allow it."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from sklearn.metrics import roc_auc_score

from governance.ml.calibration import holdout_calibration
from governance.ml.demo_data import generate
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES
from monitoring.jobs.estimated_performance import NO_CALIBRATION
from monitoring.models import (
    EstimatedPerformance,
    EstimationBacktest,
    Incident,
    IncidentStatus,
    JobKind,
    MonitoringPolicy,
    RunStatus,
)
from monitoring.windows import Window
from predictions.models import DecisionLog
from tests.support import applications

from ..predictions.support import token_client
from .support import WINDOW, WINDOW_END, WINDOW_START, run_job

pytestmark = pytest.mark.django_db
UNSEEN_ROWS = 8000


def expected_auc(p: np.ndarray) -> float:
    """The expected ROC-AUC under calibrated probabilities, as scikit-learn's weighted AUC:
    each application is a default with weight p and a repayment with weight 1 - p."""
    return float(roc_auc_score(np.r_[np.ones(len(p)), np.zeros(len(p))], np.r_[p, p], sample_weight=np.r_[p, 1 - p]))


@pytest.fixture
def unseen(production_version, log_decisions):
    """Demo applications from the model's own population that it never saw, decided in the
    window, with their outcomes recorded (so the window is also a matured cohort)."""
    frame = generate(UNSEEN_ROWS, seed=99)
    defaulted = frame["Status"].astype(bool).tolist()
    rows = log_decisions(
        production_version,
        frame.rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)],
        at=WINDOW_START,
        defaulted=defaulted,
    )
    return np.array([r.probability for r in rows]), np.array(defaulted)


def test_the_estimate_matches_the_expected_roc_curve_and_the_realized_performance(production_version, unseen):
    probability, defaulted = unseen
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, production_version)
    assert (run.status, run.rows) == (RunStatus.COMPLETED, UNSEEN_ROWS)

    estimate = EstimatedPerformance.objects.get(run=run)
    assert estimate.recalibrated is False  # the demo model's holdout calibration is within the bound
    assert estimate.expected_roc_auc == pytest.approx(expected_auc(probability), abs=1e-9)
    assert estimate.expected_default_rate == pytest.approx(probability.mean())
    declined = probability >= production_version.threshold
    assert estimate.metrics["precision"]["value"] == pytest.approx(probability[declined].mean())
    assert estimate.metrics["recall"]["value"] == pytest.approx(probability[declined].sum() / probability.sum())
    auc = estimate.metrics["roc_auc"]
    assert auc["low"] < auc["value"] < auc["high"]

    # Accuracy on data the model never saw: within 0.02 AUC and 1 percentage point.
    assert abs(estimate.expected_roc_auc - roc_auc_score(defaulted, probability)) < 0.02
    assert abs(estimate.expected_default_rate - defaulted.mean()) < 0.01

    (cohort,) = EstimationBacktest.objects.filter(run=run)
    assert (str(cohort.cohort_start), cohort.period, cohort.outcomes) == ("2026-03-01", "month", UNSEEN_ROWS)
    assert cohort.realized_roc_auc == pytest.approx(roc_auc_score(defaulted, probability))
    assert cohort.realized_default_rate == pytest.approx(defaulted.mean())
    assert cohort.roc_auc_error == pytest.approx(cohort.estimated_roc_auc - cohort.realized_roc_auc)
    assert abs(cohort.roc_auc_error) < 0.02 and abs(cohort.default_rate_error) < 0.01


def test_a_version_without_holdout_calibration_is_not_estimable(register_version, take_to, log_decisions):
    version = take_to(register_version(calibration={}), "production")
    log_decisions(version, applications(600, seed=3), at=WINDOW_START)
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, version)
    assert run.status == RunStatus.NOT_ESTIMABLE
    assert run.summary["reason"] == NO_CALIBRATION == "not estimable: no holdout calibration recorded"
    assert not EstimatedPerformance.objects.exists() and not Incident.objects.exists()


@pytest.fixture
def miscalibrated(register_version, take_to, log_decisions):
    """A version whose holdout probabilities understated default: its recorded calibration
    error is above the bound and it carries an isotonic recalibration."""
    rng = np.random.default_rng(5)
    true_p = rng.beta(1.5, 5.0, 20_000)
    calibration = holdout_calibration(y_true=rng.binomial(1, true_p), probability=true_p**2)
    version = take_to(register_version(calibration=calibration), "production")
    log_decisions(version, applications(1000, seed=4), at=WINDOW_START)
    return version


def test_a_miscalibrated_version_is_estimated_from_its_recalibration(miscalibrated):
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, miscalibrated)
    assert run.status == RunStatus.COMPLETED and run.summary["recalibrated"] is True
    raw = np.array(DecisionLog.objects.filter(model_version=miscalibrated).values_list("probability", flat=True))
    mapping = miscalibrated.calibration["isotonic"]
    recalibrated = np.interp(raw, mapping["thresholds"], mapping["values"])
    estimate = EstimatedPerformance.objects.get(run=run)
    assert estimate.recalibrated is True
    assert estimate.expected_default_rate == pytest.approx(recalibrated.mean())
    assert estimate.expected_roc_auc == pytest.approx(expected_auc(recalibrated), abs=1e-9)
    # Declined on the raw probability, as the decisions were made.
    declined = raw >= miscalibrated.threshold
    assert estimate.metrics["precision"]["value"] == pytest.approx(recalibrated[declined].mean())


def test_without_recalibration_allowed_a_miscalibrated_version_is_not_estimable(miscalibrated):
    MonitoringPolicy.objects.create(registered_model=miscalibrated.registered_model, recalibrate_for_estimation=False)
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, miscalibrated)
    assert run.status == RunStatus.NOT_ESTIMABLE
    assert run.summary["reason"].startswith("not estimable: holdout calibration error ")
    assert "above the bound 0.02" in run.summary["reason"]


def test_too_few_decisions_are_reported_insufficient_and_judge_nothing(production_version, log_decisions):
    log_decisions(production_version, applications(50, seed=6), at=WINDOW_START, probabilities=[0.2] * 50)
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, production_version)
    assert (run.status, run.rows) == (RunStatus.INSUFFICIENT_DATA, 50)
    assert not EstimatedPerformance.objects.exists() and not Incident.objects.exists()


def test_an_estimated_auc_drop_opens_one_incident_that_later_windows_update(production_version, log_decisions):
    # Probabilities that barely separate anyone: the estimated AUC is far below validation.
    rng = np.random.default_rng(8)
    for hour in (8, 9):
        log_decisions(
            production_version,
            applications(600, seed=hour),
            at=WINDOW_START.replace(hour=hour),
            probabilities=list(rng.uniform(0.20, 0.24, 600)),
        )
    earlier = Window(WINDOW_START.replace(hour=8), WINDOW_START)
    run_job(JobKind.ESTIMATED_PERFORMANCE, production_version, earlier)
    run = run_job(JobKind.ESTIMATED_PERFORMANCE, production_version, WINDOW)
    (incident,) = Incident.objects.all()
    assert (incident.kind, incident.subject, incident.status) == (
        "estimated_performance",
        "roc_auc",
        IncidentStatus.OPEN,
    )
    assert incident.severity == "P2"  # the drop is more than twice the 0.05 tolerance
    assert incident.occurrences == 2 and incident.last_run_id == run.pk
    assert "below the validation AUC" in incident.summary


def test_the_api_and_the_command_show_the_estimate_and_the_backtest(production_version, unseen, validator):
    out = StringIO()
    call_command(
        "run_estimated_performance",
        "--model",
        "loan-default",
        "--window-hours",
        "1",
        "--end",
        WINDOW_END.isoformat(),
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    assert printed["job"] == "estimated_performance"
    (run,) = printed["runs"]
    assert run["status"] == "completed" and len(run["results"]) == 1 and len(run["backtest"]) == 1

    response = token_client(validator).get("/api/v1/monitoring/estimated-performance/", {"model": "loan-default"})
    assert response.status_code == 200
    latest = response.json()["latest"]
    assert latest["id"] == run["id"]
    (estimate,) = latest["results"]
    assert set(estimate["metrics"]) == {"default_rate", "roc_auc", "precision", "recall", "f1"}
    assert latest["backtest"][0]["realized_roc_auc"] == pytest.approx(run["backtest"][0]["realized_roc_auc"])


def test_bad_input_is_refused_with_a_sentence(production_version, validator):
    client = token_client(validator)
    assert client.get("/api/v1/monitoring/estimated-performance/", {"model": "no-such"}).status_code == 404
    assert client.get("/api/v1/monitoring/estimated-performance/", {"limit": "x"}).status_code == 400
    with pytest.raises(CommandError, match="No registered model"):
        call_command("run_estimated_performance", "--model", "no-such", stdout=StringIO())
    with pytest.raises(CommandError, match="at least one hour"):
        call_command("run_estimated_performance", "--model", "loan-default", "--window-hours", "0", stdout=StringIO())
