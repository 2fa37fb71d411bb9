"""What every job kind gives `monitoring.runs`: a computation over one run's window."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import (
    DataQualityResult,
    DriftResult,
    EstimatedPerformance,
    EstimationBacktest,
    FairnessResult,
    MonitoringPolicy,
    MonitoringRun,
    PerformanceCohort,
    RunStatus,
)
from ..rules import Breach

ResultRow = (
    DriftResult | FairnessResult | PerformanceCohort | EstimatedPerformance | EstimationBacktest | DataQualityResult
)


@dataclass
class Computed:
    """What a job found in a window: the run's status and summary, its result rows (saved
    with the run) and the breaches that open or update incidents."""

    status: RunStatus
    rows: int
    summary: dict[str, Any]
    results: list[ResultRow] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)


Compute = Callable[[MonitoringRun, MonitoringPolicy], Computed]


@dataclass(frozen=True)
class Job:
    """A job kind: what it computes for a run, and the window its schedule and command use."""

    compute: Compute
    window_hours: int


def policy_snapshot(policy: MonitoringPolicy, *names: str) -> dict[str, Any]:
    """The policy values a run was judged against, kept in its summary."""
    return {name: getattr(policy, name) for name in names}
