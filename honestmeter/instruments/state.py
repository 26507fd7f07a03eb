"""An instrument's verification state, the one rule: per instrument in Python, and as SQL clauses beside it for
counts and grading, so the console, the public page, the inspector's check and the grade cannot disagree.

States: failed (newest verification failed), overdue, due_soon (due within DUE_SOON_DAYS, today included),
unverified (never verified), ok, retired, exempt (not under mandatory verification). "In force" (what grading's
instruments_all_valid and the inspector's ledger check mean by valid) is ok or due_soon.
Past due (grading's instrument_overdue fact, the console's count) is judged on the dates alone: not failed and the
due date passed.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.instruments.models import MANDATORY_MODES, Instrument, InstrumentStatus, InstrumentType

DUE_SOON_DAYS = 30

STATES = ("failed", "overdue", "due_soon", "unverified", "ok", "retired", "exempt")
ATTENTION = ("failed", "overdue", "due_soon", "unverified")
IN_FORCE = frozenset({"ok", "due_soon"})


def past_due(next_due_on: date | None, failed_on: date | None, today: date) -> bool:
    return failed_on is None and next_due_on is not None and next_due_on < today


def in_force(next_due_on: date | None, last_verified_on: date | None, failed_on: date | None, today: date) -> bool:
    """A mandatory instrument within its verification (the states ok and due_soon)."""
    return failed_on is None and last_verified_on is not None and (next_due_on is None or next_due_on >= today)


def verification_state(
    next_due_on: date | None, last_verified_on: date | None, failed_on: date | None, today: date
) -> str:
    """The state of an in-use instrument under mandatory verification, from its dates."""
    if failed_on is not None:
        return "failed"
    if last_verified_on is None:
        return "unverified"
    if past_due(next_due_on, failed_on, today):
        return "overdue"
    if next_due_on is not None and next_due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "ok"


def state_of(instrument: Instrument, today: date | None = None) -> str:
    """One of STATES."""
    if instrument.status is InstrumentStatus.RETIRED:
        return "retired"
    if not instrument.type.mandatory:
        return "exempt"
    return verification_state(
        instrument.next_due_on, instrument.last_verified_on, instrument.failed_on, today or clock.today()
    )


# ---------------------------------------------------------------- the same rules in SQL (Instrument ⋈ InstrumentType)


def mandatory_clause() -> sa.ColumnElement[bool]:
    return InstrumentType.mode.in_(MANDATORY_MODES)


def past_due_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(Instrument.failed_on.is_(None), Instrument.next_due_on < today)


def in_force_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Instrument.failed_on.is_(None),
        Instrument.last_verified_on.is_not(None),
        sa.or_(Instrument.next_due_on.is_(None), Instrument.next_due_on >= today),
    )


def due_soon_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Instrument.failed_on.is_(None),
        Instrument.last_verified_on.is_not(None),
        Instrument.next_due_on.between(today, today + timedelta(days=DUE_SOON_DAYS)),
    )


def unverified_clause() -> sa.ColumnElement[bool]:
    return sa.and_(Instrument.failed_on.is_(None), Instrument.last_verified_on.is_(None))


def failed_clause() -> sa.ColumnElement[bool]:
    return Instrument.failed_on.is_not(None)
