"""Reads from the registry."""

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from .ml.artifact import read_artifact
from .ml.dataset import load_dataset
from .ml.fields import TARGET
from .ml.metrics import classification_metrics
from .ml.scorer import ModelScorer, scorer_for_document
from .models import Action, ModelVersion, RegisteredModel, Transition, VersionState
from .workflow import current_validation


def production_version(*, model_name: str) -> ModelVersion | None:
    """The version of `model_name` in production right now, if any."""
    return (
        ModelVersion.objects.select_related("registered_model")
        .filter(registered_model__name=model_name, state=VersionState.PRODUCTION)
        .first()
    )


def production_versions() -> QuerySet[ModelVersion]:
    """Every model's version in production, with its registered model."""
    return ModelVersion.objects.select_related("registered_model").filter(state=VersionState.PRODUCTION)


def registered_model_list(*, with_versions: bool = False) -> QuerySet[RegisteredModel]:
    """Registered models by name; `with_versions` fetches their versions alongside (the
    API shows which one is in production)."""
    models = RegisteredModel.objects.order_by("name")
    return models.prefetch_related("versions") if with_versions else models


def registered_model_get(*, name: str) -> RegisteredModel | None:
    """The registered model called `name`, if there is one."""
    if not RegisteredModel.could_be_name(name):
        return None
    return RegisteredModel.objects.filter(name=name).first()


def registered_model_by_pk(pk: str | None) -> RegisteredModel | None:
    """The registered model with the primary key `pk` (as a filter parameter gives it), if any."""
    if not pk or not (pk.isascii() and pk.isdigit()):
        return None
    return RegisteredModel.objects.filter(pk=int(pk)).first()


def _versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("registered_model", "created_by")


def model_version_list(*, registered_model: RegisteredModel) -> QuerySet[ModelVersion]:
    """A model's versions, newest first."""
    return _versions().filter(registered_model=registered_model).order_by("-version")


def model_version_details() -> QuerySet[ModelVersion]:
    """Versions with their model, author and transitions (oldest first), for the detail view."""
    transitions = Transition.objects.select_related("actor").order_by("created_at", "id")
    return _versions().prefetch_related(Prefetch("transitions", queryset=transitions))


def version_transitions(*, version: ModelVersion) -> QuerySet[Transition]:
    return version.transitions.select_related("actor").order_by("created_at", "id")


def version_validations(*, version: ModelVersion) -> list[dict[str, Any]]:
    """Every accepted validation of a version, oldest first, with the waivers it gave and
    whether it is the validation of the version as it stands (`workflow.current_validation`)."""
    current = current_validation(version)
    validations = version.transitions.filter(action=Action.VALIDATE, accepted=True).select_related("actor")
    return [
        {
            "round": number,
            "transition": transition,
            "waivers": transition.details.get("waivers", {}),
            "current": current is not None and transition.pk == current.pk,
        }
        for number, transition in enumerate(validations.order_by("created_at", "id"), start=1)
    ]


def artifact_location(version: ModelVersion) -> Path:
    return Path(settings.MODEL_ARTIFACT_DIR) / version.artifact_path


@functools.lru_cache(maxsize=8)
def _scorer(version_id: int, path: str, sha256: str) -> ModelScorer:
    return scorer_for_document(read_artifact(Path(path), sha256))


def model_version_scorer(*, version: ModelVersion) -> ModelScorer:
    """The version's scorer: its artifact is read and its SHA-256 checked on first use, then
    kept in memory keyed by version id (a worker holds at most a few versions)."""
    return _scorer(version.pk, str(artifact_location(version)), version.artifact_sha256)


def model_version_evaluate(*, version: ModelVersion, data_path: str) -> dict[str, Any]:
    """Score a labelled CSV with a registered version: the same metrics as registration."""
    frame = load_dataset(data_path).frame
    probability = model_version_scorer(version=version).score_frame(frame)
    return classification_metrics(frame[TARGET].to_numpy(), probability, version.threshold)


def version_history_changes(*, version: ModelVersion) -> list[dict[str, Any]]:
    """Field-level history of a version, newest first: who changed what, when and why."""
    records = list(version.history.select_related("history_user").order_by("history_date", "history_id"))
    changes = []
    for previous, record in zip([None, *records], records, strict=False):
        # Compared field by field: simple-history's diff_against skips non-editable fields,
        # and `state` and `waivers` are exactly those.
        delta = [
            {"field": f.attname, "old": getattr(previous, f.attname), "new": getattr(record, f.attname)}
            for f in record.tracked_fields
            if previous is not None and getattr(previous, f.attname) != getattr(record, f.attname)
        ]
        changes.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "reason": record.history_change_reason,
                "type": record.get_history_type_display(),
                "changes": delta,
            }
        )
    return changes[::-1]


AUDIT_TRAIL_HEADER = (
    "time_utc", "model", "version", "version_id", "action", "from_state", "to_state", "outcome",
    "actor", "actor_roles", "comment", "refusal_reason", "waivers", "details", "request_id",
)  # fmt: skip


def audit_trail_rows(*, transitions: QuerySet[Transition]) -> tuple[tuple[str, ...], Iterator[list[Any]]]:
    """The audit trail as CSV rows, oldest first: who moved which version when and why."""

    def rows() -> Iterator[list[Any]]:
        ordered = transitions.select_related("version__registered_model", "actor").order_by("created_at", "id")
        for t in ordered.iterator(chunk_size=2000):
            details = dict(t.details)
            waivers = details.pop("waivers", {})
            yield [
                t.created_at.isoformat(),
                t.version.registered_model.name,
                t.version.version,
                t.version_id,
                t.action,
                t.from_state,
                t.to_state,
                "accepted" if t.accepted else "refused",
                t.actor.get_username(),
                "; ".join(t.actor_roles),
                t.comment,
                t.reason,
                json.dumps(waivers, sort_keys=True) if waivers else "",
                json.dumps(details, sort_keys=True) if details else "",
                t.request_id,
            ]

    return AUDIT_TRAIL_HEADER, rows()
