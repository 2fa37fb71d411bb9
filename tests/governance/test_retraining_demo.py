"""The first-run demo's retraining: one finished run and its draft candidate, once."""

import pytest

from governance.models import VersionState
from governance.retraining_demo import DEMO_DECISIONS, retraining_demo_run
from predictions.models import DecisionLog, Outcome

pytestmark = pytest.mark.django_db


def test_the_demo_makes_one_finished_run_with_a_draft_candidate(production_version):
    run = retraining_demo_run(model_name="loan-default")
    assert run.state == "succeeded", run.failure
    assert run.candidate.state == VersionState.DRAFT and run.candidate.parent_version == production_version
    assert run.data_summary["sources"]["decisions"]["rows"] == DEMO_DECISIONS
    assert Outcome.objects.count() == DecisionLog.objects.count() == DEMO_DECISIONS
    assert retraining_demo_run(model_name="loan-default") == run
    assert DecisionLog.objects.count() == DEMO_DECISIONS
