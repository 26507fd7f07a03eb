"""The draws' ledger records (announcement, reveal, result) and their projections for `ledger audit`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.inspections.models import Draw, DrawStatus, Plan

ANNOUNCEMENT_TYPE = "draw_announcement"
REVEAL_TYPE = "draw_reveal"
RESULT_TYPE = "draw_result"


def announcement_data(d: Draw, plan_name: str) -> dict[str, Any]:
    ann = d.announcement
    return {
        "algorithm": ann["algorithm"],
        "plan_id": ann["plan_id"],
        "plan_name": plan_name,
        "sequence": d.sequence,
        "announcement_hash": d.announcement_hash.hex(),
        "secret_commitment": ann["secret_commitment"],
        "beacon": ann["beacon"],
        "strata": [{"name": s["name"], "size": len(s["members"]), "k": s["k"]} for s in ann["strata"]],
        "inspectors": len(ann["inspectors"]),
        "conflicts": len(ann["conflicts"]),
        "per_case": ann["per_case"],
        "capacity": ann["capacity"],
    }


def reveal_data(d: Draw) -> dict[str, Any]:
    return {
        "plan_id": d.announcement["plan_id"],
        "announcement_hash": d.announcement_hash.hex(),
        "secret": d.secret.hex(),
        "beacon": d.beacon,
        "beacon_value": (d.beacon_value or b"").hex(),
    }


def result_data(d: Draw) -> dict[str, Any]:
    result = d.result or {"plan_id": d.announcement["plan_id"], "selected": [], "unassigned": []}
    return {
        "plan_id": result["plan_id"],
        "result_hash": (d.result_hash or b"").hex(),
        "selected": len(result["selected"]),
        "unassigned": len(result["unassigned"]),
        "unassigned_usccs": list(result["unassigned"]),
    }


def _draw_rows(*, drawn_only: bool) -> Iterator[tuple[Draw, str]]:
    stmt = sa.select(Draw, Plan.name).join(Plan, Plan.id == Draw.plan_id).order_by(Draw.id)
    if drawn_only:
        stmt = stmt.where(Draw.status == DrawStatus.DRAWN)
    yield from db.session.execute(stmt.execution_options(yield_per=50)).tuples()


def announcement_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for d, name in _draw_rows(drawn_only=False):
        yield str(d.id), announcement_data(d, name)


def reveal_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for d, _name in _draw_rows(drawn_only=True):
        yield str(d.id), reveal_data(d)


def result_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for d, _name in _draw_rows(drawn_only=True):
        yield str(d.id), result_data(d)


PROJECTIONS = {
    ANNOUNCEMENT_TYPE: announcement_projection,
    REVEAL_TYPE: reveal_projection,
    RESULT_TYPE: result_projection,
}
