"""Read-side helpers for the merchant directory: choices, search, portal overview."""

from __future__ import annotations

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.merchants import search
from honestmeter.merchants.models import Merchant, Region, Sector


def sector_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Sector.code, Sector.name).where(Sector.active).order_by(Sector.sort_order, Sector.code)
    )
    return [(code, name) for code, name in rows]


def region_choices() -> list[tuple[str, str, str]]:
    """Counties and districts as (code, name, prefecture), so two 鼓楼区 can be told apart."""
    parent = sa.orm.aliased(Region)
    rows = db.session.execute(
        sa.select(Region.code, Region.name, parent.name)
        .join(parent, Region.parent_code == parent.code, isouter=True)
        .where(Region.level == 3)
        .order_by(Region.code)
    )
    return [(code, name, pname or "") for code, name, pname in rows]


def region_names(codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).tuples().all())


def search_stmt(q: str = "", sector: str = "", region: str = "", grade: str = "") -> sa.Select[tuple[Merchant]]:
    """Directory search by name fragment, USCC prefix or pinyin initials, optionally by sector, region (any level)
    and grade (the caller decides whether a grade filter may be offered); see honestmeter.merchants.search."""
    return search.search_stmt(q, sector, region_prefix(region) if region else "", grade)


def region_prefix(code: str) -> str:
    """GB/T 2260 codes nest by digits: 44 province, 4403 prefecture, 440305 county."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def find_by_uscc(code: str) -> Merchant | None:
    return db.session.scalar(sa.select(Merchant).where(Merchant.uscc == code.strip().upper()))
