"""When an instrument must next be verified or replaced (pure; no Flask, no SQLAlchemy)."""

from __future__ import annotations

from datetime import date

from honestmeter.chinatime import add_months


def next_due(
    cycle_kind: str,
    *,
    cycle_months: int | None,
    service_life_months: int | None,
    first_verified_on: date | None,
    last_verified_on: date | None,
) -> date | None:
    """Due date of the next verification (periodic) or replacement (fixed service life).

    Unverified instruments have no due date: they are already non-compliant, which is reported
    separately from "overdue".
    """
    if cycle_kind == "periodic" and cycle_months and last_verified_on:
        return add_months(last_verified_on, cycle_months)
    start = first_verified_on or last_verified_on
    if cycle_kind == "fixed_life" and service_life_months and start:
        return add_months(start, service_life_months)
    return None
