"""Public projection of list entries ("list_entry" records): the GSXT columns 列入日期, 列入原因, 作出决定机关,
移出日期, 移出原因, plus 决定书文号 (严重违法失信名单) and the term (`valid_until`).

Only decided listings are public: a proposal (from a 10 无法联系 finding), a 示范单位 application or a rejected one
never is. Each listing and each removal is a new version of the entry's record. Kind-specific fields appear only
when set, so a plain 经营异常名录 listing keeps the six fields it always had.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from honestmeter.events import MerchantChanged
from honestmeter.extensions import db
from honestmeter.ledger.services import Record, publish
from honestmeter.lists.models import EntryStatus, ListEntry

RECORD_TYPE = "list_entry"
PUBLIC_STATUSES = (EntryStatus.LISTED, EntryStatus.REMOVED)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def entry_data(entry: ListEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uscc": entry.merchant.uscc,
        "kind": str(entry.kind),
        "reason": entry.reason,
        "authority": entry.authority,
        "listed_on": _day(entry.listed_on),
        "status": str(entry.status),
    }
    optional = {
        "decision_no": entry.decision_no,
        "valid_until": _day(entry.valid_until),
        "removed_on": _day(entry.removed_on),
        "removal_kind": None if entry.removal_kind is None else str(entry.removal_kind),
        "removal_reason": entry.removal_reason,
        "removal_authority": entry.removal_authority,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def entry_record(entry: ListEntry) -> Record:
    return Record(RECORD_TYPE, str(entry.id), entry_data(entry))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = sa.select(ListEntry).where(ListEntry.status.in_(PUBLIC_STATUSES)).order_by(ListEntry.id)
    for entry in db.session.scalars(query):
        yield str(entry.id), entry_data(entry)


def on_merchant_changed(event: MerchantChanged) -> None:
    """Public entries carry the merchant's USCC: they follow a confirmed change."""
    query = sa.select(ListEntry).where(
        ListEntry.merchant_id == event.merchant_id, ListEntry.status.in_(PUBLIC_STATUSES)
    )
    for entry in db.session.scalars(query.order_by(ListEntry.id)):
        publish(entry_record(entry))
