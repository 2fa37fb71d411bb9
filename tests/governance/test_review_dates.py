"""The review clock's calendar arithmetic, checked against dateutil's relativedelta."""

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from governance.review_dates import add_months, days_overdue

CYCLES = {"tier_1": 12, "tier_2": 24, "tier_3": 36}
DAYS = [
    date(2026, 3, 15),  # an ordinary day
    date(2026, 1, 31),  # a month end
    date(2026, 8, 31),
    date(2028, 2, 29),  # a leap day
    date(2027, 12, 31),  # a year end
]


@pytest.mark.parametrize("tier", CYCLES)
@pytest.mark.parametrize("day", DAYS, ids=str)
def test_each_tier_is_due_its_cycle_of_calendar_months_later(tier, day):
    assert add_months(day, CYCLES[tier]) == day + relativedelta(months=CYCLES[tier])


def test_a_leap_day_falls_back_to_the_28th_and_returns_in_a_leap_year():
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2028, 2, 29), 24) == date(2030, 2, 28)
    assert add_months(date(2028, 2, 29), 48) == date(2032, 2, 29)


@pytest.mark.parametrize("months", [1, 5, 13, 25, 35])
def test_month_ends_clip_to_the_shorter_month(months):
    for day in (date(2026, 1, 31), date(2026, 5, 31), date(2024, 1, 30)):
        assert add_months(day, months) == day + relativedelta(months=months)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_days_overdue_count_from_the_day_after_the_due_date():
    due = date(2027, 3, 15)
    assert days_overdue(due=due, today=date(2027, 3, 1)) == 0
    assert days_overdue(due=due, today=due) == 0
    assert days_overdue(due=due, today=date(2027, 4, 14)) == 30
