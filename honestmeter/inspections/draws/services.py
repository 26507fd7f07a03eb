"""Verifiable draws (DESIGN §5): announce, anchor, reveal, result, tasks.

The algorithm is the pure core `draw.py` (hmac-rank-v1); this module freezes a plan's pool into an
announcement, publishes it, waits for the ledger anchor, reveals, stores the result and creates one
random task per selected merchant.

Choices made here (also in docs/verifiable-draw.md):

- Strata are announced in the order A, B, C, D, unrated (the merchant's credit grade; no grade yet is
  "unrated"); a stratum with no member in scope is left out of the announcement, a stratum with members
  and k = 0 (ratio 0) stays in it. A plan with no merchant in scope cannot be drawn.
- Inspector IDs are badge numbers (执法证号); conflicts are the approved recusal pairs [uscc, badge] of
  the pool; the announcement's plan_id is the plan's id as a string.
- The beacon is the plan's external value named in advance (e.g. a lottery draw) typed in by the admin
  at the reveal (NFC, stripped, UTF-8 bytes), or, when none was named, `anchor-block-hash`: the 32-byte
  hash of the block holding the first anchor whose tree covers the announcement's ledger record.
- A draw's announcement hash is SHA-256 of the exact bytes `GET /api/v1/draws/<id>/announcement` serves.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.db import insert_plain, unit_of_work
from honestmeter.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import draw as core
from honestmeter.inspections.draws import records
from honestmeter.inspections.models import (
    Draw,
    DrawStatus,
    FollowUp,
    Inspector,
    Plan,
    PlanStatus,
    Task,
    TaskInspector,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.plans import services as plans
from honestmeter.ledger import services as ledger
from honestmeter.ledger.canonical import canonical_bytes
from honestmeter.ledger.models import LedgerAnchor, LedgerEntry
from honestmeter.merchants.models import Merchant
from honestmeter.web import Page, paginate

log = logging.getLogger(__name__)

FALLBACK_BEACON = "anchor-block-hash"
TASKS = cast(sa.Table, Task.__table__)
TASK_INSPECTORS = cast(sa.Table, TaskInspector.__table__)
CHUNK = 1000


class BeaconUnavailable(DomainError):
    """The block hash cannot be read now (chain node down): try the reveal again later."""

    status_code = 503


# ---------------------------------------------------------------- reading


def get_draw(draw_id: int) -> Draw:
    found = db.session.get(Draw, draw_id)
    if found is None:
        raise NotFound("摇号不存在")
    return found


def draws_page(page: int = 1, per_page: int = 20) -> Page[Draw]:
    stmt = sa.select(Draw).options(*plans.light_draws()).order_by(Draw.announced_at.desc(), Draw.id.desc())
    return paginate(stmt, page, per_page)


def list_item_json(d: Draw) -> dict[str, Any]:
    """A draw in the API listing: identity, status and hashes (GET /api/v1/draws/<id> has the rest)."""
    drawn = d.status == DrawStatus.DRAWN
    return {
        "id": d.id,
        "plan_id": d.plan_id,
        "plan_name": d.plan.name,
        "sequence": d.sequence,
        "status": d.status.value,
        "announced_at": d.announced_at.isoformat(),
        "revealed_at": d.revealed_at.isoformat() if d.revealed_at else None,
        "announcement_hash": d.announcement_hash.hex(),
        "result_hash": d.result_hash.hex() if d.result_hash else None,
        "beacon": d.beacon,
        "links": {
            "self": f"/api/v1/draws/{d.id}",
            "announcement": f"/api/v1/draws/{d.id}/announcement",
            "bundle": f"/api/v1/draws/{d.id}/bundle" if drawn else None,
        },
    }


def announcement_bytes(d: Draw) -> bytes:
    """The announcement exactly as hashed (RFC 8785): SHA-256 of these bytes is the announcement hash."""
    return canonical_bytes(d.announcement)


def announcement_record(d: Draw) -> LedgerEntry | None:
    return db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.record_type == records.ANNOUNCEMENT_TYPE, LedgerEntry.record_id == str(d.id))
        .order_by(LedgerEntry.version)
    ).first()


def covering_anchor(leaf_index: int) -> LedgerAnchor | None:
    """The first anchor whose tree includes leaf `leaf_index`."""
    return db.session.scalars(
        sa.select(LedgerAnchor).where(LedgerAnchor.tree_size > leaf_index).order_by(LedgerAnchor.tree_size)
    ).first()


# ---------------------------------------------------------------- announce


def freeze_pool(plan: Plan) -> tuple[list[core.Stratum], list[str], list[tuple[str, str]]]:
    """The plan's pool now: strata (A, B, C, D, unrated; empty ones left out), inspector badges, conflicts."""
    members: dict[str, list[str]] = {s: [] for s in plans.STRATA}
    rows = db.session.execute(
        sa.select(Merchant.uscc, Merchant.grade).where(*plans.merchant_scope(plan)).execution_options(yield_per=20000)
    )
    for uscc, grade in rows:
        members[plans.stratum_of(grade)].append(uscc)
    strata = []
    for name in plans.STRATA:
        if members[name]:
            ratio = plans.parse_ratio((plan.ratios or {}).get(name, plans.DEFAULT_RATIOS[name]), name)
            strata.append(core.Stratum(name, sorted(members[name]), core.stratum_k(ratio, len(members[name]))))
    badges = [i.badge_number for i in plans.eligible_inspectors(plan)]
    conflicts = plans.conflict_pairs()  # build_announcement keeps only the pairs inside the pool
    return strata, badges, conflicts


def _next_sequence(plan_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.max(Draw.sequence)).where(Draw.plan_id == plan_id)) or 0) + 1


def announce(plan_id: int, *, by: User | None = None) -> Draw:
    """Freeze the plan's pool, commit to a fresh secret, publish the announcement; the plan is RUNNING.

    Two schedulers racing for the same firing collide on (plan_id, sequence): the loser gets
    InvalidTransition and nothing of its attempt is kept.
    """
    try:
        with unit_of_work(db.session):
            plan = plans.get_plan(plan_id)
            if plan.status not in (PlanStatus.SCHEDULED, PlanStatus.RUNNING):
                raise InvalidTransition("只有已排期或实施中的计划可以摇号")
            if problems := plans.readiness_problems(plan):
                field_, message = problems[0]
                raise ValidationFailed(message, field=field_)
            pending = db.session.scalar(
                sa.select(Draw.id).where(Draw.plan_id == plan.id, Draw.status == DrawStatus.ANNOUNCED).limit(1)
            )
            if pending is not None:
                raise InvalidTransition("该计划上一次摇号尚未揭晓")
            strata, badges, conflicts = freeze_pool(plan)
            if not strata:
                raise ValidationFailed("计划范围内没有在营的检查对象")
            if len(badges) < plan.per_case:
                raise ValidationFailed(f"计划范围内在岗执法人员不足 {plan.per_case} 名")
            secret = core.new_secret()
            beacon = plan.beacon or FALLBACK_BEACON
            announcement = core.build_announcement(
                plan_id=str(plan.id),
                strata=strata,
                inspectors=badges,
                per_case=plan.per_case,
                capacity=plan.capacity,
                conflicts=conflicts,
                secret_commitment=core.commitment(secret),
                beacon=beacon,
            )
            found = Draw(
                plan_id=plan.id,
                sequence=_next_sequence(plan.id),
                status=DrawStatus.ANNOUNCED,
                announcement=announcement,
                announcement_hash=core.announcement_hash(announcement),
                secret=secret,
                beacon=beacon,
                announced_at=clock.utcnow(),
                announced_by_id=by.id if by else None,
            )
            db.session.add(found)
            db.session.flush()  # a concurrent announcer's row makes this raise IntegrityError
            ledger.append(
                ledger.Record(records.ANNOUNCEMENT_TYPE, str(found.id), records.announcement_data(found, plan.name))
            )
            plan.status = PlanStatus.RUNNING
            return found
    except IntegrityError:
        raise InvalidTransition("该计划的这次摇号已由另一进程公告") from None


# ---------------------------------------------------------------- reveal


def beacon_bytes(value: str) -> bytes:
    """An external beacon value as typed: NFC, stripped, UTF-8."""
    return core.normalise_id(value).encode("utf-8")


def _block_hash(block_number: int) -> bytes:
    # Loaded when a draw reads its block hash, not with the app: the chain client pulls in web3 (about a second).
    from honestmeter.ledger import anchoring  # noqa: PLC0415
    from honestmeter.ledger.chain import ChainError  # noqa: PLC0415

    try:
        return anchoring.client().block_hash(block_number)
    except ChainError as err:
        raise BeaconUnavailable(f"暂时无法从区块链读取第 {block_number} 号区块的哈希，请稍后重试（{err}）") from err


def reveal(draw_id: int, *, beacon_value: str | None = None, by: User | None = None) -> Draw:
    """Reveal the secret and the beacon once the announcement is anchored; compute the result, create tasks."""
    with unit_of_work(db.session):
        found = db.session.scalar(
            sa.select(Draw).where(Draw.id == draw_id).with_for_update().execution_options(populate_existing=True)
        )
        if found is None:
            raise NotFound("摇号不存在")
        if found.status != DrawStatus.ANNOUNCED:
            raise InvalidTransition("该摇号已揭晓")
        entry = announcement_record(found)
        anchor = covering_anchor(entry.leaf_index) if entry is not None else None
        if anchor is None:
            raise InvalidTransition("摇号公告尚未锚定上链，锚定后才能揭晓")
        typed = (beacon_value or "").strip()
        if found.beacon == FALLBACK_BEACON:
            if typed:
                raise ValidationFailed("本次摇号使用公告锚定区块的哈希，无需输入随机源", field="beacon_value")
            value = _block_hash(anchor.block_number)
        else:
            if not typed:
                raise ValidationFailed(f"请输入事先指定的外部随机源「{found.beacon}」的值", field="beacon_value")
            value = beacon_bytes(typed)
        result = core.run(found.announcement, found.secret, value)
        now = clock.utcnow()
        found.beacon_value = value
        found.result = result
        found.result_hash = hashlib.sha256(canonical_bytes(result)).digest()
        found.status = DrawStatus.DRAWN
        found.revealed_at = now
        found.revealed_by_id = by.id if by else None
        db.session.flush()
        ledger.append_many(
            [
                ledger.Record(records.REVEAL_TYPE, str(found.id), records.reveal_data(found)),
                ledger.Record(records.RESULT_TYPE, str(found.id), records.result_data(found)),
            ]
        )
        _create_tasks(found, now)
        return found


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _create_tasks(found: Draw, now: datetime) -> int:
    """One RANDOM task per staffed selected merchant, inspectors in pick order; bulk inserts."""
    plan = found.plan
    cases = [c for c in (found.result or {}).get("selected", []) if c["inspectors"]]
    if not cases:
        return 0
    usccs = [c["uscc"] for c in cases]
    merchant_ids: dict[str, int] = {}
    for part in _chunks(usccs):
        merchant_ids.update(
            db.session.execute(sa.select(Merchant.uscc, Merchant.id).where(Merchant.uscc.in_(part))).tuples().all()
        )
    badges = sorted({b for c in cases for b in c["inspectors"]})
    inspector_ids: dict[str, int] = {}
    for part in _chunks(badges):
        inspector_ids.update(
            db.session.execute(sa.select(Inspector.badge_number, Inspector.id).where(Inspector.badge_number.in_(part)))
            .tuples()
            .all()
        )
    insert_plain(
        db.session,
        TASKS,
        [{"merchant_id": merchant_ids[c["uscc"]], "stratum": c["stratum"]} for c in cases],
        kind=TaskKind.RANDOM,
        plan_id=plan.id,
        draw_id=found.id,
        authority=plan.authority,
        item_codes=list(plan.item_codes),
        due_date=plan.check_by,
        status=TaskStatus.OPEN,
        follow_up=FollowUp.NONE,
        created_at=now,
        updated_at=now,
    )
    task_ids = dict(
        db.session.execute(sa.select(Task.merchant_id, Task.id).where(Task.draw_id == found.id)).tuples().all()
    )
    insert_plain(
        db.session,
        TASK_INSPECTORS,
        [
            {"task_id": task_ids[merchant_ids[c["uscc"]]], "inspector_id": inspector_ids[badge], "position": n}
            for c in cases
            for n, badge in enumerate(c["inspectors"])
        ],
    )
    return len(cases)


# ---------------------------------------------------------------- the public bundle and views


def bundle(d: Draw) -> dict[str, Any]:
    """{announcement, reveal, result, records}: `honestmeter draw verify` re-runs it offline."""
    if d.status != DrawStatus.DRAWN or d.beacon_value is None or d.result is None:
        raise NotFound("摇号尚未揭晓")
    return {
        "announcement": d.announcement,
        "reveal": core.reveal(d.secret, d.beacon_value),
        "result": d.result,
        "records": _record_hashes(d),
    }


def _record_hashes(d: Draw) -> dict[str, str | None]:
    rows = dict(
        db.session.execute(
            sa.select(LedgerEntry.record_type, LedgerEntry.leaf_hash)
            .where(
                LedgerEntry.record_id == str(d.id),
                LedgerEntry.record_type.in_([records.ANNOUNCEMENT_TYPE, records.REVEAL_TYPE, records.RESULT_TYPE]),
            )
            .order_by(LedgerEntry.version)
        )
        .tuples()
        .all()
    )
    return {
        "announcement": rows[records.ANNOUNCEMENT_TYPE].hex() if records.ANNOUNCEMENT_TYPE in rows else None,
        "reveal": rows[records.REVEAL_TYPE].hex() if records.REVEAL_TYPE in rows else None,
        "result": rows[records.RESULT_TYPE].hex() if records.RESULT_TYPE in rows else None,
    }


def bundle_bytes(d: Draw) -> bytes:
    """The bundle as JSON; the large parts are serialised once, canonically (the announcement's bytes hash)."""
    b = bundle(d)
    return b"".join(
        [
            b'{"announcement":',
            canonical_bytes(b["announcement"]),
            b',"reveal":',
            canonical_bytes(b["reveal"]),
            b',"result":',
            canonical_bytes(b["result"]),
            b',"records":',
            canonical_bytes(b["records"]),
            b"}",
        ]
    )


def summary_json(d: Draw) -> dict[str, Any]:
    ann = d.announcement
    out: dict[str, Any] = {
        "id": d.id,
        "plan_id": d.plan_id,
        "plan_name": d.plan.name,
        "sequence": d.sequence,
        "status": d.status.value,
        "algorithm": ann["algorithm"],
        "announced_at": d.announced_at.isoformat(),
        "announcement_hash": d.announcement_hash.hex(),
        "secret_commitment": ann["secret_commitment"],
        "beacon": d.beacon,
        "beacon_is_block_hash": d.beacon == FALLBACK_BEACON,
        "strata": [{"name": s["name"], "size": len(s["members"]), "k": s["k"]} for s in ann["strata"]],
        "inspectors": len(ann["inspectors"]),
        "conflicts": len(ann["conflicts"]),
        "per_case": ann["per_case"],
        "capacity": ann["capacity"],
        "records": _record_hashes(d),
        "links": {"announcement": f"/api/v1/draws/{d.id}/announcement", "bundle": None},
        "revealed_at": None,
        "result": None,
    }
    if d.status == DrawStatus.DRAWN and d.result is not None and d.result_hash is not None:
        out["revealed_at"] = d.revealed_at.isoformat() if d.revealed_at else None
        out["links"]["bundle"] = f"/api/v1/draws/{d.id}/bundle"
        out["result"] = {
            "result_hash": d.result_hash.hex(),
            "selected": len(d.result["selected"]),
            "unassigned": len(d.result["unassigned"]),
        }
    return out


RESULT_PAGE = 200


def public_view(d: Draw, page: int = 1) -> dict[str, Any]:
    """What the draw pages show, beyond the row: anchoring, the block used, names of the selected.

    The selected merchants are shown a page at a time (a draw may select tens of thousands); the
    bundle holds them all.
    """
    entry = announcement_record(d)
    anchor = covering_anchor(entry.leaf_index) if entry is not None else None
    view: dict[str, Any] = {
        "records": _record_hashes(d),
        "anchor": anchor,
        "fallback": d.beacon == FALLBACK_BEACON,
        "strata": [{"name": s["name"], "size": len(s["members"]), "k": s["k"]} for s in d.announcement["strata"]],
        "cases": sum(s["k"] for s in d.announcement["strata"]),
        "selected": [],
        "unassigned": [],
        "beacon_text": None,
        "page": 1,
        "pages": 1,
        "offset": 0,
        "total": 0,
    }
    if d.status == DrawStatus.DRAWN and d.result is not None:
        selected = d.result["selected"]
        pages = max(1, -(-len(selected) // RESULT_PAGE))
        page = min(max(1, page), pages)
        start = (page - 1) * RESULT_PAGE
        shown = selected[start : start + RESULT_PAGE]
        view.update(page=page, pages=pages, offset=start, total=len(selected))
        usccs = [c["uscc"] for c in shown] + list(d.result["unassigned"])
        names: dict[str, str] = {}
        for part in _chunks(usccs):
            names.update(
                db.session.execute(sa.select(Merchant.uscc, Merchant.name).where(Merchant.uscc.in_(part)))
                .tuples()
                .all()
            )
        view["selected"] = [{**c, "name": names.get(c["uscc"], "")} for c in shown]
        view["unassigned"] = [{"uscc": u, "name": names.get(u, "")} for u in d.result["unassigned"]]
        if not view["fallback"] and d.beacon_value is not None:
            try:
                view["beacon_text"] = d.beacon_value.decode("utf-8")
            except UnicodeDecodeError:
                view["beacon_text"] = None
    return view


# ---------------------------------------------------------------- the scheduler job


def _cron_due(plan: Plan, last: datetime | None, now: datetime) -> bool:
    """Has the plan's cron fired since its last draw (or since it was scheduled)?"""
    try:
        trigger = plans.cron_trigger(plan.draw_cron or "")
    except ValidationFailed:
        return False
    base = last if last is not None else plan.updated_at
    fire = trigger.get_next_fire_time(None, base + timedelta(microseconds=1))
    return fire is not None and fire <= now


def due_plans(now: datetime) -> list[int]:
    """Plans whose draw is due now: a draw_at passed with no draw yet, or a cron firing since the last draw."""
    last_draw = (
        sa.select(Draw.plan_id, sa.func.max(Draw.announced_at).label("last"), sa.func.count().label("n"))
        .group_by(Draw.plan_id)
        .subquery()
    )
    rows = (
        db.session.execute(
            sa.select(Plan, last_draw.c.last, last_draw.c.n)
            .outerjoin(last_draw, last_draw.c.plan_id == Plan.id)
            .where(Plan.status.in_([PlanStatus.SCHEDULED, PlanStatus.RUNNING]))
            .order_by(Plan.id)
        )
        .tuples()
        .all()
    )
    due = []
    for plan, last, n in rows:
        if plan.draw_cron:
            if _cron_due(plan, last, now):
                due.append(plan.id)
        elif plan.draw_at is not None and plan.status == PlanStatus.SCHEDULED and not n and plan.draw_at <= now:
            due.append(plan.id)
    return due


def draw_job() -> str:
    """Scheduler entry: announce draws that are due and reveal those that can be revealed.

    Idempotent: a plan is announced once per draw_at or cron firing; a draw is revealed once; a
    second scheduler racing this one loses on the (plan_id, sequence) unique key or the row lock.
    External-beacon draws wait for the admin to type the value in.
    """
    now = clock.utcnow()
    announced, revealed, waiting = [], [], 0
    for plan_id in due_plans(now):
        try:
            announced.append(announce(plan_id).id)
        except DomainError as err:
            log.warning("plan %s: draw not announced: %s", plan_id, err.message)
    pending = db.session.scalars(
        sa.select(Draw.id).where(Draw.status == DrawStatus.ANNOUNCED, Draw.beacon == FALLBACK_BEACON).order_by(Draw.id)
    ).all()
    for draw_id in pending:
        try:
            revealed.append(reveal(draw_id).id)
        except DomainError as err:
            waiting += 1
            log.info("draw %s not revealed yet: %s", draw_id, err.message)
    if not announced and not revealed:
        return "nothing to do" if not waiting else f"{waiting} waiting for the anchor"
    return f"announced {announced}, revealed {revealed}, waiting {waiting}"
