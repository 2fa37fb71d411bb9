"""Monitoring fixtures: a version in production and a decision log written as the API would."""

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from governance.ml.scorer import Scorer
from governance.models import ModelVersion
from governance.roles import Role
from loanportal.celery import app as celery_app
from predictions.models import DecisionLog, Outcome


@pytest.fixture(scope="session")
def scorer(training_result: Any) -> Scorer:
    return Scorer(training_result.document)


@pytest.fixture
def api_client_user(make_user: Any) -> Any:
    return make_user("scoring-client", Role.API_CLIENT)


@pytest.fixture
def compliance(make_user: Any) -> Any:
    return make_user("cora-compliance", Role.COMPLIANCE_OFFICER)


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
        encoded = scorer.encoder.encode_frame(frame)
        if probabilities is None:
            probabilities = scorer.probabilities(scorer.encoder.model_matrix(encoded))
        if decisions is None:
            decisions = np.where(np.asarray(probabilities) >= version.threshold, "decline", "approve")
        times = [at] * len(frame) if isinstance(at, datetime) else list(at)
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        rows = [
            DecisionLog(
                request_id=uuid.uuid4().hex,
                client=api_client_user,
                model_version=version,
                inputs=records[i],
                features=encoded[i].astype("<f8").tobytes(),
                probability=float(probabilities[i]),
                decision=str(decisions[i]),
                risk_band="C",
                latency_ms=4.0,
                created_at=times[i],
            )
            for i in range(len(frame))
        ]
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


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Queued tasks run at once in the test process, as a worker would run them."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
