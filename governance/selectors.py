"""Reads from the registry."""

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from .ml.artifact import read_artifact
from .ml.dataset import load_dataset
from .ml.fields import TARGET
from .ml.metrics import classification_metrics
from .ml.scorer import Scorer
from .models import ModelVersion, RegisteredModel, Transition, VersionState


def production_version(*, model_name: str) -> ModelVersion | None:
    """The version of `model_name` in production right now, if any."""
    return (
        ModelVersion.objects.select_related("registered_model")
        .filter(registered_model__name=model_name, state=VersionState.PRODUCTION)
        .first()
    )


def registered_model_list() -> QuerySet[RegisteredModel]:
    return RegisteredModel.objects.all()


def version_transitions(*, version: ModelVersion) -> QuerySet[Transition]:
    return version.transitions.select_related("actor").order_by("created_at", "id")


def artifact_location(version: ModelVersion) -> Path:
    return Path(settings.MODEL_ARTIFACT_DIR) / version.artifact_path


@functools.lru_cache(maxsize=8)
def _scorer(version_id: int, path: str, sha256: str) -> Scorer:
    return Scorer(read_artifact(Path(path), sha256))


def model_version_scorer(*, version: ModelVersion) -> Scorer:
    """The version's scorer: its artifact is read and its SHA-256 checked on first use, then
    kept in memory keyed by version id (a worker holds at most a few versions)."""
    return _scorer(version.pk, str(artifact_location(version)), version.artifact_sha256)


def model_version_evaluate(*, version: ModelVersion, data_path: str) -> dict[str, Any]:
    """Score a labelled CSV with a registered version: the same metrics as registration."""
    frame = load_dataset(data_path).frame
    probability = model_version_scorer(version=version).score_frame(frame)
    return classification_metrics(frame[TARGET].to_numpy(), probability, version.threshold)
