"""The demo's past: a month of scored applications with a shift at the end, outcomes for
the older ones, and the monitoring jobs run over it, so a newcomer's first `make run`
opens on filled monitoring pages and an incident queue (README "Quick start").

`bootstrap_demo` takes a version to production, then runs `DEMO_STEPS` in order. Each step
is idempotent (it finds what an earlier run left and does nothing more) and returns the
line the command prints. Later features append their steps to the list.

What the past holds (README "The demo's past" says the same; `tests/monitoring/
test_demo_history.py` checks it):

* `days` whole UTC days ending at `end` (default: the start of today, or the day after the
  last demo decision on a second run), each with `weekday_decisions` applications on
  weekdays and `weekend_decisions` on weekends, at a lender's working hours (08:00-18:00
  UTC, busiest around midday), scored by the production version, marked as demo data.
* The shift: over the last `len(SHIFT_EQUI_SHARES)` days, applications with a credit bureau
  report of type `EQUI` rise from their usual 10% to 25%, 35% and then 45% of the day; those
  default almost surely, so the model's scores follow.
* Outcomes (from the generator's default flag) for every decision more than
  `outcome_lag_days` before `end`, observed that many days after the decision.
* Then drift, data quality and estimated performance over each day (24-hour windows: a
  demo day has fewer decisions than an hourly drift window needs), fairness over the whole
  month, and realized performance over the last 24 months, through the jobs' normal runs,
  which open the incidents.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.db import transaction

from governance.ml.demo_data import generate, load_profile
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES, TARGET
from governance.ml.search import SearchBudget
from governance.models import Action, ModelVersion, VersionState
from governance.services import model_version_train, model_version_transition
from predictions.demo import demo_decisions_backdate
from predictions.models import DecisionLog
from predictions.services import outcome_bulk_record

from .jobs import JOBS
from .models import FINISHED_STATUSES, JobKind, Trigger
from .runs import monitoring_run_execute, monitoring_window_request

DAY = timedelta(days=1)
# EQUI's share of each of the last days (the profile's own share is about 0.10).
SHIFT_EQUI_SHARES = (0.25, 0.35, 0.45)
# Working hours (UTC) and how busy each is: a morning and an afternoon peak.
HOUR_WEIGHTS = {8: 4, 9: 8, 10: 11, 11: 12, 12: 9, 13: 10, 14: 12, 15: 11, 16: 8, 17: 5}
OUTCOME_CHUNK = 5000
# A small search for the demo's models: the reference LightGBM trial and the logistic
# baseline (a few seconds on two cores, where the default budget takes about 35).
DEMO_SEARCH = SearchBudget(trials=1, seconds=20)
CANDIDATE_SEED = 43
DAILY_JOBS = (JobKind.DRIFT, JobKind.DATA_QUALITY, JobKind.ESTIMATED_PERFORMANCE)
WHOLE_HISTORY_JOBS = (JobKind.FAIRNESS, JobKind.PERFORMANCE)
CLAIMED_BY = "bootstrap_demo"


@dataclass(frozen=True)
class DemoContext:
    """What the steps share: the production version, the demo users, the training data and
    the shape of the past."""

    version: ModelVersion
    client: User
    author: User
    data_path: str
    days: int = 30
    weekday_decisions: int = 1500
    weekend_decisions: int = 600
    outcome_lag_days: int = 10
    end: datetime | None = None
    # Chosen so that no stable day, in any of the 7 places the weekends can fall, strays
    # from the training data by more than 2.3 points of missing share (the data-quality
    # bound is 5): the incidents are the shift's only.
    seed: int = 101

    def __post_init__(self) -> None:
        if self.days <= len(SHIFT_EQUI_SHARES):
            raise ValueError(f"The demo's past needs more days than the {len(SHIFT_EQUI_SHARES)} of the shift.")

    def history_end(self) -> datetime:
        """The end of the past: `end`, else the day after the last demo decision (a second
        run finds the same month), else the start of today (UTC)."""
        if self.end is not None:
            return self.end
        last = DecisionLog.objects.filter(model_version=self.version, demo=True).order_by("-created_at").first()
        if last is not None:
            return last.created_at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + DAY
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def day_starts(self) -> list[datetime]:
        end = self.history_end()
        return [end - (self.days - i) * DAY for i in range(self.days)]


DemoStep = Callable[[DemoContext], str]


def _shifted_profile(equi_share: float) -> dict[str, Any]:
    profile = load_profile()
    shares = dict(profile["categorical"]["credit_type"]["shares"])
    others = 1 - shares["EQUI"]
    profile["categorical"]["credit_type"]["shares"] = {
        name: equi_share if name == "EQUI" else share * (1 - equi_share) / others for name, share in shares.items()
    }
    return profile


def _times(day: datetime, count: int, rng: np.random.Generator) -> list[datetime]:
    hours = np.array(list(HOUR_WEIGHTS))
    weights = np.array(list(HOUR_WEIGHTS.values()), dtype=float)
    drawn = rng.choice(hours, size=count, p=weights / weights.sum())
    seconds = np.sort(drawn * 3600 + rng.integers(0, 3600, size=count))
    return [day + timedelta(seconds=int(s)) for s in seconds]


def demo_decisions_step(context: DemoContext) -> str:
    """The month of scored applications, the shift in its last days."""
    version = context.version
    if DecisionLog.objects.filter(model_version=version, demo=True).exists():
        return "Demo decisions: already there."
    days = context.day_starts()
    counts = [context.weekend_decisions if d.weekday() >= 5 else context.weekday_decisions for d in days]
    stable = len(days) - len(SHIFT_EQUI_SHARES)
    rng = np.random.default_rng(context.seed)
    # A day's applications are the first `count` of a block drawn for its place in the
    # month, so what a day holds does not depend on the weekday the month starts on: the
    # demo is the same whatever today's date. (Drawn to fit each calendar instead, on one
    # date a weekend day drew 23% missing dtir1 against 16% by chance, and opened a
    # data-quality incident the demo does not mean to show.)
    block = max(context.weekday_decisions, context.weekend_decisions)
    # One generator call for the stable days and one per shifted day: its set-up dominates small calls.
    stable_blocks = generate(stable * block, seed=context.seed)
    blocks = [stable_blocks.iloc[i * block : (i + 1) * block] for i in range(stable)]
    blocks += [
        generate(block, seed=context.seed + 1 + i, profile=_shifted_profile(share))
        for i, share in enumerate(SHIFT_EQUI_SHARES)
    ]
    frame = pd.concat([rows.iloc[:count] for rows, count in zip(blocks, counts, strict=True)], ignore_index=True)
    applications = frame.rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)]
    created_at = [at for day, count in zip(days, counts, strict=True) for at in _times(day, count, rng)]
    with transaction.atomic():
        rows = demo_decisions_backdate(
            version=version,
            applications=applications,
            created_at=created_at,
            client=context.client,
            request_id=f"demo-history-{days[0]:%Y%m%d}",
        )
        # In the same transaction, so a second run finds both or neither: the generator's
        # default flag, as the lender would report it `outcome_lag_days` after the decision.
        lag = timedelta(days=context.outcome_lag_days)
        cutoff = context.history_end() - lag
        outcomes = [
            {"prediction_id": row.id, "defaulted": bool(flag), "observed_at": row.created_at + lag}
            for row, flag in zip(rows, frame[TARGET].to_numpy(), strict=True)
            if row.created_at < cutoff
        ]
        for start in range(0, len(outcomes), OUTCOME_CHUNK):
            outcome_bulk_record(outcomes=outcomes[start : start + OUTCOME_CHUNK], recorded_by=context.client)
    return (
        f"Demo decisions: {len(rows):,} over {len(days)} days ({days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}), "
        f"{len(outcomes):,} with outcomes."
    )


def demo_monitoring_step(context: DemoContext) -> str:
    """The jobs over the past, oldest window first, as the schedule would have run them."""
    model_name = context.version.registered_model.name
    end = context.history_end()
    windows = [(kind, 24, day + DAY) for kind in DAILY_JOBS for day in context.day_starts()]
    windows += [(kind, JOBS[kind].window_hours, end) for kind in WHOLE_HISTORY_JOBS]
    computed = 0
    for kind, hours, window_end in windows:
        requested = monitoring_window_request(
            kind=kind, model_name=model_name, hours=hours, end=window_end, trigger=Trigger.COMMAND, queue=False
        )
        for run in requested.runs:
            if run.status not in FINISHED_STATUSES:
                monitoring_run_execute(run_id=run.pk, claimed_by=CLAIMED_BY)
                computed += 1
    return f"Demo monitoring: {computed} of {len(windows)} job windows computed now, the rest were done."


def demo_candidate_step(context: DemoContext) -> str:
    """A second version, trained and submitted by the author: waiting for validation."""
    registered_model = context.version.registered_model
    waiting = ModelVersion.objects.filter(registered_model=registered_model, state=VersionState.SUBMITTED).first()
    if waiting is None:
        candidate = model_version_train(
            data_path=context.data_path,
            model_name=registered_model.name,
            seed=CANDIDATE_SEED,
            author=context.author,
            search=DEMO_SEARCH,
        )
        waiting = model_version_transition(
            version_id=candidate.pk,
            action=Action.SUBMIT,
            actor=context.author,
            comment="Demo bootstrap: a retrained candidate, submitted for validation.",
        )
    return f"Candidate waiting for validation: {waiting} (version id {waiting.pk})."


# Run in order by `bootstrap_demo`; features that add to the demo append their step here.
DEMO_STEPS: list[DemoStep] = [demo_decisions_step, demo_monitoring_step, demo_candidate_step]


def demo_history_build(*, context: DemoContext, steps: list[DemoStep] | None = None) -> list[str]:
    """Run the demo's steps (default `DEMO_STEPS`) in order; the lines they report."""
    return [step(context) for step in (DEMO_STEPS if steps is None else steps)]
