"""Starting a retraining: `retrain_model`, `check_retraining` and the API, with every bad
input refused with a sentence and nothing registered."""

import json
import re
import shlex
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.models import ModelVersion, RetrainingRun, RetrainingState
from tests.governance.retraining_support import labelled_frame, log_labelled, quick_policy
from tests.predictions.support import token_client
from tests.support import readme_block

pytestmark = pytest.mark.django_db


def retrain(*args):
    call_command("retrain_model", *args)


@pytest.fixture
def nothing_registered():
    versions = set(ModelVersion.objects.values_list("pk", flat=True))
    yield
    assert set(ModelVersion.objects.values_list("pk", flat=True)) == versions
    assert not RetrainingRun.objects.exists()


@pytest.mark.usefixtures("production_version", "nothing_registered")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "no-such-model", "--reason", "x"], "no registered model named 'no-such-model'"),
        (["--model", "loan-default", "--reason", "  "], "needs a reason"),
    ],
    ids=["unknown model", "empty reason"],
)
def test_retrain_model_refuses_bad_arguments_with_exit_2(args, message):
    with pytest.raises(CommandError, match=message) as refused:
        retrain(*args)
    assert refused.value.returncode == 2


def test_retrain_model_refuses_a_model_without_a_production_version(draft_version, nothing_registered):
    with pytest.raises(CommandError, match="no version in production") as refused:
        retrain("--model", "loan-default", "--reason", "x")
    assert refused.value.returncode == 2


@pytest.mark.usefixtures("production_version", "nothing_registered")
@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: labelled_frame(50, 1).drop(columns=["LTV"]).to_csv(p, index=False), "missing columns LTV"),
        (lambda p: labelled_frame(50, 1).assign(ID=1).to_csv(p, index=False), "unexpected columns ID"),
        (
            lambda p: labelled_frame(50, 1).astype({"income": object}).assign(income="lots").to_csv(p, index=False),
            "column income has a value that is not a number",
        ),
        (lambda p: p.write_bytes(b"\x00\xff\xfe" * 50), "not a readable CSV file"),
        (lambda p: None, "no such file"),
    ],
    ids=["missing column", "extra column", "non-numeric", "unreadable", "absent"],
)
def test_retrain_model_refuses_a_data_file_that_does_not_fit(tmp_path, write, message):
    path = tmp_path / "data.csv"
    write(path)
    with pytest.raises(CommandError, match=message) as refused:
        retrain("--model", "loan-default", "--reason", "x", "--data", str(path))
    assert refused.value.returncode == 2


def test_retrain_model_with_a_data_file_registers_a_draft(production_version, log_decisions, tmp_path, capsys):
    quick_policy(production_version.registered_model)
    log_labelled(log_decisions, production_version, 800, seed=8)
    path = tmp_path / "data.csv"
    labelled_frame(1500, seed=9).to_csv(path, index=False)
    retrain("--model", "loan-default", "--reason", "New bureau data", "--data", str(path))
    run = RetrainingRun.objects.get()
    assert run.state == RetrainingState.SUCCEEDED
    assert run.data_summary["sources"]["training_file"]["rows"] == 1500
    assert run.data_summary["sources"]["decisions"]["rows"] == 800
    out = capsys.readouterr().out
    assert f"{run.candidate} registered as a draft" in out and "Champion vs candidate" in out


def test_check_retraining_prints_one_json_object(production_version, capsys):
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0)
    call_command("check_retraining", "--model", "loan-default")
    report = json.loads(capsys.readouterr().out)
    assert set(report["triggers"]) == {"drift", "performance_incident", "model_age", "new_outcomes"}
    assert report["fired"] == [] and report["run"] is None
    assert report["version_id"] == production_version.pk


@pytest.mark.usefixtures("nothing_registered")
def test_check_retraining_refuses_an_unknown_model():
    with pytest.raises(CommandError, match="no registered model") as refused:
        call_command("check_retraining", "--model", "nope")
    assert refused.value.returncode == 2


def test_the_api_starts_a_pending_run_for_a_data_scientist(production_version, author):
    response = token_client(author).post(
        "/api/v1/models/loan-default/retrain/", {"reason": "Policy change"}, format="json"
    )
    assert response.status_code == 202, response.content
    run = RetrainingRun.objects.get(pk=response.json()["id"])
    assert (run.state, run.trigger, run.requested_by, run.reason) == ("pending", "api", author, "Policy change")
    again = token_client(author).post("/api/v1/models/loan-default/retrain/", {"reason": "Again"}, format="json")
    assert again.status_code == 409 and f"#{run.pk}" in again.json()["detail"]


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        ("loan-default", {"reason": ""}, "reason"),
        ("loan-default", {}, "reason"),
        ("no-such-model", {"reason": "x"}, "model"),
    ],
    ids=["empty reason", "no reason", "unknown model"],
)
def test_the_api_refuses_bad_input_with_400(production_version, author, nothing_registered, model, body, field):
    response = token_client(author).post(f"/api/v1/models/{model}/retrain/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_the_api_refuses_a_model_without_a_production_version(draft_version, author, nothing_registered):
    response = token_client(author).post("/api/v1/models/loan-default/retrain/", {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert "no version in production" in response.json()["detail"]


def test_the_readme_retraining_examples_run_as_printed(production_version, author, log_decisions, capsys):
    """README "Retraining": the two commands (optional `[...]` parts left out) and the curl's
    request, with a Data Scientist's token as `make run` prints it."""
    quick_policy(production_version.registered_model)
    log_labelled(log_decisions, production_version, 800, seed=8)
    block = readme_block("sh", "is ever submitted or promoted automatically.").replace("\\\n", " ")
    lines = [re.sub(r"\s*\[[^\]]*\]", "", line.split("  #")[0]).strip() for line in block.splitlines()]
    check, retrain_line = (shlex.split(line)[2:] for line in lines if line.startswith("python manage.py "))
    (curl,) = [line for line in lines if line.startswith("curl ")]

    call_command(*check)
    assert json.loads(capsys.readouterr().out)["version_id"] == production_version.pk
    call_command(*retrain_line)
    assert RetrainingRun.objects.get().state == RetrainingState.SUCCEEDED
    assert "registered as a draft" in capsys.readouterr().out

    arguments = shlex.split(curl)
    url = urlsplit(arguments[-1])
    body = json.loads(arguments[arguments.index("-d") + 1])
    assert (url.hostname, url.port) == ("127.0.0.1", 8000)
    assert "Authorization: Token $AUTHOR_TOKEN" in arguments
    response = token_client(author).post(url.path, body, format="json")
    assert response.status_code == 202, response.content
    assert RetrainingRun.objects.get(pk=response.json()["id"]).reason == "Credit policy changed"
