"""Reminder jobs: instruments due for verification and commitments due for renewal within 30 days.

Creating a reminder is idempotent (one per subject and due date), so the daily jobs can run any
number of times; mail goes out after the reminders are committed and each is marked when sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import clock, mail
from honestmeter.auth.models import AccountStatus, User
from honestmeter.commitments import services as commitments
from honestmeter.commitments.models import Commitment
from honestmeter.db import unit_of_work
from honestmeter.extensions import db
from honestmeter.instruments import state as instrument_state
from honestmeter.instruments.models import Instrument, InstrumentStatus, InstrumentType
from honestmeter.merchants.models import Merchant
from honestmeter.reminders.models import Reminder
from honestmeter.roles import Role

WINDOW_DAYS = 30


def _create(rows: Iterable[tuple[int, str, str, date, str]]) -> int:
    """Insert the reminders that do not exist yet; returns how many were new."""
    created = 0
    now = clock.utcnow()
    with unit_of_work(db.session):
        for merchant_id, kind, subject_id, due_on, message in rows:
            exists = db.session.scalar(
                sa.select(Reminder.id).where(
                    Reminder.kind == kind, Reminder.subject_id == subject_id, Reminder.due_on == due_on
                )
            )
            if exists is None:
                db.session.add(
                    Reminder(
                        merchant_id=merchant_id,
                        kind=kind,
                        subject_id=subject_id,
                        due_on=due_on,
                        message=message,
                        created_at=now,
                    )
                )
                created += 1
    return created


def remind_instruments_due() -> int:
    """In-use mandatory instruments whose verification falls due within 30 days (or is overdue)."""
    horizon = clock.today() + timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        sa.select(
            Instrument.id, Instrument.merchant_id, Instrument.serial_number, Instrument.next_due_on, InstrumentType.name
        )
        .join(InstrumentType)
        .where(
            Instrument.status == InstrumentStatus.IN_USE,
            instrument_state.mandatory_clause(),
            Instrument.next_due_on <= horizon,
        )
    ).all()
    return _create(
        (
            r.merchant_id,
            "instrument_due",
            str(r.id),
            r.next_due_on,
            f"{r.name}（出厂编号 {r.serial_number}）应于 {r.next_due_on} 前申请检定",
        )
        for r in rows
    )


def remind_commitments_expiring() -> int:
    """Active commitments whose renewal has opened (last valid day within COMMITMENT_RENEW_DAYS, 30 by default)."""
    rows = db.session.execute(
        sa.select(Commitment.id, Commitment.merchant_id, Commitment.valid_until).where(
            commitments.renewal_due_clause(clock.today())
        )
    ).all()
    return _create(
        (
            r.merchant_id,
            "commitment_expiring",
            str(r.id),
            r.valid_until,
            f"诚信计量承诺书将于 {r.valid_until} 到期，请及时续签",
        )
        for r in rows
    )


def _addresses(merchant_id: int) -> list[str]:
    emails = db.session.scalars(
        sa.select(User.email).where(
            User.merchant_id == merchant_id,
            User.role == Role.MERCHANT,
            User.status == AccountStatus.ACTIVE,
            User.email.is_not(None),
        )
    ).all()
    contact = db.session.scalar(sa.select(Merchant.contact_email).where(Merchant.id == merchant_id))
    return sorted({e for e in [*emails, contact] if e})


def send_pending(limit: int = 500) -> int:
    """Mail reminders not yet mailed; a failure is recorded on the reminder and retried next run."""
    sender = mail.mailer()
    pending = db.session.scalars(
        sa.select(Reminder).where(Reminder.mailed_at.is_(None)).order_by(Reminder.id).limit(limit)
    ).all()
    sent = 0
    for reminder in pending:
        to = _addresses(reminder.merchant_id)
        try:
            for address in to:
                sender.send(mail.Mail(to=address, subject="诚信计量提醒", body=reminder.message))
        except OSError as err:
            reminder.mail_error = str(err)[:500]
        else:
            reminder.mailed_at, reminder.mail_error = clock.utcnow(), None
            sent += bool(to)
        db.session.commit()
    return sent


def run_daily() -> dict[str, int]:
    return {
        "instruments": remind_instruments_due(),
        "commitments": remind_commitments_expiring(),
        "mailed": send_pending(),
    }


def for_merchant(merchant_id: int, limit: int = 20) -> list[Reminder]:
    """Current reminders: due today or later, or overdue within the last 90 days."""
    since = clock.today() - timedelta(days=90)
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.merchant_id == merchant_id, Reminder.due_on >= since)
            .order_by(Reminder.due_on)
            .limit(limit)
        )
    )
