"""Every version carries its experiment record: how it was searched and trained, on what,
by which code and libraries, in how long and in how much memory. The model card and the
version API show it."""

import hashlib
import resource
import shutil
import subprocess
import time
from importlib.metadata import version as installed_version
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.ml.experiment import source_commit
from governance.ml.search import DEFAULT_ROWS
from governance.models import ModelVersion

LEADERBOARD_FIELDS = {
    "rank", "candidate", "kind", "params", "cv_roc_auc_mean", "cv_roc_auc_std", "cv_roc_auc_folds",
    "holdout_roc_auc", "training_seconds", "boosting_rounds", "winner", "cv_rows", "training_rows",
    "fitted_rows", "sample_holdout_roc_auc",
}  # fmt: skip


@pytest.mark.django_db
def test_a_trained_version_records_its_experiment(demo_csv, monkeypatch):
    monkeypatch.setenv("SOURCE_COMMIT", "4f2a9c1e0b7d")
    started = time.perf_counter()
    call_command("train_model", "--data", str(demo_csv), "--seed", "8", "--search-trials", "2", stdout=StringIO())
    elapsed = time.perf_counter() - started
    experiment = ModelVersion.objects.get().experiment

    winner = experiment["leaderboard"][0]
    assert experiment["model"]["candidate"] == winner["candidate"]
    if winner["kind"] == "lightgbm":
        assert {k: experiment["model"]["params"][k] for k in winner["params"]} == winner["params"]
        assert experiment["model"]["params"]["seed"] == 8
    assert experiment["seed"] == 8
    search = experiment["search"]
    assert search["budget"] == {"trials": 2, "seconds": 40.0, "rows": DEFAULT_ROWS}
    assert (search["trials_run"], search["stopped_by"]) == (2, "trials")
    assert search["cv"]["folds"] >= 3 and search["cv"]["seed"] == 8
    assert len(experiment["leaderboard"]) == 3  # two LightGBM trials and the baseline
    for row in experiment["leaderboard"]:
        assert set(row) == LEADERBOARD_FIELDS
        assert len(row["cv_roc_auc_folds"]) == search["cv"]["folds"]

    assert experiment["source_commit"] == "4f2a9c1e0b7d"
    for library in ("lightgbm", "numpy", "optuna", "pandas", "scikit-learn", "scipy"):
        assert experiment["library_versions"][library] == installed_version(library)
    data = experiment["data"]
    assert data["sha256"] == hashlib.sha256(Path(demo_csv).read_bytes()).hexdigest()
    assert data["rows"] == sum(1 for _ in Path(demo_csv).open()) - 1
    assert data["holdout"] == "stratified"
    assert 0 < experiment["duration_seconds"] < elapsed
    peak_now_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 50 < experiment["peak_memory"]["peak_rss_mb"] <= peak_now_mb + 0.1
    assert "ru_maxrss" in experiment["peak_memory"]["measure"]


def test_without_source_commit_the_checkout_head_is_recorded(monkeypatch):
    monkeypatch.delenv("SOURCE_COMMIT", raising=False)
    git = shutil.which("git")
    head = (
        subprocess.run([git, "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True)
        if git
        else None
    )
    if head is None or head.returncode != 0:
        pytest.skip("this copy of the code is not a git checkout")
    assert source_commit() == head.stdout.strip()


def test_without_source_commit_or_git_the_commit_is_unknown(monkeypatch, tmp_path):
    monkeypatch.delenv("SOURCE_COMMIT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert source_commit() == "unknown"


@pytest.mark.django_db
def test_the_model_card_and_the_version_api_show_the_experiment(client, validator, draft_version):
    experiment = draft_version.experiment
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_change", args=[draft_version.pk])).content.decode()
    assert "<h2>Experiment</h2>" in page
    for row in experiment["leaderboard"]:
        assert f"<td>{row['candidate']}" in page
        assert f"{row['cv_roc_auc_mean']:.4f} &plusmn; {row['cv_roc_auc_std']:.4f}" in page
    assert f"<code>{experiment['source_commit']}</code>" in page
    assert f"<code>{experiment['data']['sha256']}</code>" in page
    assert experiment["search"]["stopped"] in page
    assert experiment["search"]["rows"] in page  # "cross-validated on all 4,800 training rows"

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=validator)[0].key}")
    body = api.get(f"/api/v1/versions/{draft_version.pk}/").json()
    assert body["experiment"] == experiment


@pytest.mark.django_db
def test_a_version_registered_before_experiments_says_so_on_its_card(client, validator, register_version):
    version = register_version(experiment={})
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_change", args=[version.pk])).content.decode()
    assert "No experiment record: this version was registered before experiments were recorded." in page
