"""The first-run demo's challenger: a second, differently trained version of the demo model,
demo traffic with outcomes, and a replay, so that a newcomer sees a filled comparison page
and the CHALLENGER_EVIDENCE gate on the model card. Called by the demo bootstrap once the
demo model is in production; idempotent (a second call returns the comparison it made).
"""

import time
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from governance.ml.demo_data import generate
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES, TARGET
from governance.ml.search import SearchBudget
from governance.models import ModelVersion, VersionState
from governance.selectors import production_version
from governance.services import model_version_train, model_version_transition
from predictions.selectors import serving_model
from predictions.services import outcome_bulk_record, prediction_batch_create
from predictions.validation import MAX_BATCH_SIZE

from .comparisons import comparison_create, comparison_request_check
from .models import Comparison, Trigger

DEMO_SEED = 7  # the demo model is trained with seed 42; the challenger differs in seed and search
# One configuration: a second LightGBM search would double the first run's training time.
DEMO_SEARCH = SearchBudget(trials=1, seconds=30)
DEMO_APPLICATIONS = 4000
DEMO_COMMENT = "Demo bootstrap: {action} by the demo {who}."


def demo_comparison_create(
    *, model_name: str, data_path: str, users: dict[str, User], applications: int = DEMO_APPLICATIONS
) -> Comparison:
    """Train a challenger on `data_path` (seed 7, a smaller search), take it to validated and
    into shadow with the demo users (`author`, `validator`, `approver`, `api-client`), score
    `applications` generated applications through the production version as the API client,
    record the outcome of each approval (the generated label), and replay the challenger."""
    champion = production_version(model_name=model_name)
    if champion is None:
        raise ValueError(f"{model_name} has no production version: bootstrap the demo model first.")
    existing = Comparison.objects.filter(champion=champion).order_by("-created_at").first()
    if existing is not None:
        return existing
    challenger = _challenger(model_name, data_path, users)
    _demo_traffic(model_name, users["api-client"], applications)
    subject = comparison_request_check(model_name=model_name, challenger_id=challenger.pk, start=None, end=None)
    return comparison_create(subject=subject, trigger=Trigger.COMMAND, requested_by=users["approver"])


def _challenger(model_name: str, data_path: str, users: dict[str, User]) -> ModelVersion:
    version = model_version_train(
        data_path=data_path, model_name=model_name, seed=DEMO_SEED, author=users["author"], search=DEMO_SEARCH
    )
    steps: list[tuple[str, str, dict[str, str]]] = [
        ("submit", "author", {}),
        ("validate", "validator", {f["id"]: _waiver() for f in version.findings if f["severity"] == "high"}),
        ("start_shadow", "approver", {}),
    ]
    for action, who, waivers in steps:
        version = model_version_transition(
            version_id=version.pk,
            action=action,
            actor=users[who],
            comment=DEMO_COMMENT.format(action=action, who=who),
            waivers=waivers,
        )
    if version.state != VersionState.VALIDATED:
        raise RuntimeError(f"{version} is {version.state}, expected validated")
    return version


def _waiver() -> str:
    return "Demo bootstrap: reviewed and accepted for demonstration only."


def _demo_traffic(model_name: str, client: User, count: int) -> None:
    frame = generate(count, seed=2026).rename(columns=CSV_COLUMN_RENAMES)
    labels = frame[TARGET].astype(bool).tolist()
    records: list[dict[str, Any]] = (
        frame[list(APPLICATION_FIELDS)].astype(object).where(frame.notna(), None).to_dict("records")
    )
    validator = serving_model(model_name=model_name).validator
    accepted = [(r, y) for r, y in zip(records, labels, strict=True) if validator.validate(r)[0] is not None]
    outcomes = []
    for start in range(0, len(accepted), MAX_BATCH_SIZE):
        chunk = accepted[start : start + MAX_BATCH_SIZE]
        rows = prediction_batch_create(
            model_name=model_name,
            body={"applications": [r for r, _ in chunk]},
            client=client,
            request_id=f"demo-{uuid.uuid4().hex}",
            received_at=time.perf_counter(),
        )
        outcomes += [
            {"prediction_id": row.id, "defaulted": y, "observed_at": timezone.now()}
            for row, (_, y) in zip(rows, chunk, strict=True)
            if row.decision == "approve"
        ]
    outcome_bulk_record(outcomes=outcomes, recorded_by=client)
