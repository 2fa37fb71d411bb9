"""Monitoring windows: whole UTC hours, so one window always has one identity.

A job covers `[start, end)`. Scheduled jobs and the commands use the `hours` hours that end
at the start of the current hour: the drift job run at 10:05 (or a command run at 10:40)
covers 09:00-10:00, so a second trigger in the same hour finds the window already done.
"""

from datetime import UTC, datetime, timedelta

# Window lengths of the default schedule (migration 0002) and the commands: drift per hour;
# fairness over 30 days (a day alone has too few decisions per group); performance over
# the cohorts of the last 24 months, whose outcomes mature over time.
DEFAULT_WINDOW_HOURS = {"drift": 1, "fairness": 30 * 24, "performance": 730 * 24}


class WindowError(ValueError):
    """A window that cannot be monitored; the message says why."""


def hour_window(*, hours: int, now: datetime, end: datetime | None = None) -> tuple[datetime, datetime]:
    if hours < 1:
        raise WindowError("A window is at least one hour long.")
    if end is None:
        end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    else:
        if end.tzinfo is None:
            raise WindowError("The window end needs a time zone (e.g. 2026-11-21T10:00:00Z).")
        end = end.astimezone(UTC)
        if (end.minute, end.second, end.microsecond) != (0, 0, 0):
            raise WindowError("The window end must be on the hour (windows are whole hours).")
        if end > now:
            raise WindowError("The window end is in the future.")
    return end - timedelta(hours=hours), end
