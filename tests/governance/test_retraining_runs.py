"""A retraining run from start to finish: data, candidates, the draft with its lineage,
the champion comparison, the notification; and the runs that fail and register nothing."""

import numpy as np
import pytest
from django.core import mail
from django.db import connection, transaction
from sklearn.metrics import brier_score_loss, roc_auc_score

from governance.ml.artifact import read_artifact
from governance.ml.scorer import scorer_for_document
from governance.models import ModelVersion, RetrainingRun, RetrainingState, RetrainingTrigger, VersionState
from governance.retraining.service import retraining_request, retraining_run_execute
from governance.retraining.sources import parent_training_file
from governance.selectors import artifact_location, model_version_scorer
from loanportal.audit import AppendOnlyError
from predictions.models import DecisionLog
from tests.governance.retraining_support import log_labelled, quick_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(production_version, log_decisions):
    return log_labelled(log_decisions, production_version, 1500, seed=21)


def _run(author, **overrides):
    values = {"model_name": "loan-default", "reason": "Quarterly refresh", "trigger": RetrainingTrigger.API}
    run = retraining_request(requested_by=author, **{**values, **overrides})
    return retraining_run_execute(run_id=run.pk)


def test_a_run_registers_a_draft_candidate_with_its_lineage_and_the_champion_comparison(
    production_version, labelled, author, settings, django_capture_on_commit_callbacks
):
    settings.MONITORING_NOTIFY_EMAILS = ["model-risk@bank.example"]
    settings.MONITORING_PORTAL_URL = "https://portal.bank.example"
    quick_policy(production_version.registered_model)
    cleared = [row.pk for row in labelled[1][:10]]
    DecisionLog.objects.filter(pk__in=cleared).update(
        inputs=None, features=None, inputs_removed_at=labelled[1][0].created_at
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(author)

    run.refresh_from_db()
    assert run.state == RetrainingState.SUCCEEDED, run.failure
    candidate = run.candidate
    assert candidate.state == VersionState.DRAFT and candidate.version == production_version.version + 1
    assert candidate.parent_version == production_version
    assert candidate.retraining_run == run
    assert candidate.findings  # validation findings as for any version
    assert candidate.experiment["data"]["sha256"] == run.data_summary["table_sha256"]
    assert candidate.transitions.get().action == "register"  # registered, never submitted or promoted
    production_version.refresh_from_db()
    assert production_version.state == VersionState.PRODUCTION

    sources = run.data_summary["sources"]
    assert sources["decisions"]["rows"] == 1490
    assert sources["decisions"]["inputs_removed_by_retention"] == 10
    assert sources["training_file"]["included"] is True and sources["training_file"]["rows"] == 6000
    assert len(run.leaderboard) == 2 and "logistic" in {row["candidate"] for row in run.leaderboard}
    assert [row["winner"] for row in run.leaderboard] == [True, False]
    assert all("out_of_time_roc_auc" in row and "cv_roc_auc_std" in row for row in run.leaderboard)

    # Independently: the most recent 20% of the kept decisions, scored by both artifacts.
    frame = labelled[0].iloc[10:].reset_index(drop=True)
    oot = frame.iloc[len(frame) - int(np.ceil(len(frame) * 0.2)) :]
    y = oot["Status"].to_numpy()
    champion = model_version_scorer(version=production_version).score_frame(oot)
    document = read_artifact(artifact_location(candidate), candidate.artifact_sha256)
    challenger = scorer_for_document(document).score_frame(oot)
    comparison = run.comparison
    assert comparison["rows"] == len(oot)
    assert comparison["champion_roc_auc"] == pytest.approx(roc_auc_score(y, champion))
    assert comparison["candidate_roc_auc"] == pytest.approx(roc_auc_score(y, challenger))
    assert comparison["champion_brier"] == pytest.approx(brier_score_loss(y, champion))
    assert comparison["candidate_brier"] == pytest.approx(brier_score_loss(y, challenger))
    low, high = comparison["ci_95"]
    assert low < comparison["difference"] < high and 0 <= comparison["p_value"] <= 1

    message = mail.outbox[-1]
    assert message.to == ["model-risk@bank.example"]
    assert f"/admin/governance/modelversion/{candidate.pk}/change/" in message.body
    assert "nothing was submitted or promoted" in message.body


def test_too_few_labelled_rows_fail_the_run_with_a_sentence_and_register_nothing(production_version, labelled, author):
    quick_policy(production_version.registered_model, min_labelled_rows=1_000_000)
    versions = ModelVersion.objects.count()
    run = _run(author)
    run.refresh_from_db()
    assert run.state == RetrainingState.FAILED
    assert "the policy needs at least 1000000" in run.failure
    assert run.candidate is None and ModelVersion.objects.count() == versions


def test_a_parent_file_that_moved_or_changed_is_recorded_as_not_included(production_version, tmp_path):
    dataset, note = parent_training_file(version=production_version)
    assert dataset is not None and note.startswith("Included")

    def elsewhere(path):
        data = {**production_version.training_data, "path": str(path)}
        return ModelVersion(registered_model=production_version.registered_model, version=1, training_data=data)

    assert parent_training_file(version=elsewhere(tmp_path / "gone.csv")) == (
        None,
        f"Not included: {tmp_path / 'gone.csv'} is no longer there.",
    )
    changed = tmp_path / "changed.csv"
    changed.write_text("loan_limit\ncf\n")
    dataset, note = parent_training_file(version=elsewhere(changed))
    assert dataset is None and "has SHA-256" in note and production_version.training_data["sha256"] in note


def test_a_finished_run_cannot_be_changed_or_deleted(production_version, labelled, author):
    quick_policy(production_version.registered_model, min_labelled_rows=1_000_000)
    run = _run(author)
    run.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        run.save()
    with pytest.raises(AppendOnlyError):
        run.delete()


@pytest.mark.postgresql
def test_the_database_refuses_to_rewrite_a_finished_run(production_version, labelled, author):
    quick_policy(production_version.registered_model, min_labelled_rows=1_000_000)
    run = _run(author)
    for sql in ("UPDATE governance_retrainingrun SET reason = 'x'", "DELETE FROM governance_retrainingrun"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert RetrainingRun.objects.get(pk=run.pk).reason == "Quarterly refresh"


def test_a_pending_run_executes_once(production_version, labelled, author):
    quick_policy(production_version.registered_model, min_labelled_rows=1_000_000)
    run = _run(author)
    assert retraining_run_execute(run_id=run.pk).finished_at == run.finished_at


def test_the_policys_search_rows_sample_the_search_and_the_candidate_is_fitted_on_every_training_row(
    production_version, labelled, author
):
    quick_policy(production_version.registered_model, search_rows=2_000)
    run = _run(author)
    assert run.state == RetrainingState.SUCCEEDED, run.failure
    # 1,500 decisions (300 out of time) and the 6,000 file rows (1,200 held out).
    training_rows = run.data_summary["rows"] - run.data_summary["holdout_rows"]
    assert training_rows == 1_200 + 4_800
    search = run.candidate.experiment["search"]
    assert (search["cv"]["rows"], search["cv"]["training_rows"]) == (2_000, training_rows)
    assert search["rows"].startswith(f"cross-validated on 2,000 of {training_rows:,} training rows")
    assert search["budget"]["rows"] == 2_000
    assert {(row["cv_rows"], row["training_rows"]) for row in run.leaderboard} == {(2_000, training_rows)}
    winner = run.leaderboard[0]
    assert search["final_fit"] == {**search["final_fit"], "candidate": winner["candidate"], "refitted": True}
    # LightGBM learns from the whole training part, the baseline from its fit rows (90%).
    assert winner["fitted_rows"] in (training_rows, training_rows - round(training_rows * 0.1))
    assert run.candidate.metrics["roc_auc"] == pytest.approx(winner["holdout_roc_auc"], abs=1e-12)
