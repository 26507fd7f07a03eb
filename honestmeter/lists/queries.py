"""Which lists merchants are on today: read by the lists' own rules (a 示范单位 needs a clean record) and by the
credit grade (a listing caps or sets it, DESIGN §6)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind

IN_CHUNK = 1000  # ids per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits


def listed_kinds_many(merchant_ids: Sequence[int]) -> dict[int, set[ListKind]]:
    """The lists each merchant is on today (entries in force)."""
    found: dict[int, set[ListKind]] = {m: set() for m in merchant_ids}
    for start in range(0, len(merchant_ids), IN_CHUNK):
        rows = db.session.execute(
            sa.select(ListEntry.merchant_id, ListEntry.kind)
            .where(
                ListEntry.merchant_id.in_(merchant_ids[start : start + IN_CHUNK]),
                ListEntry.status == EntryStatus.LISTED,
            )
            .distinct()
        )
        for merchant_id, kind in rows:
            found[merchant_id].add(ListKind(kind))
    return found


def listed(merchant_id: int, kind: ListKind) -> bool:
    return kind in listed_kinds_many([merchant_id])[merchant_id]
