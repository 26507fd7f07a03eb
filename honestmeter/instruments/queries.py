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
    InstrumentVerification,
    VerificationMode,
)

DUE_SOON_DAYS = 30


def _mandatory() -> sa.ColumnElement[bool]:
    return InstrumentType.mode.in_([VerificationMode.V, VerificationMode.PV])


STATES = ("failed", "overdue", "due_soon", "unverified", "ok", "retired", "exempt")
ATTENTION = ("failed", "overdue", "due_soon", "unverified")


def state_of(instrument: Instrument, today: date | None = None) -> str:  # noqa: PLR0911 — one return per state
    """One of: failed (newest verification failed), overdue, due_soon, unverified, ok, retired,
    exempt (not under mandatory verification)."""
    today = today or clock.today()
    if instrument.status is InstrumentStatus.RETIRED:
        return "retired"
    if not instrument.type.mandatory:
        return "exempt"
    if instrument.failed_on is not None:
        return "failed"
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
            .where(Instrument.status == InstrumentStatus.IN_USE, _mandatory(), *conditions)
        )
        or 0
    )


def overdue_count(today: date | None = None) -> int:
    """Across all merchants: in-use mandatory instruments past their due date (one indexed query).

    A failed instrument counts as failed (failed_count), not as overdue, as in state_of."""
    today = today or clock.today()
    return _in_use_mandatory(
        InstrumentType.cycle_kind != CycleKind.FIRST_ONLY,
        Instrument.failed_on.is_(None),
        Instrument.next_due_on < today,
    )


def due_soon_count(today: date | None = None) -> int:
    """Across all merchants: in-use mandatory instruments due within the next 30 days (today included)."""
    today = today or clock.today()
    return _in_use_mandatory(
        InstrumentType.cycle_kind != CycleKind.FIRST_ONLY,
        Instrument.failed_on.is_(None),
        Instrument.last_verified_on.is_not(None),
        Instrument.next_due_on.between(today, today + timedelta(days=DUE_SOON_DAYS)),
    )


def unverified_count() -> int:
    """Across all merchants: in-use mandatory instruments never verified."""
    return _in_use_mandatory(Instrument.failed_on.is_(None), Instrument.last_verified_on.is_(None))


def failed_count() -> int:
    """Across all merchants: in-use mandatory instruments whose newest verification failed (检定不合格)."""
    return _in_use_mandatory(Instrument.failed_on.is_not(None))


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
