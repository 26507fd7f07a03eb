"""Chinese working days, for publication deadlines such as "20 个工作日内公示" (pure: no Flask, no SQLAlchemy).

Holidays and make-up working days (调休) come from the `chinese-calendar` package, which knows only the years the
State Council has announced when it was released (it raises NotImplementedError for the others). For a year it
does not cover, Monday–Friday are taken as working days: the deadline may then be off by the year's holidays, so
callers check `covered(year)` and tell the user.

Counting follows the usual rule for administrative periods: the day the period starts from is not counted, so
the deadline "n working days after" a check completed on `start` is the n-th working day after `start`.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar

__all__ = ["add_working_days", "covered", "is_working_day", "working_days_between"]

_DAY = timedelta(days=1)
_SATURDAY = 5


@cache
def covered(year: int) -> bool:
    """Whether the holiday data know this year; if not, its working days are simply Monday–Friday."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(d: date) -> bool:
    """A working day: a weekday that is not a statutory holiday, or a weekend day made a working day (调休)."""
    if covered(d.year):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < _SATURDAY


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself never counts; n = 0 gives `start`)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = start
    while n:
        day += _DAY
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b], the inverse of add_working_days; negative when b is before a."""
    if b < a:
        return -working_days_between(b, a)
    # Day by day: a deadline spans weeks, and holidays make week arithmetic wrong anyway.
    return sum(is_working_day(a + _DAY * i) for i in range(1, (b - a).days + 1))
