"""The lists' read side: which lists merchants are on today (read by the lists' own rules, since a 示范单位 needs a
clean record, and by the credit grade, which a listing caps or sets, DESIGN §6), the entries each audience may see
(public page and open data API, merchant portal, regulator's review queue), their ledger history, and the
regulator's search and CSV export. Deciding entries is `services.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from honestmeter import clock, tables
from honestmeter.errors import NotFound
from honestmeter.extensions import db
from honestmeter.labels import ENTRY_STATUS as STATUS_LABELS
from honestmeter.labels import LIST_KIND as KIND_LABELS
from honestmeter.labels import REMOVAL_KIND as REMOVAL_LABELS
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.lists import records
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import Merchant

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


# ---------------------------------------------------------------- reading


def get_entry(entry_id: int) -> ListEntry:
    entry = db.session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("没有该名录记录")
    return entry


def own_entry(merchant_id: int, entry_id: int) -> ListEntry:
    """One of the merchant's entries it may see; another merchant's is answered as missing."""
    entry = db.session.get(ListEntry, entry_id)
    if entry is None or entry.merchant_id != merchant_id or not visible_to_merchant(entry):
        raise NotFound("没有该名录记录")
    return entry


def visible_to_merchant(entry: ListEntry) -> bool:
    """Its own applications (all states) and its decided listings; not an internal proposal or its rejection."""
    return entry.kind == ListKind.MODEL_UNIT or entry.status in records.PUBLIC_STATUSES


def for_merchant(merchant_id: int) -> list[ListEntry]:
    """What the merchant's portal shows, newest first."""
    rows = db.session.scalars(
        sa.select(ListEntry)
        .where(ListEntry.merchant_id == merchant_id)
        .order_by(ListEntry.proposed_at.desc(), ListEntry.id.desc())
    )
    return [e for e in rows if visible_to_merchant(e)]


def open_proposal(merchant_id: int, kind: ListKind) -> ListEntry | None:
    """A proposal still waiting for a decision, or a listing in force, for the merchant on that list."""
    return db.session.scalars(
        sa.select(ListEntry)
        .where(
            ListEntry.merchant_id == merchant_id,
            ListEntry.kind == kind,
            ListEntry.status.in_([EntryStatus.PROPOSED, EntryStatus.LISTED]),
        )
        .order_by(ListEntry.id)
    ).first()


def proposals(kind: ListKind = ListKind.ABNORMAL) -> list[ListEntry]:
    """Proposals (or 示范单位 applications) waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ListEntry)
            .where(ListEntry.status == EntryStatus.PROPOSED, ListEntry.kind == kind)
            .order_by(ListEntry.proposed_at, ListEntry.id)
        )
    )


def pending_count(kind: ListKind = ListKind.ABNORMAL) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(ListEntry.id)).where(
                ListEntry.status == EntryStatus.PROPOSED, ListEntry.kind == kind
            )
        )
        or 0
    )


def _in_force(today: date) -> sa.ColumnElement[bool]:
    """Listed, started, and not past its term: a 示范单位 title through `valid_until` (its last day), a 严重违法失信名单
    listing until `valid_until` (its removal day), an 经营异常名录 listing until it is removed. The dates decide, so
    the public sees the right thing even on a day the expiry job has not run yet."""
    return sa.and_(
        ListEntry.status == EntryStatus.LISTED,
        ListEntry.listed_on <= today,
        sa.or_(
            ListEntry.valid_until.is_(None),
            sa.and_(ListEntry.kind == ListKind.MODEL_UNIT, ListEntry.valid_until >= today),
            sa.and_(ListEntry.kind != ListKind.MODEL_UNIT, ListEntry.valid_until > today),
        ),
    )


def listed_for(merchant_id: int, today: date | None = None) -> list[ListEntry]:
    """Exactly the entries the public merchant page shows now, all lists, newest first.

    Removed 经营异常名录 listings stop being shown (domain.md §4.4), and after a credit repair GSXT shows neither the
    listing nor its removal (§4.1): only listings in force are public, a 示范单位 title while it is valid."""
    today = today or clock.today()
    return list(
        db.session.scalars(
            sa.select(ListEntry)
            .where(ListEntry.merchant_id == merchant_id, _in_force(today))
            .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc())
        )
    )


def public_stmt(kind: ListKind | None = None, today: date | None = None) -> sa.Select[tuple[ListEntry]]:
    """Every entry in force on one list (or all lists), newest listing first: the open data API's /lists, the
    same rule as the merchant page (`listed_for`)."""
    stmt = sa.select(ListEntry).where(_in_force(today or clock.today()))
    if kind is not None:
        stmt = stmt.where(ListEntry.kind == kind)
    return stmt.order_by(ListEntry.listed_on.desc(), ListEntry.id.desc())


def public_model_units(today: date | None = None) -> list[ListEntry]:
    """Every 诚信计量示范单位 whose title is valid today, by merchant name."""
    today = today or clock.today()
    return list(
        db.session.scalars(
            sa.select(ListEntry)
            .join(Merchant, Merchant.id == ListEntry.merchant_id)
            .where(ListEntry.kind == ListKind.MODEL_UNIT, _in_force(today))
            .order_by(Merchant.name, ListEntry.id)
        )
    )


def current_model_unit(merchant_id: int, today: date | None = None) -> ListEntry | None:
    """The merchant's 示范单位 title valid today, if any."""
    today = today or clock.today()
    return db.session.scalars(
        sa.select(ListEntry)
        .where(ListEntry.merchant_id == merchant_id, ListEntry.kind == ListKind.MODEL_UNIT, _in_force(today))
        .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc())
    ).first()


def leaf_hash(entry_id: int) -> str | None:
    """The newest "list_entry" record's leaf (hex), for the 验证 link; None while nothing is public."""
    found = ledger.latest_record(records.RECORD_TYPE, str(entry_id))
    return None if found is None else found.leaf_hash.hex()


def history(entry: ListEntry) -> list[LedgerEntry]:
    """Every ledger version of the entry, oldest first."""
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.record_type == records.RECORD_TYPE, LedgerEntry.record_id == str(entry.id))
            .order_by(LedgerEntry.version)
        )
    )


# ---------------------------------------------------------------- the regulator's list and export


@dataclass(frozen=True)
class Filters:
    kind: ListKind
    status: str = ""  # an EntryStatus value, or "" for all
    q: str = ""


def search_stmt(filters: Filters) -> sa.Select[tuple[ListEntry]]:
    stmt = (
        sa.select(ListEntry).join(Merchant, Merchant.id == ListEntry.merchant_id).where(ListEntry.kind == filters.kind)
    )
    if filters.status in {s.value for s in EntryStatus}:
        stmt = stmt.where(ListEntry.status == EntryStatus(filters.status))
    if q := filters.q.strip():
        # autoescape: a % or _ typed into the search box is looked for as itself (stripping them left "%%",
        # which matched every entry)
        stmt = stmt.where(
            sa.or_(
                Merchant.name.contains(q, autoescape=True),
                Merchant.uscc == uscc_rules.normalize(q),
                ListEntry.decision_no.contains(q, autoescape=True),
            )
        )
    return stmt.order_by(ListEntry.proposed_at.desc(), ListEntry.id.desc())


EXPORT_HEADERS = (
    "名录",
    "统一社会信用代码",
    "经营者名称",
    "状态",
    "列入日期",
    "列入原因",
    "决定书文号",
    "作出决定机关",
    "有效期至/届满移出日期",
    "移出日期",
    "移出方式",
    "移出原因",
    "移出决定机关",
)


def export_csv(stmt: sa.Select[tuple[ListEntry]]) -> bytes:
    """The filtered list as CSV for Excel (UTF-8 with BOM, CRLF). Labels are Chinese, the language of the data."""
    rows = (
        (
            KIND_LABELS[e.kind],
            e.merchant.uscc,
            e.merchant.name,
            STATUS_LABELS[e.status],
            e.listed_on,
            e.reason,
            e.decision_no,
            e.authority,
            e.valid_until,
            e.removed_on,
            REMOVAL_LABELS[e.removal_kind] if e.removal_kind else None,
            e.removal_reason,
            e.removal_authority,
        )
        for e in db.session.scalars(stmt)
    )
    return tables.write_csv(EXPORT_HEADERS, rows)
