"""Read-side helpers for instruments: what needs attention, counts by state."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.instruments import state
from honestmeter.instruments.models import (
    CycleKind,
    Instrument,
    InstrumentStatus,
    InstrumentType,
    InstrumentVerification,
)
from honestmeter.instruments.state import ATTENTION, STATES, state_of


def for_merchant(merchant_id: int) -> list[Instrument]:
    return list(
        db.session.scalars(
            sa.select(Instrument)
            .where(Instrument.merchant_id == merchant_id)
            .order_by(Instrument.status, Instrument.next_due_on.is_(None), Instrument.next_due_on, Instrument.id)
        )
    )


def needing_attention(merchant_id: int) -> list[tuple[Instrument, str]]:
    """In-use mandatory instruments that failed verification, are overdue, due within 30 days, or never verified."""
    states = ((i, state_of(i)) for i in for_merchant(merchant_id))
    return [(i, s) for i, s in states if s in ATTENTION]


def state_counts(merchant_id: int, today: date | None = None) -> dict[str, int]:
    """How many of the merchant's instruments are in each state (every state present, maybe 0)."""
    counts = dict.fromkeys(STATES, 0)
    for instrument in for_merchant(merchant_id):
        counts[state_of(instrument, today)] += 1
    return counts


def _in_use_mandatory(*conditions: sa.ColumnElement[bool]) -> int:
    """Across all merchants: in-use mandatory instruments meeting `conditions` (one query)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Instrument)
            .join(InstrumentType)
            .where(Instrument.status == InstrumentStatus.IN_USE, state.mandatory_clause(), *conditions)
        )
        or 0
    )


def overdue_count(today: date | None = None) -> int:
    """Across all merchants: in-use mandatory instruments past their due date (one indexed query).

    A failed instrument counts as failed (failed_count), not as overdue, as in state_of."""
    today = today or clock.today()
    return _in_use_mandatory(InstrumentType.cycle_kind != CycleKind.FIRST_ONLY, state.past_due_clause(today))


def due_soon_count(today: date | None = None) -> int:
    """Across all merchants: in-use mandatory instruments due within the next 30 days (today included)."""
    today = today or clock.today()
    return _in_use_mandatory(InstrumentType.cycle_kind != CycleKind.FIRST_ONLY, state.due_soon_clause(today))


def unverified_count() -> int:
    """Across all merchants: in-use mandatory instruments never verified."""
    return _in_use_mandatory(state.unverified_clause())


def failed_count() -> int:
    """Across all merchants: in-use mandatory instruments whose newest verification failed (检定不合格)."""
    return _in_use_mandatory(state.failed_clause())


def verifications(instrument_id: int) -> list[InstrumentVerification]:
    """An instrument's verification history, newest first."""
    return list(
        db.session.scalars(
            sa.select(InstrumentVerification)
            .where(InstrumentVerification.instrument_id == instrument_id)
            .order_by(InstrumentVerification.verified_on.desc(), InstrumentVerification.id.desc())
        )
    )


def active_types() -> list[InstrumentType]:
    return list(
        db.session.scalars(
            sa.select(InstrumentType)
            .where(InstrumentType.active)
            .order_by(InstrumentType.category, InstrumentType.code)
        )
    )


def catalogue() -> list[InstrumentType]:
    return list(db.session.scalars(sa.select(InstrumentType).order_by(InstrumentType.category, InstrumentType.code)))
