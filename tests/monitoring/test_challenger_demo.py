"""The demo's challenger: a second, differently trained version, demo traffic with outcomes
for approvals, and a stored replay, which a second call returns instead of repeating."""

import pytest

from governance.models import VersionState
from monitoring.challenger_demo import demo_comparison_create
from monitoring.models import Comparison
from predictions.models import DecisionLog, Outcome

pytestmark = pytest.mark.django_db


def test_the_demo_registers_a_challenger_records_traffic_and_replays_it(
    production_version, demo_csv, author, validator, approver, api_client_user
):
    users = {"author": author, "validator": validator, "approver": approver, "api-client": api_client_user}
    comparison = demo_comparison_create(
        model_name="loan-default", data_path=str(demo_csv), users=users, applications=1200
    )
    challenger = comparison.challenger
    assert challenger.version == 2 and challenger.state == VersionState.VALIDATED and challenger.shadow_since
    assert challenger.experiment["seed"] != production_version.experiment["seed"]
    decisions = DecisionLog.objects.filter(model_version=production_version)
    assert comparison.result["n_decisions"] + comparison.result["challenger_refused"] == decisions.count() > 1000
    approved = decisions.filter(decision="approve").count()
    assert Outcome.objects.count() == approved == comparison.n_outcomes
    assert comparison.result["auc_champion"] is not None
    again = demo_comparison_create(model_name="loan-default", data_path=str(demo_csv), users=users)
    assert again.pk == comparison.pk and Comparison.objects.count() == 1
