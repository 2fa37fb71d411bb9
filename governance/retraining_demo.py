"""The first-run demo's retraining: one finished retraining run and its draft candidate.

`retraining_demo_run` logs labelled demo decisions for the model's production version
through the same services the API uses (a batch of applications scored and logged, then
their outcomes recorded by the client that asked), and runs one manual retraining on
them and the parent's training file. Idempotent: a model that already has a succeeded
run gets that run back and nothing new is logged.
"""

import time
import uuid
from typing import Any

import numpy as np
from django.contrib.auth.models import User
from django.utils import timezone

from loanportal.roles import Role
from predictions.services import outcome_bulk_record, prediction_batch_create

from .ml.demo_data import generate
from .ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES, NUMERIC_FIELDS, TARGET
from .models import RetrainingPolicy, RetrainingRun, RetrainingState, RetrainingTrigger
from .retraining.service import retraining_request, retraining_run_execute
from .selectors import production_version
from .services import portal_user_provision

DEMO_DECISIONS = 3000
BATCH = 1000
DEMO_POLICY = {"search_trials": 1, "search_seconds": 15.0}
REASON = "Demo: quarterly refresh on the decisions logged since the version went live."


def _application(row: dict[str, Any]) -> dict[str, Any]:
    """A generated row as a client sends it: missing values left out, plain JSON types."""
    application: dict[str, Any] = {}
    for name in APPLICATION_FIELDS:
        value = row[name]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        application[name] = float(value) if name in NUMERIC_FIELDS else str(value)
    return application


def retraining_demo_run(*, model_name: str, client: User | None = None, seed: int = 17) -> RetrainingRun:
    """One succeeded retraining run of `model_name` and its draft candidate (see the module
    docstring). `client` is the API client whose decisions are logged (a demo one by
    default). Raises `RetrainingInvalid` when the model has no production version."""
    version = production_version(model_name=model_name)
    done = RetrainingRun.objects.filter(registered_model__name=model_name, state=RetrainingState.SUCCEEDED).first()
    if done is not None:
        return done
    if version is not None:
        client = client or portal_user_provision(username="demo-retraining-client", role=Role.API_CLIENT)
        frame = generate(DEMO_DECISIONS, seed=seed).rename(columns=CSV_COLUMN_RENAMES)
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        for start in range(0, len(records), BATCH):
            chunk = records[start : start + BATCH]
            rows = prediction_batch_create(
                model_name=model_name,
                body={"applications": [_application(r) for r in chunk]},
                client=client,
                request_id=f"demo-retraining-{uuid.uuid4().hex}",
                received_at=time.perf_counter(),
            )
            observed = timezone.now()
            outcome_bulk_record(
                outcomes=[
                    {"prediction_id": row.id, "defaulted": bool(r[TARGET]), "observed_at": observed}
                    for row, r in zip(rows, chunk, strict=True)
                ],
                recorded_by=client,
            )
    if version is not None:
        # The demo retrains within a small budget so that `make run` starts quickly; the
        # policy stays editable in the admin like any other.
        RetrainingPolicy.objects.get_or_create(registered_model=version.registered_model, defaults=DEMO_POLICY)
    run = retraining_request(model_name=model_name, reason=REASON, trigger=RetrainingTrigger.COMMAND)
    return retraining_run_execute(run_id=run.pk)
