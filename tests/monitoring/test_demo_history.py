"""The demo's past (`monitoring.demo`) produces what README "The demo's past" says: stable
inputs until the shift, then credit_type (and with it property_value and LTV, missing for
most EQUI applications) and the score on watch on the first shifted day and act on the
next two, the incidents those breaches open, outcomes for the older decisions, judged
performance, and a candidate waiting for validation. A shorter past than `make run`'s 30
days, through the same code."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from governance.models import ModelVersion, VersionState
from monitoring.demo import DemoContext, demo_history_build
from monitoring.models import DriftResult, Incident, MonitoringRun, PerformanceCohort, RunStatus
from monitoring.rules import SCORE_SUBJECT
from predictions.demo import demo_decisions_backdate
from predictions.errors import BackdatingRefused
from predictions.models import DecisionLog, Outcome
from tests.support import applications

pytestmark = pytest.mark.django_db
END = datetime(2026, 3, 20, tzinfo=UTC)  # a Friday: the past runs Thursday 12 to Thursday 19 March
SHIFTED = {"credit_type", "property_value", "LTV", SCORE_SUBJECT}


@pytest.fixture
def context(production_version, api_client_user, author, demo_csv):
    return DemoContext(
        version=production_version,
        client=api_client_user,
        author=author,
        data_path=str(demo_csv),
        days=8,
        outcome_lag_days=4,
        end=END,
    )


def drift_bands() -> dict[str, dict[str, str]]:
    """Window end (date) -> subject -> band, for the subjects not stable."""
    bands: dict[str, dict[str, str]] = {}
    for result in DriftResult.objects.select_related("run").order_by("run__window_end"):
        bands.setdefault(f"{result.run.window_end:%m-%d}", {})
        if result.band != "stable":
            bands[f"{result.run.window_end:%m-%d}"][result.subject] = result.band
    return bands


def test_the_demo_past_shows_the_documented_shift_and_opens_its_incidents(context):
    lines = demo_history_build(context=context)

    decisions = DecisionLog.objects.all()
    # Weekdays 1,500, the weekend (14 and 15 March) 600 each, all at working hours, all demo data.
    assert decisions.count() == 6 * 1500 + 2 * 600
    assert not decisions.filter(demo=False).exists()
    hours = {at.astimezone(UTC).hour for at in decisions.values_list("created_at", flat=True)}
    assert hours <= set(range(8, 18))
    assert lines[0].startswith("Demo decisions: 10,200 over 8 days (2026-03-12 to 2026-03-19)")
    # Outcomes for the decisions more than 4 days before the end: 12 to 15 March.
    assert Outcome.objects.count() == 2 * 1500 + 2 * 600

    assert drift_bands() == {
        "03-13": {},
        "03-14": {},
        "03-15": {},
        "03-16": {},
        "03-17": {},
        "03-18": dict.fromkeys(SHIFTED, "watch"),
        "03-19": dict.fromkeys(SHIFTED, "act"),
        "03-20": dict.fromkeys(SHIFTED, "act"),
    }
    assert set(Incident.objects.values_list("kind", "subject", "status")) == {
        ("data_drift", "credit_type", "open"),
        ("data_drift", "property_value", "open"),
        ("data_drift", "LTV", "open"),
        ("score_drift", SCORE_SUBJECT, "open"),
        ("data_quality", "property_value", "open"),
        ("data_quality", "LTV", "open"),
    }
    # Fairness over the whole past, realized performance on the cohort with outcomes.
    assert MonitoringRun.objects.get(kind="fairness").status == RunStatus.COMPLETED
    (cohort,) = PerformanceCohort.objects.all()
    assert (cohort.outcomes, cohort.judged) == (4200, True)
    assert MonitoringRun.objects.filter(kind="estimated_performance", status=RunStatus.COMPLETED).count() == 8
    # One candidate waiting for validation.
    candidate = ModelVersion.objects.get(state=VersionState.SUBMITTED)
    assert candidate.version == 2


def test_a_second_build_adds_nothing(context):
    demo_history_build(context=context)
    counts = (DecisionLog.objects.count(), Outcome.objects.count(), MonitoringRun.objects.count())
    incidents = list(Incident.objects.values_list("id", "occurrences", "last_seen"))

    lines = demo_history_build(context=context)

    assert (DecisionLog.objects.count(), Outcome.objects.count(), MonitoringRun.objects.count()) == counts
    assert list(Incident.objects.values_list("id", "occurrences", "last_seen")) == incidents
    assert ModelVersion.objects.count() == 2
    # Without an end, the past found is the one written: it ends the day after its last decision.
    assert replace(context, end=None).history_end() == END
    assert lines[:2] == [
        "Demo decisions: already there.",
        f"Demo monitoring: 0 of {3 * 8 + 2} job windows computed now, the rest were done.",
    ]


def test_backdated_decisions_are_refused_unless_the_settings_allow_them(settings, production_version, api_client_user):
    settings.DEMO_BACKDATED_DECISIONS = False
    with pytest.raises(BackdatingRefused, match="DEMO_BACKDATED_DECISIONS"):
        demo_decisions_backdate(
            version=production_version,
            applications=applications(5, seed=1),
            created_at=[END] * 5,
            client=api_client_user,
            request_id="demo",
        )
    assert not DecisionLog.objects.exists()


def test_production_settings_never_allow_backdated_decisions():
    from pathlib import Path

    production = Path(__file__).parents[2] / "loanportal" / "settings" / "production.py"
    assert "\nDEMO_BACKDATED_DECISIONS = False\n" in production.read_text()


def test_decisions_the_api_makes_are_not_demo_data(api, production_version):
    from tests.predictions.support import PREDICT_URL, post_json

    application = applications(1, seed=3).astype(object).iloc[0]
    body = {k: (None if v != v else v) for k, v in application.items()}
    assert post_json(api, PREDICT_URL, body).status_code == 201
    assert DecisionLog.objects.get().demo is False
