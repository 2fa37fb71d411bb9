"""Job runs: requesting the runs of a window, queueing, claiming, executing and failing them.

A job run goes through two steps so that one window always has one result:

1. `monitoring_runs_request` creates the run row (pending) for each version to monitor;
   the unique (job, version, window) constraint makes a second request return the same
   row, even when two schedulers fire at once. `monitoring_window_request` is what the
   API, the commands and the schedule call: it finds the model, names the window,
   requests its runs and queues the unfinished ones once the transaction commits.
2. `monitoring_run_execute` claims the run under a row lock (pending or failed runs, or
   a running one whose worker died: same task id redelivered, or older than
   `RUN_STALE_AFTER`), computes outside any transaction (`monitoring.jobs`), then stores
   the result rows, the finished status and the incidents in one transaction. A finished
   run is never computed again, so executing twice is a no-op.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.models import User
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from governance.models import RegisteredModel
from governance.selectors import registered_model_get, registered_model_list

from .errors import UnknownModel
from .incidents import incident_raise
from .jobs import JOBS
from .models import FINISHED_STATUSES, JobKind, MonitoringPolicy, MonitoringRun, RunStatus, Trigger
from .selectors import runs_unfinished, versions_to_monitor
from .tasks import run_execute
from .windows import Window, hour_window

logger = logging.getLogger(__name__)

# Longer than any monitoring task's hard time limit (`monitoring.tasks`): a run still
# "running" after this lost its worker, and the next attempt may take it over.
RUN_STALE_AFTER = timedelta(minutes=20)
# How far back each scheduled dispatch looks for runs that were queued but never finished.
UNFINISHED_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class WindowRuns:
    """The runs of one job over one window of one registered model."""

    registered_model: RegisteredModel
    window: Window
    runs: list[MonitoringRun]

    @property
    def unfinished(self) -> list[int]:
        """Ids of the runs still to compute (pending, running or failed)."""
        return [run.pk for run in self.runs if run.status not in FINISHED_STATUSES]


def monitoring_policy_get_or_create(*, registered_model: RegisteredModel) -> MonitoringPolicy:
    """The model's monitoring policy, created with the documented defaults on first use."""
    policy, _ = MonitoringPolicy.objects.get_or_create(registered_model=registered_model)
    return policy


def monitoring_runs_request(
    *,
    kind: JobKind,
    registered_model: RegisteredModel,
    window: Window,
    trigger: Trigger,
    requested_by: User | None = None,
    request_id: str = "",
) -> list[MonitoringRun]:
    """The run of `kind` over the window for each version to monitor, created if needed.

    Versions: the production version and every version that decided applications in the
    window. An existing run is returned as it is (finished, pending, running or failed).
    """
    runs = []
    for version in versions_to_monitor(registered_model=registered_model, window=window):
        run, _ = MonitoringRun.objects.get_or_create(
            kind=kind,
            model_version=version,
            window_start=window.start,
            window_end=window.end,
            defaults={"trigger": trigger, "requested_by": requested_by, "request_id": request_id},
        )
        runs.append(run)
    return runs


def monitoring_window_request(
    *,
    kind: JobKind,
    model_name: str,
    hours: int,
    end: datetime | None = None,
    trigger: Trigger,
    requested_by: User | None = None,
    request_id: str = "",
    queue: bool = True,
    now: datetime | None = None,
) -> WindowRuns:
    """Request the runs of `kind` over the `hours` whole hours ending at `end` (default:
    the start of the current hour) for the registered model `model_name`, and queue the
    unfinished ones for a worker once the transaction commits (`queue=False`: the caller
    executes them itself, as the commands do).

    Raises `UnknownModel` and `WindowError` (`monitoring.errors`).
    """
    registered_model = registered_model_get(name=model_name)
    if registered_model is None:
        raise UnknownModel(f"No registered model named {model_name!r}.")
    window = hour_window(hours=hours, now=now or timezone.now(), end=end)
    runs = monitoring_runs_request(
        kind=kind,
        registered_model=registered_model,
        window=window,
        trigger=trigger,
        requested_by=requested_by,
        request_id=request_id,
    )
    requested = WindowRuns(registered_model=registered_model, window=window, runs=runs)
    if queue:
        monitoring_runs_queue(run_ids=requested.unfinished)
    return requested


def monitoring_runs_schedule(*, kind: JobKind, window_hours: int, now: datetime | None = None) -> list[int]:
    """What a scheduled trigger does: request and queue the window's runs for every
    registered model, and queue again recent runs that never finished. Returns the ids
    queued."""
    now = now or timezone.now()
    queued: set[int] = set()
    for registered_model in registered_model_list():
        requested = monitoring_window_request(
            kind=kind, model_name=registered_model.name, hours=window_hours, trigger=Trigger.SCHEDULE, now=now
        )
        queued.update(requested.unfinished)
    leftover = set(runs_unfinished(kind=kind, since=now - UNFINISHED_LOOKBACK).values_list("pk", flat=True)) - queued
    monitoring_runs_queue(run_ids=sorted(leftover))
    return sorted(queued | leftover)


def _send(run_id: int) -> None:
    try:
        run_execute.delay(run_id)
    except BrokerError:
        # The run stays pending; the next scheduled dispatch picks up unfinished runs.
        logger.exception("Could not queue monitoring run %s", run_id)


def monitoring_runs_queue(*, run_ids: Iterable[int]) -> None:
    """Queue each run for a worker once the current transaction commits."""
    for run_id in run_ids:
        transaction.on_commit(partial(_send, run_id))


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
        if (
            run.status == RunStatus.RUNNING
            and run.claimed_by != claimed_by
            and run.started_at is not None
            and run.started_at > now - RUN_STALE_AFTER
        ):
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
        computed = JOBS[run.kind].compute(run, policy)
        with transaction.atomic():
            if not _still_ours(run, claimed_by):
                return MonitoringRun.objects.get(pk=run_id)
            by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
            for result in computed.results:
                result.run = run
                by_model[type(result)].append(result)
            for model, rows in by_model.items():
                model._default_manager.bulk_create(rows)
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
