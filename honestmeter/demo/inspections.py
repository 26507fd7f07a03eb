"""Demo spot-check campaigns: one finished (draw anchored and revealed, findings of every kind,
follow-up, published results) and one running with open tasks.

Everything goes through the same services a regulator and the inspectors use in the browser, so
the demo exercises the real rules (two confirmations, working-day deadlines, ledger records).
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.errors import DomainError
from honestmeter.extensions import db
from honestmeter.inspections.draws import services as draws
from honestmeter.inspections.models import Draw, Plan, Task, TaskStatus
from honestmeter.inspections.plans import services as plans
from honestmeter.inspections.results import followup, publication
from honestmeter.inspections.tasks import findings
from honestmeter.inspections.tasks import services as tasks
from honestmeter.lists import queries as list_queries
from honestmeter.lists import services as lists
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.roles import Role

CASES = 12  # about this many merchants per demo draw, whatever the size of the directory


@dataclass(frozen=True)
class Outcome:
    """What the inspectors find at one merchant, and what the regulator does next."""

    codes: tuple[str, ...]
    notes: str = ""
    order: bool = False  # 责令改正 with a re-inspection
    corrected: bool = False  # the re-inspection finds it corrected
    close_follow_up: bool = False
    short_weight: bool = False  # a failing net-content sample
    publish: bool = True


# The finished campaign's findings, in draw order; the rest of its cases are 01 未发现问题.
OUTCOMES = [
    Outcome(("09",), "电子计价秤超过检定周期仍在使用。", order=True, corrected=True, close_follow_up=True),
    Outcome(("09",), "两台电子计价秤未申请强制检定。", order=True),
    Outcome(("10",), "通过登记的经营场所无法联系，现场已无经营活动。"),
    Outcome(("02",), "计量单位明示不规范，现场已责令改正。"),
    Outcome(("09",), "定量包装商品抽样平均实际含量低于标注净含量。", short_weight=True, order=True),
    Outcome(("01",), publish=False),  # reviewed later: shows the publication queue with its deadline
]


def png(width: int = 48, height: int = 36, rgb: tuple[int, int, int] = (150, 150, 150)) -> bytes:
    """A small one-colour PNG standing in for an on-site photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _ratio(pool: int) -> str:
    """The ratio that draws about CASES merchants from this pool (in whole tenths of a percent)."""
    if pool <= CASES:
        return "1"
    permille = -(-CASES * 1000 // pool)
    return str(Decimal(permille) / 1000)


def _pool_size(sectors: list[str]) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Merchant)
            .where(Merchant.status == MerchantStatus.ACTIVE, Merchant.sector_code.in_(sectors))
        )
        or 0
    )


def _plan(admin: User, *, name: str, batch: int, sectors: list[str], items: list[str], authority: str) -> Plan:
    ratio = _ratio(_pool_size(sectors))
    facts = plans.PlanFacts(
        name=name,
        year=clock.today().year,
        batch=batch,
        authority=authority,
        sector_codes=sectors,
        item_codes=items,
        ratios=dict.fromkeys(plans.STRATA, ratio),
        per_case=2,
        capacity=20,
        check_by=clock.today() + timedelta(days=30),
        draw_at=clock.utcnow(),  # drawn right away below, as "announce now" does
    )
    plan = plans.create_plan(facts, by=admin)
    return plans.schedule_plan(plan.id)


def _drawn(plan: Plan, admin: User, anchor: Callable[[], object]) -> Draw | None:
    found = draws.announce(plan.id, by=admin)
    anchor()  # the announcement must be on the chain before the reveal
    try:
        return draws.reveal(found.id, by=admin)
    except draws.BeaconUnavailable:
        return None  # the scheduler reveals it once the chain answers


def _inspector_users(task: Task) -> list[User]:
    return [a.inspector.user for a in task.assignments]


def _entry(task: Task, outcome: Outcome, rng: random.Random) -> findings.FindingEntry:
    problem = outcome.codes != ("01",)
    items = []
    for item in tasks.check_items(task):
        verdict = "pass"
        if problem and outcome.codes != ("10",) and item.code in ("JL-01", "JL-05", "JL-03"):
            verdict = "fail" if (item.code == "JL-03") == outcome.short_weight else "pass"
        if outcome.codes == ("10",):
            verdict = "na"
        items.append(findings.ItemEntry(item.code, verdict))
    instruments = []
    if outcome.codes != ("10",):
        ledger = [i for i, _state in tasks.merchant_instruments(task.merchant_id)]
        # A clean result needs instruments within verification; a problem shows whatever is there.
        shown = ledger if problem else [i for i in ledger if tasks.ledger_says_valid(i)]
        for instrument in shown[:2]:
            error = Decimal(rng.choice(["0.5", "1", "1.5"]))
            instruments.append(
                findings.InstrumentEntry(
                    instrument_id=instrument.id,
                    description="",
                    serial_found=True,
                    verification_valid=None,
                    measured_error=error,
                    mpe=Decimal("2"),
                    unit="g",
                )
            )
    samples = []
    if outcome.short_weight:
        samples.append(
            findings.SampleEntry(
                product="散装大米（袋装）",
                batch="20261102",
                nominal=Decimal("500"),
                unit="g",
                actuals="498 497 499 496 498 497 495 499 498 497",
            )
        )
    return findings.FindingEntry(
        checked_on=clock.today() - timedelta(days=rng.randint(3, 10)),
        result_codes=outcome.codes,
        items=items,
        instruments=instruments,
        samples=samples,
        notes=outcome.notes,
    )


def _check(task: Task, outcome: Outcome, rng: random.Random, *, confirm: bool = True) -> Task | None:
    """Record a finding as the lead inspector, attach a photo when a problem was found, confirm it."""
    lead, *others = _inspector_users(task)
    try:
        findings.record_finding(task.id, lead, _entry(task, outcome, rng))
    except DomainError:  # a demo merchant without what an outcome needs: leave the task open
        db.session.rollback()
        return None
    if outcome.codes != ("01",):
        findings.add_photo(task.id, lead, png(), caption="现场照片")
    if not confirm:
        return task
    revision = db.session.get(Task, task.id).finding.revision  # type: ignore[union-attr]
    for user in (lead, *others):
        tasks.confirm_finding(task.id, user, revision)
    return db.session.get(Task, task.id)


def _follow_up(task: Task, outcome: Outcome, admin: User, rng: random.Random) -> None:
    if outcome.order:
        order = followup.issue_order(
            task,
            admin,
            problems=outcome.notes,
            requirements="立即停止使用不合格计量器具，限期申请检定或更换，并将整改情况书面报告。",
            basis="《中华人民共和国计量法》第九条、第二十六条",
            deadline=clock.today() + timedelta(days=15),
        )
        if outcome.corrected and order.reinspection_task_id is not None:
            again = db.session.get(Task, order.reinspection_task_id)
            if again is not None:
                _check(again, Outcome(("01",)), rng)
    if outcome.close_follow_up:
        followup.close_follow_up(db.session.get(Task, task.id), admin, "经复查已改正，后续处理结束。")  # type: ignore[arg-type]
    if "10" in outcome.codes:
        for entry in list_queries.proposals():
            if entry.source_task_id == task.id:
                lists.confirm_listing(entry, admin, "经核查，通过登记的住所无法联系，列入经营异常名录。")


def generate(*, seed: int, authority: str, anchor: Callable[[], object]) -> dict[str, int]:
    """Add the two demo campaigns; `anchor` anchors pending ledger leaves (the draw needs it)."""
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).order_by(User.id))
    if admin is None or db.session.scalar(sa.select(Plan.id).limit(1)) is not None:
        return {"plans": 0}
    rng = random.Random(f"{seed}:campaigns")
    done = _plan(
        admin,
        name="集贸市场计量器具和诚信计量双随机抽查",
        batch=1,
        sectors=["market", "retail"],
        items=["JL-01", "JL-03", "JL-04", "JL-05"],
        authority=authority,
    )
    summary = {"plans": 1, "draws": 0, "findings": 0, "published": 0}
    finished = _drawn(done, admin, anchor)
    if finished is not None:
        summary["draws"] += 1
        drawn = list(db.session.scalars(sa.select(Task).where(Task.draw_id == finished.id).order_by(Task.id)))
        outcomes = OUTCOMES + [Outcome(("01",))] * max(0, len(drawn) - len(OUTCOMES))
        for task, outcome in zip(drawn, outcomes, strict=False):
            checked = _check(task, outcome, rng)
            if checked is None or checked.status != TaskStatus.COMPLETED:
                continue
            summary["findings"] += 1
            _follow_up(checked, outcome, admin, rng)
            if outcome.publish:
                publication.publish(db.session.get(Task, task.id), admin)  # type: ignore[arg-type]
                summary["published"] += 1
        # Re-inspections that were completed are published too, as their own results.
        for again in db.session.scalars(sa.select(Task).where(Task.status == TaskStatus.COMPLETED)).all():
            if again.parent_task_id is not None:
                publication.publish(again, admin)
                summary["published"] += 1
    running = _plan(
        admin,
        name="加油站、眼镜制配场所计量双随机抽查",
        batch=2,
        sectors=["fuel", "optical"],
        items=["JL-01", "JL-02", "JL-04"],
        authority=authority,
    )
    summary["plans"] += 1
    current = _drawn(running, admin, anchor)
    if current is not None:
        summary["draws"] += 1
        first = db.session.scalar(sa.select(Task).where(Task.draw_id == current.id).order_by(Task.id))
        if first is not None:  # one finding recorded, waiting for the partner's confirmation
            _check(first, Outcome(("01",)), rng, confirm=False)
    db.session.commit()
    return summary
