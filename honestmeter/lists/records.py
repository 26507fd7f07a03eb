"""Public projection of list entries (经营异常名录): the GSXT columns 列入日期, 列入原因, 作出决定机关.

Only decided listings are public: a proposal (from a 10 无法联系 finding) or a rejected one never is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.ledger.services import Record
from honestmeter.lists.models import EntryStatus, ListEntry

RECORD_TYPE = "list_entry"
PUBLIC_STATUSES = (EntryStatus.LISTED, EntryStatus.REMOVED)


def entry_data(entry: ListEntry) -> dict[str, Any]:
    return {
        "uscc": entry.merchant.uscc,
        "kind": str(entry.kind),
        "reason": entry.reason,
        "authority": entry.authority,
        "listed_on": None if entry.listed_on is None else entry.listed_on.isoformat(),
        "status": str(entry.status),
    }


def entry_record(entry: ListEntry) -> Record:
    return Record(RECORD_TYPE, str(entry.id), entry_data(entry))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = sa.select(ListEntry).where(ListEntry.status.in_(PUBLIC_STATUSES)).order_by(ListEntry.id)
    for entry in db.session.scalars(query):
        yield str(entry.id), entry_data(entry)
