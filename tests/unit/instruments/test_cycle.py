"""Due-date vectors for the instrument verification cycle."""

from datetime import date

import pytest

from honestmeter.chinatime import add_months
from honestmeter.instruments.cycle import next_due


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clamped to a leap February
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2020, 2, 29), 120, date(2030, 2, 28)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_periodic_counts_from_the_latest_verification() -> None:
    due = next_due(
        "periodic",
        cycle_months=12,
        service_life_months=None,
        first_verified_on=date(2020, 3, 1),
        last_verified_on=date(2026, 3, 1),
    )
    assert due == date(2027, 3, 1)


def test_fixed_life_counts_from_the_first_verification() -> None:
    due = next_due(
        "fixed_life",
        cycle_months=None,
        service_life_months=72,
        first_verified_on=date(2022, 5, 10),
        last_verified_on=date(2022, 5, 10),
    )
    assert due == date(2028, 5, 10)


@pytest.mark.parametrize("kind", ["first_only", "none"])
def test_no_due_date_without_a_recurring_obligation(kind: str) -> None:
    assert (
        next_due(
            kind,
            cycle_months=12,
            service_life_months=72,
            first_verified_on=date(2026, 1, 1),
            last_verified_on=date(2026, 1, 1),
        )
        is None
    )


def test_unverified_instrument_has_no_due_date() -> None:
    assert (
        next_due(
            "periodic",
            cycle_months=12,
            service_life_months=None,
            first_verified_on=None,
            last_verified_on=None,
        )
        is None
    )
