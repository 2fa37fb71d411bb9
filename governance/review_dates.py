"""Calendar arithmetic of the review cycle. No Django here: dates in, dates out.

A review cycle is a number of calendar months. Adding months keeps the day of the month
and, when the target month is shorter, falls back to its last day: a model validated on
31 August with a 12-month cycle is due on 31 August, one validated on 31 January with a
1-month cycle on 28 (or 29) February, one validated on 29 February 2028 with 12 months on
28 February 2029. Never later than the calendar says, so a review is never overdue late.
"""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months on, clipped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_overdue(*, due: date, today: date) -> int:
    """Whole days past the due date; 0 on or before it."""
    return max(0, (today - due).days)
