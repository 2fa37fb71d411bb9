"""Writes of the decision log: scoring and logging decisions, recording outcomes, retention.

A decision is logged in the same transaction as it is made: the view answers only after
the log rows are committed, and a failed insert leaves no rows and no answer. No row is
written for a version that is not in production at that moment. Outcomes are
recorded once per decision; the decision row is locked while it is checked, so two
callers cannot record different outcomes at the same moment.
"""

import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from governance.ml.scorer import ModelScorer
from governance.models import EventKind, GovernanceEvent, ModelVersion
from loanportal.ids import uuid7
from loanportal.metrics import DECISIONS_BY_BAND, PREDICTIONS, REFUSED_APPLICATIONS

from .bulk_insert import DecisionRow, decision_row_insert_while_serving, decision_rows_insert
from .errors import (
    DecisionNotFound,
    InvalidApplication,
    InvalidOutcome,
    OutcomeConflict,
    ServingVersionChanged,
)
from .models import Decision, DecisionLog, Outcome, RefusedApplication, decision_inputs_sha256
from .reason_codes import top_reasons
from .risk_bands import risk_bands
from .selectors import ServingModel, serving_model, serving_version_hold
from .validation import Errors, refusal_rules

OUTCOME_INSERT_ROWS = 2000
# Applications scored at a time inside a batch's insert (see `prediction_batch_create`).
SCORING_CHUNK = 1000
# A single prediction is scored again at most once when a promotion overtakes it.
SERVING_ATTEMPTS = 2
# Clocks of the bank's systems and ours differ a little; an outcome is not "in the future"
# unless it is further ahead than this.
CLOCK_SKEW = timedelta(minutes=5)


def _decide(
    serving: ServingModel,
    applications: Sequence[dict[str, Any]],
    client: User,
    request_id: str,
    received_at: float,
    created_at: datetime,
) -> list[DecisionRow]:
    """Score validated applications and build their log rows (declines with reasons)."""
    return decision_rows_score(
        version=serving.version,
        scorer=serving.scorer,
        applications=applications,
        encoded=serving.scorer.encoder.encode_records(applications),
        client=client,
        request_id=request_id,
        received_at=received_at,
        created_at=[created_at] * len(applications),
    )


def decision_rows_score(
    *,
    version: ModelVersion,
    scorer: ModelScorer,
    applications: Sequence[dict[str, Any]],
    encoded: np.ndarray,
    client: User,
    request_id: str,
    received_at: float,
    created_at: Sequence[datetime],
    demo: bool = False,
) -> list[DecisionRow]:
    """The log rows of applications already encoded by `version`'s schema: probabilities,
    decisions at its threshold, risk bands, and reason codes for the declines. Shared by
    the API and the demo's past (`predictions.demo`), so both decide alike."""
    matrix = scorer.encoder.model_matrix(encoded)
    probabilities = scorer.probabilities(matrix)
    declined = probabilities >= version.threshold
    reasons: list[list[dict[str, Any]]] = [[] for _ in applications]
    declined_rows = np.flatnonzero(declined)
    if declined_rows.size:
        # Contributions explain declines only: approvals need no adverse-action reasons.
        contributions = scorer.contributions(matrix[declined_rows])
        for contribution_row, row in zip(contributions, declined_rows, strict=True):
            reasons[row] = top_reasons(
                model_features=scorer.model_features, contributions=contribution_row, model_inputs=matrix[row]
            )
    bands = risk_bands(probabilities)
    vectors = encoded.astype("<f8")
    decisions = np.where(declined, Decision.DECLINE.value, Decision.APPROVE.value).tolist()
    latency_ms = (time.perf_counter() - received_at) * 1000
    return [
        DecisionRow(
            uuid7(),
            request_id,
            client.pk,
            version,
            application,
            features := vector.tobytes(),
            probability,
            decision,
            band,
            reason_codes,
            latency_ms,
            at,
            decision_inputs_sha256(application, features),
            demo,
        )
        for application, vector, probability, decision, band, reason_codes, at in zip(
            applications, vectors, probabilities.tolist(), decisions, bands, reasons, created_at, strict=True
        )
    ]


def _count_predictions(version: ModelVersion, rows: Sequence[DecisionRow]) -> None:
    model, number = version.registered_model.name, str(version.version)
    declines = sum(row.decision == Decision.DECLINE for row in rows)
    if declines:
        PREDICTIONS.labels(model, number, Decision.DECLINE).inc(declines)
    if len(rows) > declines:
        PREDICTIONS.labels(model, number, Decision.APPROVE).inc(len(rows) - declines)
    for band, count in Counter(row.risk_band for row in rows).items():
        DECISIONS_BY_BAND.labels(model, number, band).inc(count)


def _storable_field_name(name: str) -> str:
    # An unknown field's name is the client's text; PostgreSQL's jsonb refuses NUL and lone
    # surrogates, so such a name is stored escaped instead of failing the 400 answer.
    return name.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def refused_applications_record(
    *, version: ModelVersion, client: User, request_id: str, errors: Errors, batch: bool
) -> list[RefusedApplication]:
    """Count the applications of a 400 answer, without their values: one row per refused
    application (per application that broke a rule, in a batch; body-level errors of a
    batch in one row without an index), written in one statement. Called on the refusal
    path only: a successful prediction never pays for it."""
    refused: list[tuple[int | None, dict[str, str]]]
    if batch:
        body = {key: message for key, message in errors.items() if not isinstance(message, dict)}
        refused = [(int(key), refusal_rules(e)) for key, e in errors.items() if isinstance(e, dict)]
        refused += [(None, refusal_rules(body))] if body else []
    else:
        refused = [(None, refusal_rules(errors))]
    now = timezone.now()
    rows = RefusedApplication.objects.bulk_create(
        RefusedApplication(
            client=client,
            model_version=version,
            request_id=request_id,
            batch_index=index,
            rules={_storable_field_name(name): rule for name, rule in rules.items()},
            created_at=now,
        )
        for index, rules in refused
    )
    REFUSED_APPLICATIONS.labels(version.registered_model.name, str(version.version)).inc(len(rows))
    return rows


def prediction_create(
    *, model_name: str, application: Any, client: User, request_id: str, received_at: float
) -> DecisionRow:
    """Validate one application against the production version of `model_name`, score it
    and log the decision. `received_at` is the `time.perf_counter()` when the request
    arrived; the logged latency runs from there.

    The worker's last serving model is tried first; the decision is written by one
    statement that also checks that its version is still in production, so a promotion
    between scoring and logging sends the application round again with the new version.

    Raises `InvalidApplication` (nothing logged; the refusal is counted), `UnknownModel`, `NoProductionVersion`,
    `ServingVersionChanged` (the version changed twice while this request was scored).
    """
    serving = serving_model(model_name=model_name, reuse=True)
    for _ in range(SERVING_ATTEMPTS):
        cleaned, errors = serving.validator.validate(application)
        if cleaned is None:
            refused_applications_record(
                version=serving.version, client=client, request_id=request_id, errors=errors, batch=False
            )
            raise InvalidApplication("The application is invalid; it was not scored.", errors)
        (row,) = _decide(serving, [cleaned], client, request_id, received_at, timezone.now())
        if decision_row_insert_while_serving(row):
            _count_predictions(serving.version, [row])
            return row
        serving = serving_model(model_name=model_name)
    raise ServingVersionChanged(
        f"The production version of {model_name!r} changed while this application was being scored; nothing "
        "was logged. Send it again."
    )


def prediction_batch_create(
    *, model_name: str, body: Any, client: User, request_id: str, received_at: float
) -> list[DecisionRow]:
    """Validate a batch body `{"applications": [...]}` all or nothing, then score and log
    every application in one transaction; the decisions come back in input order.

    The transaction share-locks the serving version, so no promotion can take it out of
    production before the batch is logged. Applications are scored in chunks as the
    insert consumes them: on PostgreSQL the database ingests one chunk (COPY) while the
    next is scored, so a 10,000-application batch costs about the longer of the two.

    Raises `InvalidApplication` with errors by index and field (nothing scored or logged; the
    refused applications are counted),
    `UnknownModel`, `NoProductionVersion`, `ServingVersionChanged`.
    """
    serving = serving_model(model_name=model_name)
    applications, errors = serving.validator.validate_batch(body)
    if applications is None:
        refused_applications_record(
            version=serving.version, client=client, request_id=request_id, errors=errors, batch=True
        )
        raise InvalidApplication("The batch is invalid; no application in it was scored.", errors)
    created_at = timezone.now()
    rows: list[DecisionRow] = []

    def scored() -> Iterator[DecisionRow]:
        for start in range(0, len(applications), SCORING_CHUNK):
            chunk = _decide(
                serving, applications[start : start + SCORING_CHUNK], client, request_id, received_at, created_at
            )
            rows.extend(chunk)
            yield from chunk

    with transaction.atomic():
        if not serving_version_hold(version=serving.version):
            raise ServingVersionChanged(
                f"The production version of {model_name!r} changed while this batch was being prepared; nothing "
                "was logged. Send it again."
            )
        decision_rows_insert(scored(), count=len(applications))
    _count_predictions(serving.version, rows)
    return rows


# --- Outcomes ------------------------------------------------------------------


def _outcome_problem(
    decision: DecisionLog, recorded: Outcome | None, defaulted: bool, observed_at: datetime
) -> tuple[type[InvalidOutcome] | type[OutcomeConflict] | None, str]:
    """Why this outcome cannot be recorded for `decision`, if it cannot."""
    if observed_at < decision.created_at:
        return InvalidOutcome, (
            f"observed_at {observed_at.isoformat()} is before the decision was made ({decision.created_at.isoformat()})"
        )
    if observed_at > timezone.now() + CLOCK_SKEW:
        return InvalidOutcome, f"observed_at {observed_at.isoformat()} is in the future"
    if recorded is not None and (recorded.defaulted != defaulted or recorded.observed_at != observed_at):
        return OutcomeConflict, (
            f"a different outcome is already recorded: defaulted={str(recorded.defaulted).lower()}, "
            f"observed_at {recorded.observed_at.isoformat()}"
        )
    return None, ""


def _lock_decisions(
    ids: Sequence[uuid.UUID], client: User
) -> tuple[dict[uuid.UUID, DecisionLog], dict[uuid.UUID, Outcome]]:
    """`client`'s decisions among `ids`, locked until the transaction ends, and their outcomes."""
    decisions = (
        DecisionLog.objects.select_for_update().filter(pk__in=ids, client=client).only("id", "created_at", "client_id")
    )
    found = {decision.pk: decision for decision in decisions}
    recorded = {outcome.decision_log_id: outcome for outcome in Outcome.objects.filter(decision_log_id__in=list(found))}
    return found, recorded


def outcome_record(
    *, decision_id: uuid.UUID, defaulted: bool, observed_at: datetime, recorded_by: User
) -> tuple[Outcome, bool]:
    """Record whether the applicant of one of `recorded_by`'s decisions defaulted.

    Returns (outcome, created). The same outcome again returns the recorded one with
    created False; a different one raises `OutcomeConflict`. Raises `DecisionNotFound` for a
    decision that does not exist or that another client asked for, `InvalidOutcome` for
    an `observed_at` before the decision or in the future.
    """
    with transaction.atomic():
        decisions, recorded = _lock_decisions([decision_id], recorded_by)
        decision = decisions.get(decision_id)
        if decision is None:
            raise DecisionNotFound(f"There is no prediction {decision_id} of yours.")
        existing = recorded.get(decision_id)
        problem, message = _outcome_problem(decision, existing, defaulted, observed_at)
        if problem is not None:
            raise problem(f"The outcome was not recorded: {message}.")
        if existing is not None:
            return existing, False
        outcome = Outcome(decision_log=decision, defaulted=defaulted, observed_at=observed_at, recorded_by=recorded_by)
        outcome.save(force_insert=True)
    return outcome, True


def outcome_bulk_record(*, outcomes: Sequence[dict[str, Any]], recorded_by: User) -> dict[str, int]:
    """Record many outcomes (`prediction_id`, `defaulted`, `observed_at` each), all or nothing.

    Outcomes already recorded identically are left as they are. Returns the counts
    `{"recorded": new, "unchanged": already recorded}`. Raises `InvalidOutcome` (unknown or
    repeated ids, bad dates) or `OutcomeConflict` with errors keyed by index.
    """
    ids = [item["prediction_id"] for item in outcomes]
    with transaction.atomic():
        decisions, recorded = _lock_decisions(ids, recorded_by)
        errors: dict[str, Any] = {}
        conflict = False
        seen: set[uuid.UUID] = set()
        new: list[Outcome] = []
        for index, item in enumerate(outcomes):
            decision_id = item["prediction_id"]
            decision = decisions.get(decision_id)
            if decision_id in seen:
                errors[str(index)] = {"prediction_id": "appears more than once in this request"}
                continue
            seen.add(decision_id)
            if decision is None:
                errors[str(index)] = {"prediction_id": f"there is no prediction {decision_id} of yours"}
                continue
            existing = recorded.get(decision_id)
            problem, message = _outcome_problem(decision, existing, item["defaulted"], item["observed_at"])
            if problem is not None:
                conflict = conflict or problem is OutcomeConflict
                errors[str(index)] = {"defaulted" if problem is OutcomeConflict else "observed_at": message}
            elif existing is None:
                new.append(
                    Outcome(
                        decision_log=decision,
                        defaulted=item["defaulted"],
                        observed_at=item["observed_at"],
                        recorded_by=recorded_by,
                    )
                )
        if errors:
            error = OutcomeConflict if conflict else InvalidOutcome
            raise error("No outcome in this request was recorded.", errors)
        Outcome.objects.bulk_create(new, batch_size=OUTCOME_INSERT_ROWS)
    return {"recorded": len(new), "unchanged": len(outcomes) - len(new)}


# --- Retention -------------------------------------------------------------------


def decision_log_retention_apply(*, now: datetime | None = None, actor: User | None = None) -> GovernanceEvent:
    """Remove applicant inputs (`inputs`, `features`) from decisions older than
    `DECISION_LOG_RETENTION_DAYS`, keeping decision, score, version and time; record the run.

    One set-based UPDATE, the only change the decision-log trigger allows. Every run is
    recorded, also one that finds nothing left to clear: the audit trail shows retention
    ran every day.
    """
    now = now or timezone.now()
    days = settings.DECISION_LOG_RETENTION_DAYS
    cutoff = now - timedelta(days=days)
    with transaction.atomic():
        cleared = DecisionLog.objects.filter(created_at__lt=cutoff, inputs_removed_at__isnull=True).update(
            inputs=None, features=None, inputs_removed_at=now
        )
        return GovernanceEvent.objects.create(
            kind=EventKind.RETENTION,
            actor=actor,
            summary=f"Removed applicant inputs from {cleared} decisions made before {cutoff:%Y-%m-%d %H:%M} UTC",
            details={"cutoff": cutoff.isoformat(), "retention_days": days, "decisions_cleared": cleared},
        )
