"""Use cases of the 随机抽查事项清单, spot-check plans (抽查计划) and recusals (回避).

Scope rules: a plan's regions are GB/T 2260 codes; a province ("330000") covers every code starting
"33", a prefecture ("330100") every code starting "3301", a county only itself. Sectors match exactly.
No regions (or no sectors) means the whole jurisdiction (or every sector). Only merchants in business
(status active) are inspection objects; only active inspectors whose region is in scope are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from flask import current_app

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.chinatime import CHINA
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import draw
from honestmeter.inspections.models import (
    CheckForm,
    CheckItem,
    Decision,
    Draw,
    DrawStatus,
    Inspector,
    Plan,
    PlanStatus,
    Recusal,
    RecusalSource,
)
from honestmeter.merchants.models import Merchant, MerchantStatus, Region, Sector
from honestmeter.merchants.queries import find_by_uscc, region_prefix
from honestmeter.roles import Role
from honestmeter.scoring import GRADES
from honestmeter.web import Page, paginate

# Draw strata, in announcement order: the credit grades, then merchants not yet rated.
UNRATED = "unrated"
STRATA = (*GRADES, UNRATED)  # the draw's strata: the grade letters, best first, then the unrated
DEFAULT_RATIOS = dict(zip(STRATA, ("0.03", "0.10", "0.30", "0.60", "0.10"), strict=True))  # DESIGN §6, A..D, unrated
NOTICE_ENDPOINT = "notices.plan_notice_pdf"


# ---------------------------------------------------------------- 随机抽查事项清单


@dataclass(frozen=True)
class CheckItemFacts:
    code: str
    name: str
    description: str = ""
    basis: str = ""
    key_item: bool = False
    form: str = CheckForm.GENERAL.value
    sort_order: int = 0


def check_items(*, active_only: bool = False) -> list[CheckItem]:
    stmt = sa.select(CheckItem).order_by(CheckItem.sort_order, CheckItem.code)
    if active_only:
        stmt = stmt.where(CheckItem.active)
    return list(db.session.scalars(stmt))


def get_check_item(item_id: int) -> CheckItem:
    item = db.session.get(CheckItem, item_id)
    if item is None:
        raise NotFound("抽查事项不存在")
    return item


def save_check_item(item_id: int | None, facts: CheckItemFacts) -> CheckItem:
    """Add an item to the list, or edit one. The code is what plans and tasks refer to: it stays."""
    code = facts.code.strip().upper()
    if not code:
        raise ValidationFailed("请填写事项编码", field="code")
    if not facts.name.strip():
        raise ValidationFailed("请填写事项名称", field="name")
    try:
        form = CheckForm(facts.form)
    except ValueError:
        raise ValidationFailed("检查表单类型无效", field="form") from None
    with unit_of_work(db.session):
        clash = db.session.scalar(sa.select(CheckItem.id).where(CheckItem.code == code))
        if clash is not None and clash != item_id:
            raise ValidationFailed("事项编码已存在", field="code")
        if item_id is None:
            item = CheckItem(code=code, active=True)
            db.session.add(item)
        else:
            item = get_check_item(item_id)
            if item.code != code:
                raise ValidationFailed("事项编码创建后不可修改", field="code")
        item.name = facts.name.strip()
        item.description = facts.description.strip()
        item.basis = facts.basis.strip()
        item.key_item = facts.key_item
        item.form = form
        item.sort_order = facts.sort_order
        db.session.flush()
        return item


def set_check_item_active(item_id: int, *, active: bool) -> CheckItem:
    """An inactive item can no longer be put into a plan; plans and tasks that name it keep it."""
    with unit_of_work(db.session):
        item = get_check_item(item_id)
        item.active = active
        return item


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class PlanFacts:
    name: str
    year: int
    batch: int
    authority: str
    region_codes: Sequence[str] = ()
    sector_codes: Sequence[str] = ()
    item_codes: Sequence[str] = ()
    ratios: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RATIOS))
    per_case: int = 2
    capacity: int = 20
    draw_at: datetime | None = None
    draw_cron: str | None = None
    beacon: str | None = None
    check_by: Any = None  # date | None
    publish_within_days: int = 20


def get_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("抽查计划不存在")
    return plan


def plans_page(page: int = 1, status: str = "") -> Page[Plan]:
    stmt = sa.select(Plan).order_by(Plan.year.desc(), Plan.batch.desc(), Plan.id.desc())
    if status in {s.value for s in PlanStatus}:
        stmt = stmt.where(Plan.status == PlanStatus(status))
    return paginate(stmt, page)


def light_draws() -> list[Any]:
    """Listings never load the (possibly million-member) announcement or the result."""
    return [sa.orm.defer(Draw.announcement), sa.orm.defer(Draw.result), sa.orm.joinedload(Draw.plan)]


def draws_of_plan(plan_id: int) -> list[Draw]:
    stmt = sa.select(Draw).options(*light_draws()).where(Draw.plan_id == plan_id).order_by(Draw.sequence)
    return list(db.session.scalars(stmt))


def notice_endpoint() -> str | None:
    """The per-plan 抽查结果公示 PDF's endpoint once that module is installed."""
    return NOTICE_ENDPOINT if NOTICE_ENDPOINT in current_app.view_functions else None


def parse_ratio(value: object, stratum: str) -> Decimal:
    try:
        ratio = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{stratum} 类抽查比例不是有效数字", field=f"ratio_{stratum.lower()}") from None
    if not ratio.is_finite() or ratio < 0 or ratio > 1:
        raise ValidationFailed(f"{stratum} 类抽查比例须在 0 到 1 之间", field=f"ratio_{stratum.lower()}")
    return ratio


def cron_trigger(expression: str) -> Any:
    """The APScheduler trigger of a crontab line, in China Standard Time; ValidationFailed if invalid."""
    try:
        return CronTrigger.from_crontab(expression.strip(), timezone=CHINA)
    except (ValueError, TypeError) as err:
        raise ValidationFailed(f"定时表达式无效：{err}", field="draw_cron") from None


def _known_codes(column: Any, codes: list[str], field_: str, what: str) -> None:
    if not codes:
        return
    known = set(db.session.scalars(sa.select(column).where(column.in_(codes))))
    if missing := [c for c in codes if c not in known]:
        raise ValidationFailed(f"{what}：{'、'.join(missing)}", field=field_)


def _check_numbers(facts: PlanFacts) -> None:
    if not 2000 <= facts.year <= 2100:
        raise ValidationFailed("年度无效", field="year")
    if facts.batch < 1:
        raise ValidationFailed("批次须为正整数", field="batch")
    if facts.per_case < 2:
        raise ValidationFailed("每个检查对象至少指派两名执法人员", field="per_case")
    if facts.capacity < 1:
        raise ValidationFailed("每名执法人员的任务上限至少为 1", field="capacity")
    if facts.publish_within_days < 1:
        raise ValidationFailed("公示期限至少为 1 个工作日", field="publish_within_days")


def _clean(facts: PlanFacts) -> dict[str, Any]:
    """Check what can be checked on a draft and return the normalised column values."""
    if not facts.name.strip():
        raise ValidationFailed("请填写计划名称", field="name")
    if not facts.authority.strip():
        raise ValidationFailed("请填写检查实施机关", field="authority")
    _check_numbers(facts)
    regions = sorted({c.strip() for c in facts.region_codes if c.strip()})
    _known_codes(Region.code, regions, "region_codes", "行政区划代码不存在")
    sectors = sorted({c.strip() for c in facts.sector_codes if c.strip()})
    _known_codes(Sector.code, sectors, "sector_codes", "行业不存在")
    items = list(dict.fromkeys(c.strip().upper() for c in facts.item_codes if c.strip()))
    _known_codes(CheckItem.code, items, "item_codes", "抽查事项不存在")
    ratios = {s: str(parse_ratio(facts.ratios.get(s, DEFAULT_RATIOS[s]), s)) for s in STRATA}
    cron = (facts.draw_cron or "").strip() or None
    if cron is not None:
        cron_trigger(cron)
    return {
        "name": facts.name.strip(),
        "year": facts.year,
        "batch": facts.batch,
        "authority": facts.authority.strip(),
        "region_codes": regions,
        "sector_codes": sectors,
        "item_codes": items,
        "ratios": ratios,
        "per_case": facts.per_case,
        "capacity": facts.capacity,
        "draw_at": facts.draw_at,
        "draw_cron": cron,
        "beacon": (facts.beacon or "").strip() or None,
        "check_by": facts.check_by,
        "publish_within_days": facts.publish_within_days,
    }


def _check_batch_free(year: int, batch: int, plan_id: int | None) -> None:
    clash = db.session.scalar(sa.select(Plan.id).where(Plan.year == year, Plan.batch == batch))
    if clash is not None and clash != plan_id:
        raise ValidationFailed(f"{year} 年度第 {batch} 批计划已存在", field="batch")


def create_plan(facts: PlanFacts, *, by: User | None) -> Plan:
    """A new plan, as a draft: it can be edited until it is scheduled."""
    with unit_of_work(db.session):
        values = _clean(facts)
        _check_batch_free(values["year"], values["batch"], None)
        plan = Plan(**values, status=PlanStatus.DRAFT, created_by_id=by.id if by else None)
        db.session.add(plan)
        db.session.flush()
        return plan


def update_plan(plan_id: int, facts: PlanFacts) -> Plan:
    with unit_of_work(db.session):
        plan = get_plan(plan_id)
        if plan.status != PlanStatus.DRAFT:
            raise InvalidTransition("只有草稿状态的计划可以修改")
        values = _clean(facts)
        _check_batch_free(values["year"], values["batch"], plan.id)
        for name, value in values.items():
            setattr(plan, name, value)
        db.session.flush()
        return plan


def readiness_problems(plan: Plan) -> list[tuple[str, str]]:
    """What stops a plan from being scheduled or drawn, as (field, message)."""
    problems: list[tuple[str, str]] = []
    if not plan.item_codes:
        problems.append(("item_codes", "请至少选择一项抽查事项"))
    else:
        active = set(db.session.scalars(sa.select(CheckItem.code).where(CheckItem.active)))
        if inactive := [c for c in plan.item_codes if c not in active]:
            problems.append(("item_codes", f"抽查事项已停用：{'、'.join(inactive)}"))
    if plan.per_case < 2:
        problems.append(("per_case", "每个检查对象至少指派两名执法人员"))
    if plan.capacity < 1:
        problems.append(("capacity", "每名执法人员的任务上限至少为 1"))
    for stratum in STRATA:
        try:
            parse_ratio((plan.ratios or {}).get(stratum), stratum)
        except ValidationFailed as err:
            problems.append((f"ratio_{stratum.lower()}", err.message))
    if plan.draw_at is None and not plan.draw_cron:
        problems.append(("draw_at", "请设定摇号时间或定时表达式"))
    elif plan.draw_at is not None and plan.draw_cron:
        problems.append(("draw_cron", "摇号时间与定时表达式只能选其一"))
    elif plan.draw_cron:
        try:
            cron_trigger(plan.draw_cron)
        except ValidationFailed as err:
            problems.append(("draw_cron", err.message))
    if plan.publish_within_days < 1:
        problems.append(("publish_within_days", "公示期限至少为 1 个工作日"))
    return problems


def schedule_plan(plan_id: int) -> Plan:
    """DRAFT → SCHEDULED: the scheduler announces the draw at draw_at, or at each cron firing.

    The scheduling time (the plan's updated_at while it is SCHEDULED with no draw) is where a cron
    plan starts counting firings.
    """
    with unit_of_work(db.session):
        plan = get_plan(plan_id)
        if plan.status != PlanStatus.DRAFT:
            raise InvalidTransition("只有草稿状态的计划可以提交排期")
        if problems := readiness_problems(plan):
            field_, message = problems[0]
            raise ValidationFailed(message, field=field_)
        plan.status = PlanStatus.SCHEDULED
        plan.updated_at = clock.utcnow()
        return plan


def unschedule_plan(plan_id: int) -> Plan:
    """SCHEDULED → DRAFT, while nothing was drawn."""
    with unit_of_work(db.session):
        plan = get_plan(plan_id)
        if plan.status != PlanStatus.SCHEDULED:
            raise InvalidTransition("只有已排期的计划可以退回草稿")
        if db.session.scalar(sa.select(Draw.id).where(Draw.plan_id == plan.id).limit(1)) is not None:
            raise InvalidTransition("该计划已经摇号，不能退回草稿")
        plan.status = PlanStatus.DRAFT
        return plan


def close_plan(plan_id: int) -> Plan:
    """No more draws. A draw already announced must be revealed first (its tasks are promised)."""
    with unit_of_work(db.session):
        plan = get_plan(plan_id)
        if plan.status == PlanStatus.CLOSED:
            raise InvalidTransition("计划已结束")
        pending = db.session.scalar(
            sa.select(Draw.id).where(Draw.plan_id == plan.id, Draw.status == DrawStatus.ANNOUNCED).limit(1)
        )
        if pending is not None:
            raise InvalidTransition("该计划有已公告、尚未揭晓的摇号，揭晓后才能结束")
        plan.status = PlanStatus.CLOSED
        return plan


# ---------------------------------------------------------------- scope and pool


def region_prefixes(codes: Sequence[str]) -> list[str]:
    """The code prefixes a plan's regions cover, without prefixes already covered by a shorter one."""
    prefixes = sorted({region_prefix(c) for c in codes}, key=lambda p: (len(p), p))
    kept: list[str] = []
    for p in prefixes:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def in_regions(column: Any, codes: Sequence[str]) -> Any:
    prefixes = region_prefixes(codes)
    if not prefixes:
        return sa.true()
    return sa.or_(*(column.startswith(p, autoescape=True) for p in prefixes))


def merchant_scope(plan: Plan) -> list[Any]:
    """WHERE terms of the plan's inspection objects: merchants in business, in its regions and sectors."""
    terms = [Merchant.status == MerchantStatus.ACTIVE, in_regions(Merchant.region_code, plan.region_codes or [])]
    if plan.sector_codes:
        terms.append(Merchant.sector_code.in_(list(plan.sector_codes)))
    return terms


def stratum_of(grade: str | None) -> str:
    return grade if grade in GRADES else UNRATED


def eligible_inspectors(plan: Plan) -> list[Inspector]:
    return list(
        db.session.scalars(
            sa.select(Inspector)
            .where(Inspector.active, in_regions(Inspector.region_code, plan.region_codes or []))
            .order_by(Inspector.badge_number)
        )
    )


@dataclass(frozen=True)
class StratumPreview:
    name: str
    size: int
    ratio: str
    k: int


@dataclass(frozen=True)
class PoolPreview:
    strata: list[StratumPreview]
    inspectors: int
    per_case: int
    capacity: int

    @property
    def merchants(self) -> int:
        return sum(s.size for s in self.strata)

    @property
    def cases(self) -> int:
        return sum(s.k for s in self.strata)

    @property
    def total_capacity(self) -> int:
        """Inspector-case slots: capacity × inspectors."""
        return self.capacity * self.inspectors

    @property
    def needed(self) -> int:
        """Inspector-case slots the cases need: per_case × cases."""
        return self.per_case * self.cases

    @property
    def short(self) -> bool:
        return self.total_capacity < self.needed or (self.cases > 0 and self.inspectors < self.per_case)


def stratum_k(ratio: Decimal, size: int) -> int:
    return int(draw.stratum_k(ratio, size))


def pool_preview(plan: Plan) -> PoolPreview:
    """Counts per stratum, k per stratum, eligible inspectors and the capacity check, live."""
    counts: dict[str, int] = dict.fromkeys(STRATA, 0)
    rows = db.session.execute(
        sa.select(Merchant.grade, sa.func.count()).where(*merchant_scope(plan)).group_by(Merchant.grade)
    )
    for grade, n in rows:
        counts[stratum_of(grade)] += int(n)
    strata = []
    for s in STRATA:
        ratio = parse_ratio((plan.ratios or {}).get(s, DEFAULT_RATIOS[s]), s)
        strata.append(StratumPreview(s, counts[s], str(ratio), stratum_k(ratio, counts[s])))
    inspectors = int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Inspector)
            .where(Inspector.active, in_regions(Inspector.region_code, plan.region_codes or []))
        )
        or 0
    )
    return PoolPreview(strata=strata, inspectors=inspectors, per_case=plan.per_case, capacity=plan.capacity)


# ---------------------------------------------------------------- recusals (回避)


def _inspector_of(user: User) -> Inspector:
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.user_id == user.id))
    if inspector is None:
        raise PermissionDenied("当前账号不在执法检查人员名录库中")
    return inspector


def _merchant_by_uscc(uscc: str) -> Merchant:
    merchant = find_by_uscc(uscc or "")
    if merchant is None:
        raise ValidationFailed("检查对象名录库中没有该统一社会信用代码", field="uscc")
    return merchant


def _inspector_by_badge(badge: str) -> Inspector:
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.badge_number == (badge or "").strip().upper()))
    if inspector is None:
        raise ValidationFailed("没有该执法证号的检查人员", field="badge_number")
    return inspector


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写回避理由", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("回避理由不超过 500 字", field="reason")
    return reason


def _open_pair(merchant_id: int, inspector_id: int) -> Recusal | None:
    return db.session.scalars(
        sa.select(Recusal).where(
            Recusal.merchant_id == merchant_id,
            Recusal.inspector_id == inspector_id,
            Recusal.status.in_([Decision.PENDING, Decision.APPROVED]),
        )
    ).first()


def _new_recusal(merchant: Merchant, inspector: Inspector, source: RecusalSource, reason: str, by: User) -> Recusal:
    existing = _open_pair(merchant.id, inspector.id)
    if existing is not None:
        message = "该回避申请正在审核中" if existing.status == Decision.PENDING else "该回避已获批准"
        raise InvalidTransition(message)
    recusal = Recusal(
        merchant_id=merchant.id,
        inspector_id=inspector.id,
        source=source,
        reason=reason,
        status=Decision.PENDING,
        requested_by_id=by.id,
    )
    db.session.add(recusal)
    return recusal


def declare_recusal(user: User, *, uscc: str, reason: str) -> Recusal:
    """An inspector declares a conflict with a merchant (行政处罚法 Art. 43); an admin decides."""
    reason = _reason(reason)
    with unit_of_work(db.session):
        inspector = _inspector_of(user)
        recusal = _new_recusal(_merchant_by_uscc(uscc), inspector, RecusalSource.INSPECTOR, reason, user)
        db.session.flush()
        return recusal


def request_recusal(user: User, *, badge_number: str, reason: str) -> Recusal:
    """A merchant applies for an inspector's recusal; an admin decides."""
    if user.role is not Role.MERCHANT or user.merchant_id is None:
        raise PermissionDenied("只有经营者账号可以申请回避")
    reason = _reason(reason)
    with unit_of_work(db.session):
        merchant = db.session.get(Merchant, user.merchant_id)
        if merchant is None:
            raise NotFound("经营者不存在")
        recusal = _new_recusal(merchant, _inspector_by_badge(badge_number), RecusalSource.MERCHANT, reason, user)
        db.session.flush()
        return recusal


def enter_recusal(user: User, *, uscc: str, badge_number: str, reason: str) -> Recusal:
    """A regulator enters a recusal directly: approved at once."""
    reason = _reason(reason)
    with unit_of_work(db.session):
        recusal = _new_recusal(
            _merchant_by_uscc(uscc), _inspector_by_badge(badge_number), RecusalSource.ADMIN, reason, user
        )
        recusal.status = Decision.APPROVED
        recusal.decided_by_id = user.id
        recusal.decided_at = clock.utcnow()
        recusal.decision_note = ""
        db.session.flush()
        return recusal


def decide_recusal(recusal_id: int, *, approve: bool, by: User, note: str = "") -> Recusal:
    """Approve or reject a pending recusal. Only approved pairs keep an inspector from a merchant."""
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed("驳回时请填写说明", field="note")
    with unit_of_work(db.session):
        recusal = db.session.get(Recusal, recusal_id)
        if recusal is None:
            raise NotFound("回避申请不存在")
        if recusal.status != Decision.PENDING:
            raise InvalidTransition("该回避申请已处理")
        recusal.status = Decision.APPROVED if approve else Decision.REJECTED
        recusal.decided_by_id = by.id
        recusal.decided_at = clock.utcnow()
        recusal.decision_note = note[:500]
        return recusal


def recusals_of_merchant(merchant_id: int) -> list[Recusal]:
    return list(
        db.session.scalars(
            sa.select(Recusal).where(Recusal.merchant_id == merchant_id).order_by(Recusal.created_at.desc(), Recusal.id)
        )
    )


def recusals_of_inspector(user: User) -> list[Recusal]:
    inspector = _inspector_of(user)
    return list(
        db.session.scalars(
            sa.select(Recusal)
            .where(Recusal.inspector_id == inspector.id)
            .order_by(Recusal.created_at.desc(), Recusal.id)
        )
    )


def recusals_page(page: int = 1) -> Page[Recusal]:
    """Pending first, then the newest."""
    pending_first = sa.case((Recusal.status == Decision.PENDING, 0), else_=1)
    return paginate(sa.select(Recusal).order_by(pending_first, Recusal.created_at.desc(), Recusal.id.desc()), page)


def conflict_pairs() -> list[tuple[str, str]]:
    """Approved recusals as (uscc, badge_number) pairs."""
    stmt = (
        sa.select(Merchant.uscc, Inspector.badge_number)
        .select_from(Recusal)
        .join(Merchant, Merchant.id == Recusal.merchant_id)
        .join(Inspector, Inspector.id == Recusal.inspector_id)
        .where(Recusal.status == Decision.APPROVED)
    )
    return [(u, b) for u, b in db.session.execute(stmt)]
