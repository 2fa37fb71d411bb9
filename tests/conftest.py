"""Shared fixtures: demo users per role, a model trained once per session, registered versions,
a decision log written as the API would write it, and the prediction API's client and
applications (also used by the security tests that attack that API).

Tests marked `postgresql` need PostgreSQL (DATABASE_URL) and are skipped on SQLite.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from scipy.special import expit

from governance.ml.dataset import Dataset, load_dataset
from governance.ml.demo_data import generate, write_csv
from governance.ml.scorer import Scorer
from governance.ml.search import SearchBudget
from governance.ml.training import TrainingResult, train
from governance.models import ModelVersion, RegisteredModel
from governance.selectors import model_version_scorer
from governance.services import model_version_register, model_version_transition, portal_user_provision
from loanportal.roles import Role
from predictions.models import DecisionLog, Outcome
from tests.predictions.support import as_application, token_client
from tests.support import decision_log_rows, waive_all_high, waive_challenger_evidence

REAL_DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "loan_default.csv"
DEMO_ROWS = 6000


@pytest.fixture(scope="session")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "demo.csv"
    write_csv(generate(DEMO_ROWS, seed=7), path)
    return path


@pytest.fixture(scope="session")
def demo_dataset(demo_csv: Path) -> Dataset:
    return load_dataset(demo_csv)


@pytest.fixture(scope="session")
def training_result(demo_dataset: Dataset) -> TrainingResult:
    """One model trained on demo data, shared by every test that needs a version."""
    return train(
        demo_dataset,
        seed=42,
        protected_attributes=["Gender", "age"],
        min_auc=0.75,
        fairness_min_group_size=100,
    )


@pytest.fixture(scope="session")
def linear_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Demo applications relabelled by a logistic function of two inputs: data on which the
    logistic-regression baseline beats every LightGBM candidate."""
    frame = generate(3000, seed=2)
    z = {name: (frame[name] - frame[name].mean()) / frame[name].std() for name in ("Credit_Score", "loan_amount")}
    log_odds = -1.0 + 1.2 * z["Credit_Score"] - 0.9 * z["loan_amount"]
    frame["Status"] = np.random.default_rng(2).binomial(1, expit(log_odds))
    path = tmp_path_factory.mktemp("data") / "linear.csv"
    write_csv(frame, path)
    return load_dataset(path)


@pytest.fixture(scope="session")
def linear_result(linear_dataset: Dataset) -> TrainingResult:
    """A model version trained where the logistic baseline wins the search."""
    return train(
        linear_dataset,
        seed=42,
        protected_attributes=["Gender", "age"],
        min_auc=0.5,
        fairness_min_group_size=100,
        search=SearchBudget(trials=3, seconds=600),
    )


@pytest.fixture(scope="session")
def real_dataset() -> Dataset:
    if not REAL_DATA.is_file():
        pytest.skip(f"{REAL_DATA} is not on this machine")
    return load_dataset(REAL_DATA)


@pytest.fixture(scope="session", autouse=True)
def embedded_broker() -> None:
    """The filesystem broker's folders, which `make run` creates where the tests have no
    Redis: queued tasks are written there and `/ready/` checks them."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        Path(options["processed_folder"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def artifact_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MODEL_ARTIFACT_DIR = tmp_path / "models"
    return settings.MODEL_ARTIFACT_DIR


@pytest.fixture
def make_user(db: Any) -> Any:
    def make(username: str, *roles: Role) -> Any:
        user = None
        for role in roles:
            user = portal_user_provision(username=username, role=role)
        if user is None:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.create_user(username=username)
        return user

    return make


@pytest.fixture
def author(make_user: Any) -> Any:
    return make_user("dana-scientist", Role.DATA_SCIENTIST)


@pytest.fixture
def validator(make_user: Any) -> Any:
    return make_user("victor-validator", Role.MODEL_VALIDATOR)


@pytest.fixture
def approver(make_user: Any) -> Any:
    return make_user("ada-approver", Role.MODEL_APPROVER)


@pytest.fixture
def api_client_user(make_user: Any) -> Any:
    """A loan origination system's user."""
    return make_user("los-client", Role.API_CLIENT)


@pytest.fixture
def compliance_officer(make_user: Any) -> Any:
    return make_user("cora-compliance", Role.COMPLIANCE_OFFICER)


@pytest.fixture
def registered_model(db: Any) -> RegisteredModel:
    return RegisteredModel.objects.create(name="loan-default", purpose="Default risk", owner="Retail Credit Risk")


@pytest.fixture
def register_version(registered_model: RegisteredModel, training_result: TrainingResult, author: Any) -> Any:
    def register(**overrides: Any) -> ModelVersion:
        result = training_result
        if overrides:
            from dataclasses import replace

            result = replace(training_result, **overrides)
        return model_version_register(registered_model=registered_model, result=result, author=author)

    return register


@pytest.fixture
def draft_version(register_version: Any) -> ModelVersion:
    return register_version()


@pytest.fixture
def take_to(author: Any, validator: Any, approver: Any) -> Any:
    """Drive a version through the workflow up to `state` with distinct reviewers (waiving
    the challenger-evidence gate when another version is in production)."""
    path = [
        ("submit", author, lambda v: {}),
        ("validate", validator, waive_all_high),
        ("approve", approver, lambda v: {}),
        ("promote", approver, waive_challenger_evidence),
    ]
    order = ["draft", "submitted", "validated", "approved", "production"]

    def take(version: ModelVersion, state: str) -> ModelVersion:
        for action, actor, waivers in path[: order.index(state)]:
            version = model_version_transition(
                version_id=version.pk, action=action, actor=actor, comment=f"{action} in test", waivers=waivers(version)
            )
        return version

    return take


@pytest.fixture
def production_version(draft_version: ModelVersion, take_to: Any) -> ModelVersion:
    return take_to(draft_version, "production")


@pytest.fixture
def challenger_version(
    registered_model: RegisteredModel, linear_result: TrainingResult, author: Any, take_to: Any
) -> ModelVersion:
    """A second, differently trained version of the model (logistic, on relabelled demo
    data), validated: a challenger to the production version."""
    version = model_version_register(registered_model=registered_model, result=linear_result, author=author)
    return take_to(version, "validated")


@pytest.fixture(scope="session")
def scorer(training_result: Any) -> Scorer:
    return Scorer(training_result.document)


@pytest.fixture
def log_decisions(scorer: Scorer, api_client_user: Any) -> Any:
    """Write decision-log rows for `frame` at `at` (one time, or one per row): encoded
    features and probabilities from the model unless given, decisions by the version's
    threshold unless given, and outcomes when `defaulted` is given."""

    def log(
        version: ModelVersion,
        frame: pd.DataFrame,
        *,
        at: datetime | Sequence[datetime],
        probabilities: Sequence[float] | None = None,
        decisions: Sequence[str] | None = None,
        defaulted: Sequence[bool] | None = None,
    ) -> list[DecisionLog]:
        rows = decision_log_rows(
            version,
            frame,
            scorer=scorer,
            client=api_client_user,
            at=at,
            probabilities=probabilities,
            decisions=decisions,
        )
        DecisionLog.objects.bulk_create(rows)
        if defaulted is not None:
            Outcome.objects.bulk_create(
                Outcome(
                    decision_log=row,
                    defaulted=bool(defaulted[i]),
                    observed_at=row.created_at + timedelta(days=365),
                    recorded_by=api_client_user,
                )
                for i, row in enumerate(rows)
            )
        return rows

    return log


@pytest.fixture(scope="session", autouse=True)
def flush_past_the_truncate_triggers() -> Iterator[None]:
    """Between transactional tests Django empties every table with TRUNCATE, which the audit
    tables' triggers refuse, as they must in production. The test database's superuser may
    switch triggers off for its own transaction; only this harness step does so."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        flush(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


# Dead rows a module may leave before its tables are vacuumed: a few bulk inserts' worth.
VACUUM_DEAD_ROWS = 5000


@pytest.fixture(scope="module", autouse=True)
def vacuum_what_the_module_rolled_back(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Every test's rows are rolled back, and a rolled-back row stays in its table as a dead
    row until VACUUM removes it. CI's PostgreSQL runs without autovacuum, so the decision
    log grew by every module's bulk inserts and each later scan read all of them: the API
    fuzzing's requests, run after the monitoring tests, took ten times as long as alone.
    After each module, vacuum the tables it left dead rows in, as autovacuum would."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%%I.%%I', schemaname, relname) FROM pg_stat_user_tables WHERE n_dead_tup > %s",
            [VACUUM_DEAD_ROWS],
        )
        for (table,) in cursor.fetchall():
            # The name comes from the catalogue, quoted by format('%I'); VACUUM takes no parameters.
            cursor.execute(f"VACUUM {table}")  # nosec B608


@pytest.fixture(autouse=True)
def empty_caches() -> None:
    """No test inherits another's throttle counters (the cache, Redis on CI, and the
    worker's unreported counts) or the serving model a worker last used (ids are reused
    after a rollback on SQLite)."""
    from django.core.cache import cache

    from loanportal import throttles
    from predictions import selectors

    cache.clear()
    throttles._windows.clear()
    selectors._last_served.clear()


@pytest.fixture
def api(api_client_user: Any) -> APIClient:
    """A loan origination system's API client."""
    return token_client(api_client_user)


@pytest.fixture
def scored_frame(demo_dataset: Dataset, production_version: ModelVersion) -> Any:
    """The demo applications with the production version's probability of default, scored
    through the data-frame path (encode_frame), independently of the API's path."""
    frame = demo_dataset.frame.head(2000).copy()
    frame["probability"] = model_version_scorer(version=production_version).score_frame(frame)
    return frame


@pytest.fixture
def application(scored_frame: Any, production_version: ModelVersion) -> dict[str, Any]:
    """A complete application the production version approves."""
    complete = scored_frame.dropna()
    row = complete[complete["probability"] < production_version.threshold].iloc[0]
    return as_application(row.to_dict())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked `postgresql` unless the test database is PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL); the test database is SQLite")
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)
