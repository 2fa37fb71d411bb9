"""Retraining runs: started by a trigger or by hand, executed once, finished for good.

* `retraining_request` starts a manual run (command, API) after checking the model, its
  production version, the reason and any data file, so bad input registers nothing.
* `retraining_triggers_run` evaluates the triggers of every production version (the
  daily beat, `check_retraining`) and starts a run when one fires, or records it as
  skipped inside the cooldown.
* `retraining_run_execute` takes a pending run to running, assembles the data, searches
  the candidates, registers the best as a draft with its lineage and the champion
  comparison, and finishes the run `succeeded` or `failed` with a sentence. Nothing is
  submitted or promoted: the candidate goes through the four-eyes workflow like any draft.

Transitions lock the run's row; the partial unique constraint makes a second pending or
running run of a model impossible, whoever asks at the same moment.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from loanportal.roles import REQUEST_RETRAINING, Role

from ..errors import RetrainingConflict, RetrainingInvalid, RetrainingRefused
from ..ml.dataset import Dataset, DatasetError
from ..ml.search import SearchBudget
from ..ml.training import train
from ..models import (
    ACTIVE_RETRAINING_STATES,
    ModelVersion,
    RegisteredModel,
    RetrainingPolicy,
    RetrainingRun,
    RetrainingState,
    RetrainingTrigger,
    VersionState,
)
from ..selectors import model_version_scorer, production_version, registered_model_get
from .compare import champion_comparison
from .data import RetrainingDataError, assemble, read_labelled_file
from .sources import labelled_decisions, parent_training_file
from .triggers import TriggerCheck, triggers_evaluate

logger = logging.getLogger(__name__)

PIPELINE_USER = "training-pipeline"
SEED = 42
# Well past the execute task's hard time limit (15 minutes).
ABANDONED_AFTER = timedelta(hours=1)


def retraining_policy(*, registered_model: RegisteredModel) -> RetrainingPolicy:
    """The model's retraining policy, created with the defaults on first use."""
    policy, _ = RetrainingPolicy.objects.get_or_create(registered_model=registered_model)
    return policy


# --- Starting runs ---------------------------------------------------------------------


def production_version_of(model_name: str) -> ModelVersion:
    """The production version of the named model; `RetrainingInvalid` when there is none."""
    model = registered_model_get(name=model_name) if RegisteredModel.could_be_name(model_name) else None
    if model is None:
        raise RetrainingInvalid(f"There is no registered model named {model_name!r}.", {"model": "unknown model"})
    version = production_version(model_name=model.name)
    if version is None:
        raise RetrainingInvalid(
            f"{model.name} has no version in production: there is no champion to retrain.",
            {"model": "no production version"},
        )
    return version


def retraining_request(
    *,
    model_name: str,
    reason: str,
    trigger: RetrainingTrigger,
    requested_by: User | None = None,
    data_path: str = "",
    request_id: str = "",
    queue: bool = False,
) -> RetrainingRun:
    """Start a manual retraining: pending, and queued for a worker when `queue` (the
    command executes it in its own process instead). Raises
    `RetrainingInvalid` for an unknown model, no production version, an empty reason or an
    unusable data file, `RetrainingRefused` for a caller who is not a Data Scientist, and
    `RetrainingConflict` when a run of the model is already pending or running."""
    if requested_by is not None and not REQUEST_RETRAINING.allows(requested_by):
        raise RetrainingRefused(f"Only a {REQUEST_RETRAINING.holders} may start a retraining.")
    version = production_version_of(model_name)
    if not reason.strip():
        raise RetrainingInvalid("A retraining needs a reason saying why.", {"reason": "This field may not be blank."})
    if data_path:
        try:
            read_labelled_file(data_path)
        except DatasetError as exc:
            raise RetrainingInvalid(str(exc), {"data": str(exc)}) from exc
    run = _run_create(
        version=version,
        trigger=trigger,
        reason=reason.strip(),
        evidence={"requested_by": requested_by.get_username() if requested_by else PIPELINE_USER},
        requested_by=requested_by,
        request_id=request_id,
        data_file=data_path,
    )
    if queue:
        retraining_run_queue(run_id=run.pk)
    return run


def _run_create(
    *,
    version: ModelVersion,
    trigger: RetrainingTrigger,
    reason: str,
    evidence: dict[str, Any],
    state: RetrainingState = RetrainingState.PENDING,
    failure: str = "",
    incident_ids: list[int] | None = None,
    requested_by: User | None = None,
    request_id: str = "",
    data_file: str = "",
) -> RetrainingRun:
    now = timezone.now()
    run = RetrainingRun(
        registered_model=version.registered_model,
        parent_version=version,
        trigger=trigger,
        reason=reason,
        evidence=evidence,
        state=state,
        failure=failure,
        requested_by=requested_by,
        request_id=request_id,
        data_file=data_file,
        finished_at=now if state == RetrainingState.SKIPPED else None,
    )
    try:
        with transaction.atomic():
            run.save()
            if incident_ids:
                run.incidents.set(incident_ids)
    except IntegrityError as exc:
        active = RetrainingRun.objects.filter(
            registered_model=version.registered_model, state__in=ACTIVE_RETRAINING_STATES
        ).first()
        raise RetrainingConflict(
            f"Retraining run #{active.pk if active else '?'} of {version.registered_model} is already "
            f"{active.state if active else 'in progress'}; a model has one retraining at a time."
        ) from exc
    return run


def _send(run_id: int) -> None:
    from ..tasks import retraining_execute

    try:
        retraining_execute.delay(run_id)
    except BrokerError:
        # The run stays pending; the next daily trigger check queues pending runs again.
        logger.exception("Could not queue retraining run %s", run_id)


def retraining_run_queue(*, run_id: int) -> None:
    """Queue the run for a worker once the current transaction commits."""
    transaction.on_commit(partial(_send, run_id))


# --- Triggers --------------------------------------------------------------------------


def _cooldown_refusal(version: ModelVersion, policy: RetrainingPolicy, now: datetime) -> str:
    if policy.cooldown_days == 0:
        return ""
    last = (
        RetrainingRun.objects.filter(registered_model=version.registered_model)
        .exclude(state=RetrainingState.SKIPPED)
        .order_by("-created_at")
        .first()
    )
    if last is None or now - last.created_at >= timedelta(days=policy.cooldown_days):
        return ""
    until = last.created_at + timedelta(days=policy.cooldown_days)
    return (
        f"Inside the {policy.cooldown_days}-day cooldown after retraining run #{last.pk} "
        f"({last.created_at:%Y-%m-%d %H:%M} UTC); triggers start runs again from {until:%Y-%m-%d %H:%M} UTC."
    )


def retraining_check(*, version: ModelVersion, now: datetime | None = None, start: bool = True) -> dict[str, Any]:
    """Evaluate the production version's triggers; when one fires (and `start`), start a
    run, or record it as skipped inside the cooldown. Returns the report `check_retraining`
    prints: each trigger fired or not with its evidence, and the run it made."""
    now = now or timezone.now()
    policy = retraining_policy(registered_model=version.registered_model)
    checks = triggers_evaluate(version=version, policy=policy, now=now)
    fired = [c for c in checks if c.fired]
    report: dict[str, Any] = {
        "model": version.registered_model.name,
        "version": version.version,
        "version_id": version.pk,
        "checked_at": now.isoformat(),
        "enabled": policy.enabled,
        "triggers": {str(c.trigger): c.as_json() for c in checks},
        "fired": [str(c.trigger) for c in fired],
        "run": None,
    }
    if not (fired and policy.enabled and start):
        return report
    run = _triggered_run(version, policy, fired, now)
    report["run"] = {"id": run.pk, "state": run.state, "trigger": run.trigger, "failure": run.failure}
    return report


def _triggered_run(
    version: ModelVersion, policy: RetrainingPolicy, fired: list[TriggerCheck], now: datetime
) -> RetrainingRun:
    first = fired[0]
    reason = "Triggered by " + "; ".join(f"{c.trigger.label.lower()}" for c in fired)
    evidence = {str(c.trigger): c.evidence for c in fired}
    incident_ids = sorted({i for c in fired for i in c.incident_ids})
    refusal = _cooldown_refusal(version, policy, now)
    if refusal:
        return _run_create(
            version=version,
            trigger=first.trigger,
            reason=reason,
            evidence=evidence,
            state=RetrainingState.SKIPPED,
            failure=refusal,
            incident_ids=incident_ids,
        )
    try:
        with transaction.atomic():
            run = _run_create(
                version=version, trigger=first.trigger, reason=reason, evidence=evidence, incident_ids=incident_ids
            )
            retraining_run_queue(run_id=run.pk)
    except RetrainingConflict as conflict:
        return _run_create(
            version=version,
            trigger=first.trigger,
            reason=reason,
            evidence=evidence,
            state=RetrainingState.SKIPPED,
            failure=conflict.message,
            incident_ids=incident_ids,
        )
    return run


def _abandoned_runs_fail(now: datetime) -> None:
    """A run still `running` long after the task's hard time limit lost its worker: fail
    it, or it would hold the model's one active run for good."""
    for run_id in RetrainingRun.objects.filter(
        state=RetrainingState.RUNNING, started_at__lt=now - ABANDONED_AFTER
    ).values_list("pk", flat=True):
        with transaction.atomic():
            run = RetrainingRun.objects.select_for_update().get(pk=run_id)
            if run.state == RetrainingState.RUNNING:
                _finish(
                    run, RetrainingState.FAILED, failure=f"Its worker stopped: still running after {ABANDONED_AFTER}."
                )


def retraining_triggers_run(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """The daily check: runs whose worker was lost failed, the triggers of every
    production version, and pending runs left by a lost message queued again."""
    now = now or timezone.now()
    _abandoned_runs_fail(now)
    versions = ModelVersion.objects.filter(state=VersionState.PRODUCTION).select_related("registered_model")
    reports = [retraining_check(version=version, now=now) for version in versions.order_by("registered_model__name")]
    started = {r["run"]["id"] for r in reports if r["run"]}
    for run_id in RetrainingRun.objects.filter(state=RetrainingState.PENDING).values_list("pk", flat=True):
        if run_id not in started:
            retraining_run_queue(run_id=run_id)
    return reports


# --- Executing a run -------------------------------------------------------------------


def _claim(run_id: int) -> RetrainingRun | None:
    with transaction.atomic():
        run = (
            RetrainingRun.objects.select_for_update(of=("self",))
            .select_related("registered_model", "parent_version__registered_model", "requested_by")
            .get(pk=run_id)
        )
        if run.state != RetrainingState.PENDING:
            return None
        run.state = RetrainingState.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["state", "started_at"])
    return run


def _finish(run: RetrainingRun, state: RetrainingState, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.state = state
    run.finished_at = timezone.now()
    run.save()


def _pipeline_user() -> User:
    from ..services import portal_user_provision

    return portal_user_provision(username=PIPELINE_USER, role=Role.DATA_SCIENTIST)


def retraining_run_execute(*, run_id: int) -> RetrainingRun:
    """Execute a pending run (a run in any other state is left as it is, so a task
    delivered twice does nothing the second time)."""
    run = _claim(run_id)
    if run is None:
        return RetrainingRun.objects.get(pk=run_id)
    try:
        _train_and_register(run)
    except (RetrainingDataError, DatasetError, ValueError) as exc:
        with transaction.atomic():
            _finish(run, RetrainingState.FAILED, failure=str(exc))
    except Exception as exc:
        logger.exception("Retraining run %s failed", run.pk)
        with transaction.atomic():
            _finish(
                run, RetrainingState.FAILED, failure=f"The retraining stopped on an error: {type(exc).__name__}: {exc}"
            )
    return run


def _train_and_register(run: RetrainingRun) -> None:
    from ..services import model_version_register

    parent = run.parent_version
    model = run.registered_model
    policy = retraining_policy(registered_model=model)
    file: Dataset | None
    if run.data_file:
        file, note = read_labelled_file(run.data_file), f"Included: {run.data_file}, given to this run."
    else:
        file, note = parent_training_file(version=parent)
    fields = [f["name"] for f in parent.feature_schema["fields"]]
    decisions = labelled_decisions(registered_model=model, fields=fields)
    table = assemble(
        decisions=decisions,
        parent_fields=fields,
        file=file,
        file_note=note,
        out_of_time_share=policy.out_of_time_share,
        min_labelled_rows=policy.min_labelled_rows,
        seed=SEED,
    )
    oot = table.out_of_time_rows
    oot_frame = table.dataset.frame.iloc[oot]
    champion = model_version_scorer(version=parent)  # read here: the database stays in this thread
    with ThreadPoolExecutor(max_workers=1) as beside:
        # The champion's scores need no candidate: they are computed beside the training, on
        # the core its single-threaded parts (the winner's final fit, the findings) leave idle.
        champion_scores = beside.submit(champion.score_frame, oot_frame) if len(oot) else None
        result = train(
            table.dataset,
            seed=SEED,
            search=SearchBudget(trials=policy.search_trials, seconds=policy.search_seconds, rows=policy.search_rows),
            holdout=table.holdout,
            protected_attributes=list(model.protected_attributes),
            threshold_policy=model.threshold_policy,
            fixed_threshold=model.fixed_threshold,
            min_auc=model.min_auc,
            fairness_min_group_size=model.fairness_min_group_size,
        )
    last_decided = table.summary["sources"]["decisions"]["last_decided_at"]
    training_data = {
        **result.training_data,
        "file": f"retraining run #{run.pk}",
        "path": None,
        "holdout": "out_of_time",
        "ended_at": last_decided or timezone.now().isoformat(),
        "retraining": table.summary,
    }
    result = replace(result, training_data=training_data)
    comparison: dict[str, Any] = {"out_of_time_rows": int(len(oot))}
    if champion_scores is not None:
        # The out-of-time rows are holdout rows, which training scored through the candidate's
        # artifact already; only the champion scores them here.
        holdout_rows = result.search.split.holdout_rows
        position = np.empty(len(table.holdout), dtype=np.int64)
        position[holdout_rows] = np.arange(len(holdout_rows))
        candidate_scores = result.holdout_probability[position[oot]]
        comparison.update(
            champion_comparison(
                y_true=oot_frame["Status"].to_numpy(),
                champion=champion_scores.result(),
                candidate=candidate_scores,
            )
        )
        comparison.update(champion=str(parent), champion_id=parent.pk)
    leaderboard = [{**row, "out_of_time_roc_auc": row["holdout_roc_auc"]} for row in result.experiment["leaderboard"]]
    with transaction.atomic():
        candidate = model_version_register(
            registered_model=model,
            result=result,
            author=run.requested_by or _pipeline_user(),
            parent_version=parent,
            comment=f"Retraining run #{run.pk} of {parent}: {run.reason}"[:300],
        )
        _finish(
            run,
            RetrainingState.SUCCEEDED,
            candidate=candidate,
            data_summary=table.summary,
            leaderboard=leaderboard,
            comparison=comparison,
        )
        transaction.on_commit(partial(retraining_notify, run_id=run.pk))


def retraining_notify(*, run_id: int) -> None:
    """Tell the Data Scientists (the incident channels, and each Data Scientist's email)
    that a candidate waits for them; raises nothing."""
    from monitoring.notifications import channels_send

    run = RetrainingRun.objects.select_related("candidate", "parent_version").get(pk=run_id)
    comparison = run.comparison
    lines = [
        f"Retraining run #{run.pk} of {run.parent_version} ({run.get_trigger_display()}): {run.reason}",
        f"Candidate {run.candidate} registered as a draft; nothing was submitted or promoted.",
    ]
    if "candidate_roc_auc" in comparison:
        lines.append(
            f"Out-of-time holdout ({comparison['rows']} decisions): champion ROC-AUC "
            f"{comparison['champion_roc_auc']:.4f}, candidate {comparison['candidate_roc_auc']:.4f} "
            f"(difference {comparison['difference']:+.4f}, DeLong p = {comparison['p_value']:.3g})"
        )
    if settings.MONITORING_PORTAL_URL and run.candidate_id:
        portal = settings.MONITORING_PORTAL_URL.rstrip("/")
        lines.append(f"Model card: {portal}{reverse('admin:governance_modelversion_change', args=[run.candidate_id])}")
        lines.append(f"Run: {portal}{reverse('admin:governance_retrainingrun_change', args=[run.pk])}")
    scientists = (
        get_user_model()
        .objects.filter(groups__name=Role.DATA_SCIENTIST, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    channels_send(
        subject=f"Retraining candidate {run.candidate} ready for review",
        body="\n".join(lines),
        about=f"retraining run #{run.pk}",
        extra_emails=list(scientists),
    )
