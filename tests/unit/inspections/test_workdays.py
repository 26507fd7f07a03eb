"""Chinese working days: statutory holidays and 调休 from chinese-calendar, Monday–Friday for years it lacks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.inspections.results.workdays import add_working_days, covered, is_working_day, working_days_between

# 2025 国庆 + 中秋: 10-01 … 10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
# 2026 春节: 02-15 … 02-23 off; Saturdays 02-14 and 02-28 are working days; Sunday 2026-01-04 too (元旦).
NATIONAL_DAY_2025_OFF = [date(2025, 10, d) for d in range(1, 9)]
SPRING_FESTIVAL_2026_OFF = [date(2026, 2, d) for d in range(15, 24)]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休
        (date(2025, 10, 12), False),
        (date(2026, 1, 1), False),
        (date(2026, 1, 4), True),  # Sunday, 调休
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),  # Saturday, 调休
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, 调休
        (date(2026, 3, 1), False),
        *[(day, False) for day in NATIONAL_DAY_2025_OFF + SPRING_FESTIVAL_2026_OFF],
    ],
)
def test_is_working_day_knows_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "deadline"),
    [
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # the 调休 Sunday counts
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 10, 3), 1, date(2025, 10, 9)),  # starting on a holiday
        (date(2025, 9, 30), 20, date(2025, 11, 4)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 13), 20, date(2026, 3, 19)),
        (date(2026, 2, 18), 0, date(2026, 2, 18)),  # n = 0: the start itself, holiday or not
        (date(2026, 3, 6), 5, date(2026, 3, 13)),  # an ordinary week
    ],
)
def test_add_working_days(start: date, n: int, deadline: date) -> None:
    assert add_working_days(start, n) == deadline
    assert working_days_between(start, deadline) == n


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_working_days(date(2026, 1, 5), -1)


@pytest.mark.parametrize(("year", "expected"), [(2004, True), (2025, True), (2026, True), (2003, False), (2031, False)])
def test_covered(year: int, expected: bool) -> None:
    assert covered(year) is expected


def test_uncovered_year_falls_back_to_monday_to_friday() -> None:
    assert not covered(2031)
    assert is_working_day(date(2031, 10, 1))  # a Wednesday: National Day, but there is no data for 2031
    assert not is_working_day(date(2031, 10, 4))  # Saturday
    assert add_working_days(date(2031, 9, 26), 1) == date(2031, 9, 29)  # Friday → Monday
    assert add_working_days(date(2031, 9, 26), 20) == date(2031, 10, 24)  # four plain weeks


def test_a_deadline_may_run_from_a_covered_into_an_uncovered_year() -> None:
    start = date(2026, 12, 31)
    assert covered(start.year)
    deadline = add_working_days(start, 1)
    assert deadline == date(2027, 1, 1) or covered(2027)  # once the package knows 2027, New Year's Day is off
    assert is_working_day(deadline)


def test_working_days_between() -> None:
    assert working_days_between(date(2025, 9, 30), date(2025, 9, 30)) == 0
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0  # the whole holiday
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 12)) == 6  # 09-28 … 09-30, then 10-09 … 10-11
    assert working_days_between(date(2025, 10, 12), date(2025, 9, 26)) == -6


DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))


@given(DATES, st.integers(min_value=0, max_value=60))
def test_add_and_between_are_inverse(start: date, n: int) -> None:
    deadline = add_working_days(start, n)
    assert working_days_between(start, deadline) == n
    if n:
        assert is_working_day(deadline)
        # The deadline is the first day that reaches n: the day before it is one working day short.
        assert working_days_between(start, deadline - timedelta(days=1)) == n - 1


@given(DATES, DATES)
def test_between_is_antisymmetric_and_bounded(a: date, b: date) -> None:
    count = working_days_between(a, b)
    assert count == -working_days_between(b, a)
    assert abs(count) <= abs((b - a).days)
