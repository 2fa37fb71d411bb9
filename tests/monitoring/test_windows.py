"""Monitoring windows are whole UTC hours, so the same window always has the same identity."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.errors import WindowError
from monitoring.windows import Window, hour_window

NOW = datetime(2026, 11, 21, 10, 40, 12, tzinfo=UTC)


def test_a_window_ends_at_the_start_of_the_current_hour():
    assert hour_window(hours=1, now=NOW) == Window(
        datetime(2026, 11, 21, 9, tzinfo=UTC),
        datetime(2026, 11, 21, 10, tzinfo=UTC),
    )
    # A trigger five minutes later (or a second beat) names the same window.
    assert hour_window(hours=1, now=NOW + timedelta(minutes=5)) == hour_window(hours=1, now=NOW)


def test_a_past_window_is_named_by_its_end_in_any_time_zone():
    end = datetime(2026, 11, 21, 11, 0, tzinfo=timezone(timedelta(hours=2)))  # 09:00 UTC
    assert hour_window(hours=24, now=NOW, end=end) == Window(
        datetime(2026, 11, 20, 9, tzinfo=UTC),
        datetime(2026, 11, 21, 9, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("hours", "end", "message"),
    [
        (0, None, "at least one hour"),
        (1, datetime(2026, 11, 21, 9, 30, tzinfo=UTC), "on the hour"),
        (1, datetime(2026, 11, 21, 11, 0, tzinfo=UTC), "future"),
        (1, datetime(2026, 11, 21, 9, 0), "time zone"),
    ],
)
def test_windows_that_cannot_be_monitored_are_refused(hours, end, message):
    with pytest.raises(WindowError, match=message):
        hour_window(hours=hours, now=NOW, end=end)
