"""Deciding list entries. A finding with 10 无法联系 proposes an 经营异常名录 listing (inspections/followup.py);
a regulator confirms it (listed today, a public ledger record) or rejects it (nothing public).

Removal and the other lists come with credit grading.
"""

from __future__ import annotations

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.lists import records
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind

ABNORMAL_UNREACHABLE = "通过登记的住所（经营场所）无法联系"


def get_entry(entry_id: int) -> ListEntry:
    entry = db.session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("没有该名录记录")
    return entry


def open_proposal(merchant_id: int, kind: ListKind) -> ListEntry | None:
    """A proposal still waiting for a decision, or a listing in force, for the merchant on that list."""
    return db.session.scalar(
        sa.select(ListEntry).where(
            ListEntry.merchant_id == merchant_id,
            ListEntry.kind == kind,
            ListEntry.status.in_([EntryStatus.PROPOSED, EntryStatus.LISTED]),
        )
    )


def propose(*, merchant_id: int, kind: ListKind, reason: str, authority: str, source_task_id: int | None) -> ListEntry:
    """A proposal inside the caller's transaction; the existing one if the merchant already has one (or is listed)."""
    existing = open_proposal(merchant_id, kind)
    if existing is not None:
        return existing
    entry = ListEntry(
        kind=kind,
        merchant_id=merchant_id,
        status=EntryStatus.PROPOSED,
        reason=reason,
        authority=authority,
        source_task_id=source_task_id,
        proposed_at=clock.utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def proposals() -> list[ListEntry]:
    return list(
        db.session.scalars(
            sa.select(ListEntry).where(ListEntry.status == EntryStatus.PROPOSED).order_by(ListEntry.proposed_at)
        )
    )


def pending_count() -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count(ListEntry.id)).where(ListEntry.status == EntryStatus.PROPOSED)) or 0
    )


def listed_for(merchant_id: int) -> list[ListEntry]:
    """Listings in force, newest first (removed ones stop being shown: domain.md §4.4)."""
    return list(
        db.session.scalars(
            sa.select(ListEntry)
            .where(ListEntry.merchant_id == merchant_id, ListEntry.status == EntryStatus.LISTED)
            .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc())
        )
    )


def _check(entry: ListEntry) -> None:
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition("该列入建议已处理")


def _decide(entry: ListEntry, by: User, note: str, status: EntryStatus) -> None:
    entry.status = status
    entry.decided_by_id = by.id
    entry.decided_at = clock.utcnow()
    entry.decision_note = note.strip() or None


def confirm_listing(entry: ListEntry, by: User, note: str = "") -> ListEntry:
    """Confirm a proposal: listed today, in the ledger as a "list_entry" record."""
    _check(entry)
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.LISTED)
        entry.listed_on = clock.today()
        db.session.flush()
        ledger.publish(records.entry_record(entry))
    return entry


def reject_listing(entry: ListEntry, by: User, note: str) -> ListEntry:
    """Reject a proposal, with the reason; nothing is published."""
    if not note.strip():
        raise ValidationFailed("请填写不予列入的理由", field="note")
    _check(entry)
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.REJECTED)
    return entry
