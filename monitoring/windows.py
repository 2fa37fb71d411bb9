"""Monitoring windows: whole UTC hours, so one window always has one identity.

A job covers `[start, end)`. Scheduled jobs and the commands use the `hours` hours that end
at the start of the current hour: the drift job run at 10:05 (or a command run at 10:40)
covers 09:00-10:00, so a second trigger in the same hour finds the window already done.

No Django here: datetimes in, a `Window` out.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import WindowError


@dataclass(frozen=True)
class Window:
    """The half-open interval `[start, end)` a job run covers, in UTC."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC"


def _refuse(field: str, message: str) -> WindowError:
    return WindowError(message, {field: message})


def hour_window(*, hours: int, now: datetime, end: datetime | None = None) -> Window:
    """The `hours` whole hours ending at `end`, or at the start of `now`'s hour.

    Raises `WindowError` for a window shorter than an hour, or an `end` without a time
    zone, off the hour or in the future."""
    if hours < 1:
        raise _refuse("window_hours", "A window is at least one hour long.")
    if end is None:
        end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    else:
        if end.tzinfo is None:
            raise _refuse("window_end", "The window end needs a time zone (e.g. 2026-11-21T10:00:00Z).")
        end = end.astimezone(UTC)
        if (end.minute, end.second, end.microsecond) != (0, 0, 0):
            raise _refuse("window_end", "The window end must be on the hour (windows are whole hours).")
        if end > now:
            raise _refuse("window_end", "The window end is in the future.")
    return Window(end - timedelta(hours=hours), end)
