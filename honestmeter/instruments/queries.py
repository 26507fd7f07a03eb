"""Read-side helpers for instruments: what needs attention, counts by state."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.instruments.models import (
    CycleKind,
    Instrument,
    InstrumentStatus,
    InstrumentType,
    VerificationMode,
)

DUE_SOON_DAYS = 30


def _mandatory() -> sa.ColumnElement[bool]:
    return InstrumentType.mode.in_([VerificationMode.V, VerificationMode.PV])


def state_of(instrument: Instrument, today: date | None = None) -> str:  # noqa: PLR0911 — one return per state
    """One of: overdue, due_soon, unverified, ok, retired, exempt (not under mandatory verification)."""
    today = today or clock.today()
    if instrument.status is InstrumentStatus.RETIRED:
        return "retired"
    if not instrument.type.mandatory:
        return "exempt"
    if instrument.last_verified_on is None:
        return "unverified"
    if instrument.next_due_on is None:
        return "ok"
    if instrument.next_due_on < today:
        return "overdue"
    if instrument.next_due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "ok"


def for_merchant(merchant_id: int) -> list[Instrument]:
    return list(
        db.session.scalars(
            sa.select(Instrument)
            .where(Instrument.merchant_id == merchant_id)
            .order_by(Instrument.status, Instrument.next_due_on.is_(None), Instrument.next_due_on, Instrument.id)
        )
    )


def needing_attention(merchant_id: int) -> list[tuple[Instrument, str]]:
    """In-use mandatory instruments that are overdue, due within 30 days, or never verified."""
    states = ((i, state_of(i)) for i in for_merchant(merchant_id))
    return [(i, s) for i, s in states if s in {"overdue", "due_soon", "unverified"}]


def overdue_count(today: date | None = None) -> int:
    """Across all merchants: in-use mandatory instruments past their due date (one indexed query)."""
    today = today or clock.today()
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Instrument)
            .join(InstrumentType)
            .where(
                Instrument.status == InstrumentStatus.IN_USE,
                _mandatory(),
                InstrumentType.cycle_kind != CycleKind.FIRST_ONLY,
                Instrument.next_due_on < today,
            )
        )
        or 0
    )


def catalogue() -> list[InstrumentType]:
    return list(db.session.scalars(sa.select(InstrumentType).order_by(InstrumentType.category, InstrumentType.code)))
