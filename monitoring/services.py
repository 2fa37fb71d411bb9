"""Writes for monitoring: job runs, incidents, retention.

A job run goes through two steps so that one window always has one result:

1. `monitoring_runs_request` creates the run row (pending) for each version to monitor;
   the unique (job, version, window) constraint makes a second request return the same
   row, even when two schedulers fire at once.
2. `monitoring_run_execute` claims the run under a row lock (pending or failed runs, or
   a running one whose worker died: same task id redelivered, or older than
   `RUN_STALE_AFTER`), computes outside any transaction, then stores the result rows,
   the finished status and the incidents in one transaction. A finished run is never
   computed again, so executing twice is a no-op.

Incidents: see `monitoring.rules` for when and how severe; `incident_raise` keeps one
active incident per version, kind and subject. People acknowledge and resolve them with
`incident_acknowledge` / `incident_resolve`.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from governance.ml.fairness import group_fairness
from governance.models import EventKind, GovernanceEvent, ModelVersion, RegisteredModel
from governance.roles import Role, user_roles
from loanportal.exceptions import ServiceError
from predictions.models import DecisionLog

from . import rules
from .models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    DriftResult,
    FairnessResult,
    Incident,
    IncidentStatus,
    JobKind,
    MonitoringPolicy,
    MonitoringRun,
    PerformanceCohort,
    RunStatus,
    Trigger,
)
from .notifications import ESCALATED, OPENED, incident_notify
from .performance import cohort_performance
from .psi import WindowHistogram, assess
from .selectors import (
    decision_outcomes,
    decision_protected_attributes,
    decision_vectors,
    runs_unfinished,
    versions_to_monitor,
)
from .windows import hour_window

logger = logging.getLogger(__name__)

# Longer than any monitoring task's hard time limit (`monitoring.tasks`): a run still
# "running" after this lost its worker, and the next attempt may take it over.
RUN_STALE_AFTER = timedelta(minutes=20)
# How far back each scheduled dispatch looks for runs that were queued but never finished.
UNFINISHED_LOOKBACK = timedelta(days=1)

# Who may look at monitoring results and incidents, and who may act on them. Compliance
# reads; API clients (machines scoring applications) see nothing of monitoring.
WORK_ROLES = (Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER)
READ_ROLES = (*WORK_ROLES, Role.COMPLIANCE_OFFICER)


class IncidentError(ServiceError):
    """An incident action that did not happen; `message` is meant for a person."""


class IncidentRefused(IncidentError):
    status_code = 403


class IncidentConflict(IncidentError):
    status_code = 409


# --- Policy ----------------------------------------------------------------------------


def monitoring_policy_get_or_create(*, registered_model: RegisteredModel) -> MonitoringPolicy:
    """The model's monitoring policy, created with the documented defaults on first use."""
    policy, _ = MonitoringPolicy.objects.get_or_create(registered_model=registered_model)
    return policy


# --- Runs ------------------------------------------------------------------------------


def monitoring_runs_request(
    *,
    kind: JobKind,
    registered_model: RegisteredModel,
    window_start: datetime,
    window_end: datetime,
    trigger: Trigger,
    requested_by: AbstractBaseUser | None = None,
) -> list[MonitoringRun]:
    """The run of `kind` over the window for each version to monitor, created if needed.

    Versions: the production version and every version that decided applications in the
    window. An existing run is returned as it is (finished, pending, running or failed).
    """
    runs = []
    for version in versions_to_monitor(
        registered_model=registered_model, window_start=window_start, window_end=window_end
    ):
        run, _ = MonitoringRun.objects.get_or_create(
            kind=kind,
            model_version=version,
            window_start=window_start,
            window_end=window_end,
            defaults={"trigger": trigger, "requested_by": requested_by},
        )
        runs.append(run)
    return runs


def monitoring_runs_schedule(*, kind: JobKind, window_hours: int, now: datetime | None = None) -> list[int]:
    """What a scheduled trigger does: request the window's runs for every registered model
    and return the ids to execute, with recent runs that never finished."""
    now = now or timezone.now()
    window_start, window_end = hour_window(hours=window_hours, now=now)
    run_ids = set(runs_unfinished(kind=kind, since=now - UNFINISHED_LOOKBACK).values_list("pk", flat=True))
    for registered_model in RegisteredModel.objects.all():
        for run in monitoring_runs_request(
            kind=kind,
            registered_model=registered_model,
            window_start=window_start,
            window_end=window_end,
            trigger=Trigger.SCHEDULE,
        ):
            if run.status not in FINISHED_STATUSES:
                run_ids.add(run.pk)
    return sorted(run_ids)


@dataclass
class _Computed:
    status: RunStatus
    rows: int
    summary: dict[str, Any]
    results: list[models.Model] = field(default_factory=list)
    breaches: list[rules.Breach] = field(default_factory=list)


def _claim(run_id: int, claimed_by: str) -> MonitoringRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = (
            MonitoringRun.objects.select_for_update(of=("self",))
            .select_related("model_version__registered_model")
            .get(pk=run_id)
        )
        if run.status in FINISHED_STATUSES:
            return None
        if run.status == RunStatus.RUNNING and run.claimed_by != claimed_by and run.started_at > now - RUN_STALE_AFTER:
            return None  # another worker is on it
        run.status = RunStatus.RUNNING
        run.claimed_by = claimed_by
        run.started_at = now
        run.attempts += 1
        run.error = ""
        run.save(update_fields=["status", "claimed_by", "started_at", "attempts", "error"])
    return run


def _still_ours(run: MonitoringRun, claimed_by: str) -> bool:
    locked = MonitoringRun.objects.select_for_update().get(pk=run.pk)
    return locked.status == RunStatus.RUNNING and locked.claimed_by == claimed_by


def _fail(run: MonitoringRun, claimed_by: str, exc: BaseException) -> None:
    try:
        with transaction.atomic():
            if not _still_ours(run, claimed_by):
                return
            run.status = RunStatus.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
    except DatabaseError:
        logger.exception("Could not mark monitoring run %s as failed", run.pk)


def monitoring_run_execute(*, run_id: int, claimed_by: str) -> MonitoringRun:
    """Compute a run once (see the module docstring); return it, finished or not.

    An error marks the run failed and propagates: the caller retries transient errors and
    records a job failure when it gives up.
    """
    run = _claim(run_id, claimed_by)
    if run is None:
        return MonitoringRun.objects.select_related("model_version__registered_model").get(pk=run_id)
    try:
        policy = monitoring_policy_get_or_create(registered_model=run.model_version.registered_model)
        computed = _COMPUTE[run.kind](run, policy)
        with transaction.atomic():
            if not _still_ours(run, claimed_by):
                return MonitoringRun.objects.get(pk=run_id)
            for result in computed.results:
                result.run = run
            for model in {type(r) for r in computed.results}:
                model.objects.bulk_create([r for r in computed.results if type(r) is model])
            run.status = computed.status
            run.rows = computed.rows
            run.summary = computed.summary
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "rows", "summary", "finished_at"])
            for breach in computed.breaches:
                incident_raise(breach=breach, version=run.model_version, run=run)
    except BaseException as exc:
        _fail(run, claimed_by, exc)
        raise
    return run


def _policy_snapshot(policy: MonitoringPolicy, *names: str) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in names}


def _drift(run: MonitoringRun, policy: MonitoringPolicy) -> _Computed:
    version = run.model_version
    names = [f["name"] for f in version.feature_schema["fields"]]
    features = version.baseline["features"]
    histogram = WindowHistogram([features[n] for n in names], version.baseline["score"])
    decision_vectors(version=version, window_start=run.window_start, window_end=run.window_end, consume=histogram.add)
    thresholds = _policy_snapshot(policy, "psi_watch", "psi_act", "chi_square_alpha", "min_window_size")
    if histogram.rows < policy.min_window_size:
        return _Computed(RunStatus.INSUFFICIENT_DATA, histogram.rows, {"policy": thresholds})

    computed = _Computed(RunStatus.COMPLETED, histogram.rows, {})
    subjects = [
        *zip(names, (features[n] for n in names), histogram.field_counts, strict=True),
        (rules.SCORE_SUBJECT, version.baseline["score"], histogram.score_counts),
    ]
    for subject, spec, counts in subjects:
        assessment = assess(
            np.asarray(spec["counts"]),
            counts,
            watch=policy.psi_watch,
            act=policy.psi_act,
            alpha=policy.chi_square_alpha,
        )
        computed.results.append(
            DriftResult(
                subject=subject,
                psi=assessment.psi,
                band=assessment.band,
                chi_square=assessment.chi_square,
                p_value=assessment.p_value,
                significant=assessment.significant,
                bins=spec["bins"],
                baseline_counts=[int(c) for c in spec["counts"]],
                current_counts=[int(c) for c in counts],
                baseline_shares=assessment.baseline_shares,
                current_shares=assessment.current_shares,
            )
        )
        breach = rules.drift_breach(
            subject=subject, psi=assessment.psi, alerting=assessment.alerting, act=policy.psi_act
        )
        if breach is not None:
            computed.breaches.append(breach)

    inputs = [r for r in computed.results if r.subject != rules.SCORE_SUBJECT]
    score = computed.results[-1]
    worst = max(inputs, key=lambda r: r.psi)
    computed.summary = {
        "score_psi": score.psi,
        "score_band": score.band,
        "max_feature_psi": worst.psi,
        "max_feature": worst.subject,
        "bands": {band: [r.subject for r in inputs if r.band == band] for band in ("watch", "act")},
        "incidents": [b.subject for b in computed.breaches],
        "policy": thresholds,
    }
    return computed


def _fairness(run: MonitoringRun, policy: MonitoringPolicy) -> _Computed:
    version = run.model_version
    attributes = list(version.registered_model.protected_attributes)
    min_size = version.registered_model.fairness_min_group_size
    data = decision_protected_attributes(
        version=version, window_start=run.window_start, window_end=run.window_end, attributes=attributes
    )
    has_outcome = ~np.isnan(data.defaulted)
    computed = _Computed(
        RunStatus.COMPLETED,
        len(data.approved),
        {
            "inputs_removed": data.inputs_removed,
            "with_outcomes": int(has_outcome.sum()),
            "min_group_size": min_size,
            "policy": _policy_snapshot(policy, "adverse_impact_floor", "equalized_odds_gap_bound"),
        },
    )
    comparable = False
    for attribute in attributes:
        groups = data.groups[attribute]
        result = group_fairness(groups, data.approved, min_group_size=min_size)
        result["equal_opportunity_gap"] = result["equalized_odds_gap"] = None
        if has_outcome.any():
            # Error rates and AUC only on decisions whose outcome is known; a group needs
            # the minimum number of outcomes to be judged on them.
            known = group_fairness(
                groups[has_outcome],
                data.approved[has_outcome],
                min_group_size=min_size,
                defaulted=data.defaulted[has_outcome].astype(bool),
                probability=data.probability[has_outcome],
            )
            for label, row in known["groups"].items():
                result["groups"][label].update(
                    {
                        k: row[k]
                        for k in ("n_with_outcome", "default_rate", "true_positive_rate", "false_positive_rate", "auc")
                    },
                    judged_on_outcomes=row["sufficient"],
                )
            result["equal_opportunity_gap"] = known["equal_opportunity_gap"]
            result["equalized_odds_gap"] = known["equalized_odds_gap"]
        judged = {g: row for g, row in result["groups"].items() if row["sufficient"]}
        comparable = comparable or len(judged) >= 2
        ratios = {
            g: row["adverse_impact_ratio"] for g, row in judged.items() if row["adverse_impact_ratio"] is not None
        }
        computed.results.append(
            FairnessResult(
                attribute=attribute,
                reference_group=result["reference_group"] or "",
                min_adverse_impact_ratio=result["min_adverse_impact_ratio"],
                demographic_parity_difference=result["demographic_parity_difference"],
                equal_opportunity_gap=result["equal_opportunity_gap"],
                equalized_odds_gap=result["equalized_odds_gap"],
                passes_four_fifths=result["passes_four_fifths"],
                groups=result["groups"],
            )
        )
        computed.breaches += rules.fairness_breaches(
            attribute=attribute,
            min_adverse_impact_ratio=result["min_adverse_impact_ratio"],
            worst_group=min(ratios, key=ratios.__getitem__) if ratios else None,
            floor=policy.adverse_impact_floor,
            equalized_odds_gap=result["equalized_odds_gap"],
            equalized_odds_bound=policy.equalized_odds_gap_bound,
        )
    if not comparable:
        # No attribute has two groups large enough to compare: nothing can be judged.
        computed.status = RunStatus.INSUFFICIENT_DATA
        computed.breaches = []
    return computed


def _resolved_cohorts(version: ModelVersion, subject: str) -> dict[str, float]:
    """Cohort -> value that the latest resolved incident on this metric already covered."""
    resolved = (
        Incident.objects.filter(
            dedup_key=Incident.key(version.pk, rules.PERFORMANCE, subject), status=IncidentStatus.RESOLVED
        )
        .order_by("-resolved_at")
        .first()
    )
    return resolved.metric_snapshot.get("cohorts", {}) if resolved else {}


def _performance_breach(
    version: ModelVersion, subject: str, candidates: list[tuple[dict[str, Any], rules.Breach]]
) -> rules.Breach | None:
    """One breach per metric and run: the worst cohort, with every breaching cohort listed.

    Cohorts stay in the window for months while their outcomes mature. A cohort that a
    resolved incident already covered raises again only if its value got worse since,
    so resolving an incident does not bring it back the next morning.
    """
    covered = _resolved_cohorts(version, subject)
    fresh = [
        (cohort, breach)
        for cohort, breach in candidates
        if cohort["cohort_start"] not in covered
        or rules.worse(breach.value, covered[cohort["cohort_start"]], higher_is_worse=breach.higher_is_worse)
    ]
    if not fresh:
        return None
    _, worst = max(fresh, key=lambda cb: cb[1].value if cb[1].higher_is_worse else -cb[1].value)
    return rules.Breach(
        kind=worst.kind,
        subject=worst.subject,
        severity=min((b.severity for _, b in fresh), key=rules.SEVERITIES.index),
        value=worst.value,
        higher_is_worse=worst.higher_is_worse,
        summary=worst.summary,
        snapshot={"cohorts": {c["cohort_start"]: b.value for c, b in candidates}},
    )


def _performance(run: MonitoringRun, policy: MonitoringPolicy) -> _Computed:
    version = run.model_version
    chunks = list(decision_outcomes(version=version, window_start=run.window_start, window_end=run.window_end))
    validation_auc = version.metrics["roc_auc"]
    floor = version.registered_model.min_auc
    computed = _Computed(
        RunStatus.COMPLETED,
        0,
        {
            "validation_auc": validation_auc,
            "auc_floor": floor,
            "policy": _policy_snapshot(
                policy, "auc_drop_tolerance", "calibration_error_bound", "cohort_period", "min_cohort_outcomes"
            ),
        },
    )
    if not chunks:
        computed.status = RunStatus.INSUFFICIENT_DATA
        return computed
    data = np.concatenate(chunks)
    computed.rows = len(data)
    cohorts = cohort_performance(
        data["decided_at"],
        data["defaulted"],
        data["probability"],
        period=policy.cohort_period,
        threshold=version.threshold,
        min_outcomes=policy.min_cohort_outcomes,
    )
    auc_candidates, calibration_candidates = [], []
    for cohort in cohorts:
        computed.results.append(PerformanceCohort(period=policy.cohort_period, **cohort))
        if not cohort["judged"]:
            continue
        label = f"{policy.cohort_period} of {cohort['cohort_start']}"
        auc = rules.auc_breach(
            cohort=label,
            auc=cohort["roc_auc"],
            validation_auc=validation_auc,
            tolerance=policy.auc_drop_tolerance,
            floor=floor,
        )
        calibration = rules.calibration_breach(
            cohort=label,
            error=cohort["calibration_error"],
            default_rate=cohort["default_rate"],
            mean_probability=cohort["mean_probability"],
            bound=policy.calibration_error_bound,
        )
        auc_candidates += [(cohort, auc)] if auc else []
        calibration_candidates += [(cohort, calibration)] if calibration else []
    if not any(c["judged"] for c in cohorts):
        computed.status = RunStatus.INSUFFICIENT_DATA
    for subject, candidates in (("roc_auc", auc_candidates), ("calibration_error", calibration_candidates)):
        breach = _performance_breach(version, subject, candidates) if candidates else None
        if breach is not None:
            computed.breaches.append(breach)
    computed.summary["cohorts_judged"] = sum(c["judged"] for c in cohorts)
    computed.summary["incidents"] = [b.subject for b in computed.breaches]
    return computed


_COMPUTE = {JobKind.DRIFT: _drift, JobKind.FAIRNESS: _fairness, JobKind.PERFORMANCE: _performance}


# --- Incidents ---------------------------------------------------------------------------


def incident_raise(*, breach: rules.Breach, version: ModelVersion | None, run: MonitoringRun | None = None) -> Incident:
    """Open an incident for the breach, or update the active one on the same subject
    (occurrences, last seen, worst value, latest snapshot; severity only ever rises).
    Notifies when it opens and when its severity rises."""
    now = timezone.now()
    key = Incident.key(version.pk if version else None, breach.kind, breach.subject)
    snapshot: dict[str, Any] = {"value": breach.value, "severity": breach.severity, **breach.snapshot}
    if run is not None:
        snapshot.update(
            run_id=run.pk,
            job=run.kind,
            window_start=run.window_start.isoformat(),
            window_end=run.window_end.isoformat(),
            rows=run.rows,
        )
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",)).filter(dedup_key=key, status__in=ACTIVE_STATUSES).first()
        )
        if incident is None:
            incident = Incident(
                kind=breach.kind,
                subject=breach.subject,
                severity=breach.severity,
                model_version=version,
                dedup_key=key,
                summary=breach.summary[:300],
                metric_snapshot=snapshot,
                worst_value=breach.value,
                first_seen=now,
                last_seen=now,
                last_run=run,
            )
            incident._change_reason = f"Opened: {breach.summary}"[:100]
            try:
                with transaction.atomic():
                    incident.save()
            except IntegrityError:
                # Another job opened it a moment ago: update that one instead.
                incident = Incident.objects.select_for_update(of=("self",)).get(
                    dedup_key=key, status__in=ACTIVE_STATUSES
                )
            else:
                opened = incident
                transaction.on_commit(lambda: incident_notify(incident=opened, event=OPENED))
                return incident

        previous = incident.severity
        escalated = rules.more_severe(breach.severity, previous)
        incident.occurrences += 1
        incident.last_seen = now
        incident.last_run = run
        incident.summary = breach.summary[:300]
        incident.metric_snapshot = snapshot
        if rules.worse(breach.value, incident.worst_value, higher_is_worse=breach.higher_is_worse):
            incident.worst_value = breach.value
        if escalated:
            incident.severity = breach.severity
            incident._change_reason = f"Escalated {previous} -> {breach.severity}: {breach.summary}"[:100]
        else:
            incident._change_reason = f"Seen again ({incident.occurrences}x): {breach.summary}"[:100]
        incident.save()
        if escalated:
            updated = incident
            transaction.on_commit(
                lambda: incident_notify(incident=updated, event=ESCALATED, previous_severity=previous)
            )
    return incident


def incident_record_job_failure(
    *, job: str, error: str, version_id: int | None = None, run_id: int | None = None
) -> Incident:
    """A monitoring job gave up: open (or update) a job-failure incident about it."""
    run = MonitoringRun.objects.select_related("model_version").filter(pk=run_id).first() if run_id else None
    version = run.model_version if run else ModelVersion.objects.filter(pk=version_id).first()
    return incident_raise(breach=rules.job_failure_breach(job=job, error=error[:200]), version=version, run=run)


def _check_worker(actor: AbstractBaseUser, action: str) -> None:
    if not user_roles(actor) & set(WORK_ROLES):
        raise IncidentRefused(f"Only a {', '.join(WORK_ROLES)} may {action} an incident; {actor} is not one.")


def incident_acknowledge(*, incident_id: int, actor: AbstractBaseUser, note: str = "") -> Incident:
    """open -> acknowledged: `actor` owns the incident from now on."""
    _check_worker(actor, "acknowledge")
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
        if incident.status != IncidentStatus.OPEN:
            raise IncidentConflict(
                f"Incident #{incident.pk} is {incident.status}; only an open incident can be acknowledged."
            )
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.owner = actor
        incident.acknowledged_at = timezone.now()
        incident._change_reason = f"Acknowledged: {note.strip()}"[:100] if note.strip() else "Acknowledged"
        incident._history_user = actor
        incident.save()
    return incident


def incident_resolve(*, incident_id: int, actor: AbstractBaseUser, note: str) -> Incident:
    """open or acknowledged -> resolved, with a resolution note saying what was done."""
    _check_worker(actor, "resolve")
    note = note.strip()
    if not note:
        raise IncidentError("A resolution note is required: say what was found and what was done.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
        if incident.status not in ACTIVE_STATUSES:
            raise IncidentConflict(f"Incident #{incident.pk} is already {incident.status}.")
        incident.status = IncidentStatus.RESOLVED
        incident.owner = incident.owner or actor
        incident.resolved_by = actor
        incident.resolved_at = timezone.now()
        incident.resolution_note = note
        incident._change_reason = f"Resolved: {note}"[:100]
        incident._history_user = actor
        incident.save()
    return incident


# --- Retention ---------------------------------------------------------------------------


def decision_log_retention_apply(
    *, now: datetime | None = None, actor: AbstractBaseUser | None = None
) -> GovernanceEvent:
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
