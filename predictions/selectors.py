"""Reads for the prediction API: the serving model, logged decisions."""

import functools
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import QuerySet

from governance.ml.scorer import ModelScorer
from governance.models import ModelVersion, RegisteredModel, VersionState
from governance.selectors import model_version_scorer
from loanportal.roles import READ_ALL_DECISIONS, SCORE_APPLICATIONS

from .errors import NoProductionVersion, UnknownModel
from .models import DecisionLog
from .validation import ApplicationValidator


@dataclass(frozen=True)
class ServingModel:
    """What scores a request: the production version, its loaded model and its validator."""

    version: ModelVersion
    scorer: ModelScorer
    validator: ApplicationValidator


@functools.lru_cache(maxsize=8)
def _validator(scorer: ModelScorer) -> ApplicationValidator:
    # Keyed by the scorer, which `model_version_scorer` caches per version: the rules come
    # from the schema inside the verified artifact, the same schema the encoder uses.
    return ApplicationValidator(scorer.feature_schema)


# In model field order, as `Model.from_db` expects.
_VERSION_FIELDS = [
    f.attname
    for f in ModelVersion._meta.concrete_fields
    if f.attname in {"id", "version", "threshold", "artifact_path", "artifact_sha256"}
]


def _production_version(model_name: str) -> ModelVersion | None:
    """The production version with the fields scoring reads (the others are deferred).

    Raw SQL on the hot path: the ORM spends longer building this query than PostgreSQL
    spends answering it from the partial unique index on production versions.
    """
    columns = ", ".join(f"v.{name}" for name in _VERSION_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names come from the models; the model name is a parameter (bandit
            # B608). A bare nosec: with a test id bandit warns once per f-string part it passes.
            f"SELECT {columns}, m.id, m.name FROM {ModelVersion._meta.db_table} v "  # nosec
            f"JOIN {RegisteredModel._meta.db_table} m ON m.id = v.registered_model_id "
            "WHERE m.name = %s AND v.state = %s",
            [model_name, VersionState.PRODUCTION.value],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    version = ModelVersion.from_db(connection.alias, _VERSION_FIELDS, row[: len(_VERSION_FIELDS)])
    version.registered_model = RegisteredModel.from_db(connection.alias, ["id", "name"], row[len(_VERSION_FIELDS) :])
    return version


# The serving model each worker used last, by model name. It is only a guess: a single
# prediction is written by an INSERT that checks, in the same statement, that its version
# is still in production (`bulk_insert.decision_row_insert_while_serving`), and a batch
# locks its version row (`serving_version_hold`). A stale guess costs one re-read and a
# rescore; it never lets a version out of production decide.
_last_served: dict[str, ServingModel] = {}


def serving_model(*, model_name: str, reuse: bool = False) -> ServingModel:
    """The production version of `model_name` with its loaded model and validator.

    Read from the database (one query) unless `reuse` is set and this worker has served
    the model before; a promotion or a rollback is therefore seen by the next request,
    without a restart.

    Raises `UnknownModel` for a name that is not registered, `NoProductionVersion` when
    none of its versions is in production.
    """
    if reuse and (known := _last_served.get(model_name)) is not None:
        return known
    if not RegisteredModel.could_be_name(model_name):
        raise UnknownModel(f"There is no registered model named {model_name!r}.")
    version = _production_version(model_name)
    if version is None:
        _last_served.pop(model_name, None)
        if not RegisteredModel.objects.filter(name=model_name).exists():
            raise UnknownModel(f"There is no registered model named {model_name!r}.")
        raise NoProductionVersion(
            f"No version of {model_name!r} is in production, so nothing can be scored. "
            "Try again after a version is promoted."
        )
    scorer = model_version_scorer(version=version)
    serving = _last_served[model_name] = ServingModel(version=version, scorer=scorer, validator=_validator(scorer))
    return serving


def serving_version_hold(*, version: ModelVersion) -> bool:
    """Inside a transaction: share-lock `version` if it is still in production, so that no
    promotion or retirement (which lock it FOR NO KEY UPDATE) can take it out until the
    transaction ends, while other batches share the lock. False if it already left.

    FOR SHARE is raw SQL because Django's select_for_update only takes exclusive locks;
    SQLite has no row locks and runs one writing transaction at a time anyway.
    """
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            # Only the table name is formatted in (bandit B608; bare nosec: see `_production_version`).
            f"SELECT 1 FROM {ModelVersion._meta.db_table} WHERE id = %s AND state = %s{lock}",  # nosec
            [version.pk, VersionState.PRODUCTION.value],
        )
        return cursor.fetchone() is not None


def decisions_visible_to(*, user: User) -> QuerySet[DecisionLog]:
    """Compliance officers see every decision; an API client only the decisions it asked for."""
    decisions = DecisionLog.objects.all()
    if READ_ALL_DECISIONS.allows(user):
        return decisions
    if SCORE_APPLICATIONS.allows(user):
        return decisions.filter(client=user)
    return decisions.none()


def decision_get(*, decision_id: uuid.UUID, user: User) -> DecisionLog | None:
    """One logged decision with its model, client and outcome, if `user` may see it."""
    return (
        decisions_visible_to(user=user)
        .select_related("model_version__registered_model", "client", "outcome")
        .filter(pk=decision_id)
        .first()
    )
