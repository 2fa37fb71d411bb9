"""The operator commands: train, evaluate, generate demo data, bootstrap the demo."""

import json
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from governance.ml.search import DEFAULT_ROWS
from governance.models import ModelVersion, Transition, VersionState


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


@pytest.mark.django_db
def test_train_model_registers_a_draft_and_prints_id_and_metrics(demo_csv):
    output = run("train_model", "--data", str(demo_csv), "--seed", "5")
    version = ModelVersion.objects.get()
    assert version.state == VersionState.DRAFT
    assert version.registered_model.name == "loan-default"
    assert f"version id {version.pk}" in output
    assert f"ROC-AUC {version.metrics['roc_auc']:.4f}" in output
    assert version.created_by.username == "training-pipeline"
    register = Transition.objects.get(version=version)
    assert (register.action, register.to_state, register.accepted) == ("register", "draft", True)


@pytest.mark.django_db
def test_train_model_numbers_versions_per_model(demo_csv):
    run("train_model", "--data", str(demo_csv), "--name", "loan-default")
    run("train_model", "--data", str(demo_csv), "--name", "loan-default")
    run("train_model", "--data", str(demo_csv), "--name", "heloc-default")
    assert sorted(ModelVersion.objects.values_list("registered_model__name", "version")) == [
        ("heloc-default", 1),
        ("loan-default", 1),
        ("loan-default", 2),
    ]


@pytest.mark.django_db
def test_train_model_reports_a_bad_file_clearly(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="missing columns"):
        run("train_model", "--data", str(bad))


@pytest.mark.django_db
def test_train_model_searches_the_given_trials_and_prints_the_leaderboard(demo_csv):
    output = run("train_model", "--data", str(demo_csv), "--search-trials", "3", "--search-seconds", "600")
    experiment = ModelVersion.objects.get().experiment
    assert experiment["search"]["budget"] == {"trials": 3, "seconds": 600.0, "rows": DEFAULT_ROWS}
    assert experiment["search"]["trials_run"] == 3
    assert "all 3 LightGBM trials ran" in output
    for row in experiment["leaderboard"]:
        line = next(line for line in output.splitlines() if f"{row['rank']}. {row['candidate']} " in line)
        assert f"CV ROC-AUC {row['cv_roc_auc_mean']:.4f}" in line
        assert ("registered" in line) == row["winner"]


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--search-trials", "0", "The search needs a whole number of at least 1 trial, not 0."),
        ("--search-trials", "-4", "The search needs a whole number of at least 1 trial, not -4."),
        ("--search-trials", "two", "argument --search-trials: invalid int value: 'two'"),
        ("--search-seconds", "0", "The search needs a positive, finite number of seconds, not 0.0."),
        ("--search-seconds", "-1.5", "The search needs a positive, finite number of seconds, not -1.5."),
        ("--search-seconds", "nan", "The search needs a positive, finite number of seconds, not nan."),
        ("--search-seconds", "soon", "argument --search-seconds: invalid float value: 'soon'"),
    ],
)
def test_train_model_refuses_a_bad_search_budget_with_exit_status_2(
    demo_csv, artifact_dir, capsys, option, value, message
):
    # As manage.py runs it. No database here: the budget is refused before anything is read
    # or written (and run_from_argv closes the connections, which a test transaction needs).
    command = load_command_class("governance", "train_model")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "train_model", "--data", str(demo_csv), option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not artifact_dir.exists()


@pytest.mark.django_db
def test_evaluate_model_prints_one_json_object_with_the_registration_metrics(draft_version, demo_csv):
    output = run("evaluate_model", "--version", str(draft_version.pk), "--data", str(demo_csv))
    metrics = json.loads(output)
    for key in ("roc_auc", "gini", "ks", "brier", "f1", "precision", "recall", "accuracy", "n_rows"):
        assert key in metrics
    assert metrics["n_rows"] == len(pd.read_csv(demo_csv))
    assert metrics["threshold"] == draft_version.threshold


@pytest.mark.django_db
def test_evaluate_model_refuses_an_unknown_version(demo_csv):
    with pytest.raises(CommandError, match="no model version with id 999"):
        run("evaluate_model", "--version", "999", "--data", str(demo_csv))


def test_generate_demo_data_writes_the_requested_rows(tmp_path):
    out = tmp_path / "demo" / "apps.csv"
    run("generate_demo_data", "--rows", "1500", "--seed", "4", "--out", str(out))
    frame = pd.read_csv(out)
    assert len(frame) == 1500
    assert "co-applicant_credit_type" in frame.columns


@pytest.mark.django_db
def test_bootstrap_demo_reaches_production_through_the_workflow_once(demo_csv):
    first = run("bootstrap_demo", "--data", str(demo_csv), "--history-days", "4")
    version = ModelVersion.objects.get(version=1)
    assert version.state == VersionState.PRODUCTION
    steps = list(version.transitions.order_by("created_at", "id").values_list("action", "actor__username"))
    assert steps == [
        ("register", "author"),
        ("submit", "author"),
        ("validate", "validator"),
        ("approve", "approver"),
        ("promote", "approver"),
    ]
    token = Token.objects.get(user__username="api-client").key
    assert f"API token of api-client: {token}" in first
    for name in ("author", "validator", "approver", "compliance"):
        assert f"API token of {name}: {Token.objects.get(user__username=name).key}" in first

    second = run("bootstrap_demo", "--data", str(demo_csv), "--history-days", "4")
    # Each trained once: the production version, the candidate waiting for validation, the
    # challenger in shadow and the retraining run's draft candidate.
    versions = {v.version: v for v in ModelVersion.objects.all()}
    assert sorted(versions) == [1, 2, 3, 4]
    assert versions[2].state == VersionState.SUBMITTED
    assert versions[3].state == VersionState.VALIDATED and versions[3].shadow_since is not None
    assert versions[4].state == VersionState.DRAFT and versions[4].parent_version == version
    assert versions[4].retraining_run.state == "succeeded"
    assert "Challenger comparison: loan-default v3 against loan-default v1" in first
    assert "Training" not in second and token in second


@pytest.mark.django_db
def test_bootstrap_demo_refuses_outside_demo_mode(settings, demo_csv):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        run("bootstrap_demo", "--data", str(demo_csv))
