"""The retraining triggers of a production version, each with its evidence.

* `drift`: in one drift window of the last `DRIFT_LOOKBACK` (the daily beat's period), at
  least `drift_inputs_min` inputs in the act band with a significant chi-square test;
  evidence: the monitoring run, its window, the inputs and their open data-drift incidents.
* `performance_incident`: a performance incident on the version is open or acknowledged
  (opened, or raised again, by the realized-performance job).
* `model_age`: the version's training is `max_model_age_days` old or older.
* `new_outcomes`: `new_outcomes_min` outcomes are recorded for decisions made after the
  version's training data ended.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitoring import rules
from monitoring.models import ACTIVE_STATUSES, DriftBand, DriftResult, Incident, JobKind, MonitoringRun, RunStatus

from ..models import ModelVersion, RetrainingPolicy, RetrainingTrigger
from .sources import outcomes_since

DRIFT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class TriggerCheck:
    trigger: RetrainingTrigger
    fired: bool
    evidence: dict[str, Any]
    incident_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"fired": self.fired, "evidence": self.evidence}


def training_data_end(version: ModelVersion) -> datetime:
    """When the version's training data ended: its last labelled decision for a retrained
    version, otherwise its registration (a file has no decision times)."""
    ended = version.training_data.get("ended_at")
    return datetime.fromisoformat(ended) if ended else version.created_at


def drift_check(*, version: ModelVersion, policy: RetrainingPolicy, now: datetime) -> TriggerCheck:
    trigger = RetrainingTrigger.DRIFT
    if policy.drift_inputs_min == 0:
        return TriggerCheck(trigger, False, {"off": "drift_inputs_min is 0"})
    runs = MonitoringRun.objects.filter(
        model_version=version,
        kind=JobKind.DRIFT,
        status=RunStatus.COMPLETED,
        window_end__gt=now - DRIFT_LOOKBACK,
        window_end__lte=now,
    )
    acting = (
        DriftResult.objects.filter(run__in=runs, band=DriftBand.ACT, significant=True)
        .exclude(subject=rules.SCORE_SUBJECT)
        .values_list("run_id", "subject")
    )
    by_run: dict[int, list[str]] = {}
    for run_id, subject in acting:
        by_run.setdefault(run_id, []).append(subject)
    evidence: dict[str, Any] = {
        "required_inputs": policy.drift_inputs_min,
        "since": (now - DRIFT_LOOKBACK).isoformat(),
        "drift_runs": runs.count(),
    }
    if not by_run:
        return TriggerCheck(trigger, False, {**evidence, "max_inputs_acting": 0})
    # The window with the most acting inputs (the latest of equals) is the evidence.
    run_id = max(by_run, key=lambda pk: (len(by_run[pk]), pk))
    run = MonitoringRun.objects.get(pk=run_id)
    subjects = sorted(by_run[run_id])
    incidents = list(
        Incident.objects.filter(
            model_version=version, kind=rules.DATA_DRIFT, subject__in=subjects, status__in=ACTIVE_STATUSES
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    fired = len(subjects) >= policy.drift_inputs_min
    evidence.update(
        max_inputs_acting=len(subjects),
        monitoring_run_id=run.pk,
        window_start=run.window_start.isoformat(),
        window_end=run.window_end.isoformat(),
        inputs=subjects,
        incident_ids=incidents,
    )
    return TriggerCheck(trigger, fired, evidence, incidents if fired else [])


def performance_check(*, version: ModelVersion, policy: RetrainingPolicy) -> TriggerCheck:
    trigger = RetrainingTrigger.PERFORMANCE_INCIDENT
    if not policy.on_performance_incident:
        return TriggerCheck(trigger, False, {"off": "on_performance_incident is off"})
    incidents = list(
        Incident.objects.filter(model_version=version, kind=rules.PERFORMANCE, status__in=ACTIVE_STATUSES).order_by(
            "pk"
        )
    )
    evidence = {
        "incident_ids": [i.pk for i in incidents],
        "incidents": [
            {
                "id": i.pk,
                "subject": i.subject,
                "severity": i.severity,
                "status": i.status,
                "first_seen": i.first_seen.isoformat(),
                "last_seen": i.last_seen.isoformat(),
                "monitoring_run_id": i.last_run_id,
            }
            for i in incidents
        ],
    }
    return TriggerCheck(trigger, bool(incidents), evidence, [i.pk for i in incidents])


def age_check(*, version: ModelVersion, policy: RetrainingPolicy, now: datetime) -> TriggerCheck:
    trigger = RetrainingTrigger.MODEL_AGE
    if policy.max_model_age_days == 0:
        return TriggerCheck(trigger, False, {"off": "max_model_age_days is 0"})
    age = now - version.created_at
    evidence = {
        "trained_at": version.created_at.isoformat(),
        "age_days": round(age.total_seconds() / 86_400, 2),
        "max_model_age_days": policy.max_model_age_days,
    }
    return TriggerCheck(trigger, age >= timedelta(days=policy.max_model_age_days), evidence)


def new_outcomes_check(*, version: ModelVersion, policy: RetrainingPolicy) -> TriggerCheck:
    trigger = RetrainingTrigger.NEW_OUTCOMES
    if policy.new_outcomes_min == 0:
        return TriggerCheck(trigger, False, {"off": "new_outcomes_min is 0"})
    ended = training_data_end(version)
    count = outcomes_since(registered_model=version.registered_model, since=ended)
    evidence = {"training_data_ended": ended.isoformat(), "new_outcomes": count, "required": policy.new_outcomes_min}
    return TriggerCheck(trigger, count >= policy.new_outcomes_min, evidence)


def triggers_evaluate(*, version: ModelVersion, policy: RetrainingPolicy, now: datetime) -> list[TriggerCheck]:
    """Every trigger of the production version, fired or not, in a fixed order."""
    return [
        drift_check(version=version, policy=policy, now=now),
        performance_check(version=version, policy=policy),
        age_check(version=version, policy=policy, now=now),
        new_outcomes_check(version=version, policy=policy),
    ]
