"""The monitoring jobs, one module per kind; `JOBS` is what `monitoring.runs` executes.

A job kind is a `compute(run, policy) -> Computed` in a module here (what it reads from the
run's window, the result rows it stores, the breaches it raises) and an entry below with
the window its schedule and command use by default. Its results model, serializer,
command and schedule entry follow the existing kinds.
"""

from ..models import JobKind
from . import data_quality, drift, estimated_performance, fairness, performance
from .base import Job

JOBS: dict[str, Job] = {
    # Drift per hour.
    JobKind.DRIFT: Job(compute=drift.compute, window_hours=1),
    # Fairness over 30 days: a day alone has too few decisions per group.
    JobKind.FAIRNESS: Job(compute=fairness.compute, window_hours=30 * 24),
    # Performance over the cohorts of the last 24 months, whose outcomes mature over time.
    JobKind.PERFORMANCE: Job(compute=performance.compute, window_hours=730 * 24),
    # Estimated performance per day: this month's applications, long before their outcomes.
    JobKind.ESTIMATED_PERFORMANCE: Job(compute=estimated_performance.compute, window_hours=24),
    # Input data quality per hour, as drift: a broken feed should page within the hour.
    JobKind.DATA_QUALITY: Job(compute=data_quality.compute, window_hours=1),
}
