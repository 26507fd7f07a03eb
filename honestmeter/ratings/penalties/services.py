"""行政处罚: recording penalties, their kind and publicity period, the public list (domain.md §4.2, DESIGN §6).

Kind (the rule set out in `derive_kind`, documented in docs):
- OTHER      any measure beyond a warning, 通报批评 and a low fine: the regulator ticks “其他处罚措施”, or the
             content names one (没收, 吊销, 暂扣, 责令停产停业, 责令关闭, 限制…, 降低资质等级, 拘留); or a fine at
             or above the province's 较低数额 threshold. Published 3 years (Art. 13); repairable after 6 months,
             1 year for food, drug and special-equipment penalties (信用修复管理办法 Art. 6).
- LOW_FINE   a fine below the threshold (natural person / 个体工商户, USCC starting "92": PENALTY_LOW_FINE_PERSON;
             any other party: PENALTY_LOW_FINE_LEGAL), or 通报批评, with nothing heavier. Published 3 months
             (Art. 13 names 通报批评 together with low fines); not repairable: it expires.
- WARNING    a warning (警告) and nothing else. Never published (Art. 2), no ledger record; it still counts as a
             (zero-point) fact of the grade for its 3 months.
Content that names none of these (no fine, no 警告, no 通报批评, no other measure) is refused rather than guessed.

Each penalty writes its credit fact (rule penalty_<kind>, happened on the decision day, ref "penalty/<id>") and
regrades the merchant in the same transaction; published kinds get a "penalty" ledger record (penalty_records.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from honestmeter import clock, tables
from honestmeter.auth.models import User
from honestmeter.chinatime import add_months
from honestmeter.db import unit_of_work
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Task
from honestmeter.labels import PENALTY_KIND as KIND_LABELS
from honestmeter.ledger import services as ledger
from honestmeter.merchants import queries as merchant_queries
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import FactSource, Penalty, PenaltyKind
from honestmeter.ratings.penalties import records as penalty_records
from honestmeter.scoring import RuleCode
from honestmeter.settings import settings
from honestmeter.tables import N_

RULES = {
    PenaltyKind.WARNING: RuleCode.PENALTY_WARNING,
    PenaltyKind.LOW_FINE: RuleCode.PENALTY_LOW_FINE,
    PenaltyKind.OTHER: RuleCode.PENALTY_OTHER,
}
PUBLIC_MONTHS = {PenaltyKind.LOW_FINE: 3, PenaltyKind.OTHER: 36}  # Art. 13; a warning is never shown
NATURAL_PERSON_PREFIX = "92"  # GB 32100: registration authority 9 (市场监管), category 2 (个体工商户)
# Measures heavier than a warning, 通报批评 or a low fine (行政处罚法 Art. 9), as they are written in decisions.
OTHER_MEASURES = (
    "没收",
    "吊销",
    "暂扣",
    "停产停业",
    "责令关闭",
    "限制开展生产经营",
    "限制从业",
    "降低资质等级",
    "拘留",
)
WARNING_WORDS = ("警告",)
CRITICISM_WORDS = ("通报批评",)
MAX_FINE = Decimal("999999999999.99")  # Numeric(14, 2)
STATES = ("public", "expired", "repaired", "unpublished")


class Thresholds:
    """The province's 较低数额罚款 thresholds in yuan: a fine below them is a low fine."""

    def __init__(self, legal: int | Decimal, person: int | Decimal) -> None:
        self.legal, self.person = Decimal(legal), Decimal(person)

    @classmethod
    def configured(cls) -> Thresholds:
        return cls(settings().PENALTY_LOW_FINE_LEGAL, settings().PENALTY_LOW_FINE_PERSON)

    def for_party(self, uscc: str) -> Decimal:
        return self.person if is_natural_person(uscc) else self.legal


def is_natural_person(uscc: str) -> bool:
    """个体工商户 (the natural persons in the directory): USCC registration type "92"."""
    return uscc[:2] == NATURAL_PERSON_PREFIX


def derive_kind(*, content: str, fine_amount: Decimal | None, other_measures: bool, threshold: Decimal) -> PenaltyKind:
    """The publicity class of a penalty (see the module docstring); ValidationFailed when the content says none."""
    if other_measures or any(word in content for word in OTHER_MEASURES):
        return PenaltyKind.OTHER
    if fine_amount is not None and fine_amount > 0:
        return PenaltyKind.LOW_FINE if fine_amount < threshold else PenaltyKind.OTHER
    if "罚款" in content:
        raise ValidationFailed(N_("处罚内容含罚款，请填写罚款金额"), field="fine_amount")
    if any(word in content for word in CRITICISM_WORDS):
        return PenaltyKind.LOW_FINE
    if any(word in content for word in WARNING_WORDS):
        return PenaltyKind.WARNING
    raise ValidationFailed(
        N_("无法判断处罚种类：处罚内容须写明警告、通报批评或罚款；其他处罚请勾选“其他处罚措施”"), field="content"
    )


def public_until(kind: PenaltyKind, decided_on: date) -> date | None:
    """The first day the penalty is no longer shown; None: never shown (a warning)."""
    months = PUBLIC_MONTHS.get(kind)
    return None if months is None else add_months(decided_on, months)


def last_public_day(penalty: Penalty) -> date | None:
    """The last day the penalty is shown (public_until is the first day it is not); None for a warning."""
    return None if penalty.public_until is None else penalty.public_until - timedelta(days=1)


def is_public(penalty: Penalty, today: date) -> bool:
    return (
        penalty.public_until is not None
        and penalty.decided_on <= today < penalty.public_until
        and (penalty.repaired_on is None or penalty.repaired_on > today)
    )


# ---------------------------------------------------------------- recording


@dataclass(frozen=True)
class PenaltyFacts:
    """A penalty decision as the regulator enters it (form or import row)."""

    uscc: str
    decision_no: str
    violation_type: str
    content: str
    fine_amount: Decimal | None
    other_measures: bool
    special_domain: bool
    authority: str
    decided_on: date | None
    source_task_id: int | None = None


@dataclass(frozen=True)
class Checked:
    merchant: Merchant
    facts: PenaltyFacts
    kind: PenaltyKind


def _text(value: str, field: str, limit: int, label: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed(N_("请填写%(label)s"), params={"label": label}, field=field)
    if len(text) > limit:
        raise ValidationFailed(N_("%(label)s不能超过%(max)s个字"), params={"label": label, "max": limit}, field=field)
    return text


def find_merchant(raw: str) -> Merchant:
    code = uscc_rules.normalize(raw or "")
    if not code:
        raise ValidationFailed(N_("请填写统一社会信用代码"), field="uscc")
    merchant = merchant_queries.find_by_uscc(code)
    if merchant is None:
        message = N_("检查对象名录中没有统一社会信用代码为 %(uscc)s 的经营者") % {"uscc": code}
        raise ValidationFailed(message, field="uscc")
    return merchant


def decision_taken(decision_no: str) -> bool:
    return db.session.scalar(sa.select(Penalty.id).where(Penalty.decision_no == decision_no)) is not None


def check(given: PenaltyFacts, *, thresholds: Thresholds | None = None, today: date | None = None) -> Checked:
    """Validate a penalty against the directory and derive its kind; ValidationFailed names the field."""
    today = today or clock.today()
    merchant = find_merchant(given.uscc)
    decision_no = _text(given.decision_no, "decision_no", 100, "决定书文号")
    if decision_taken(decision_no):
        raise ValidationFailed(N_("决定书文号 %(no)s 已登记"), params={"no": decision_no}, field="decision_no")
    violation = _text(given.violation_type, "violation_type", 200, "违法行为类型")
    content = _text(given.content, "content", 1000, "处罚内容")
    authority = _text(given.authority, "authority", 100, "决定机关")
    if given.decided_on is None:
        raise ValidationFailed(N_("请填写决定日期"), field="decided_on")
    if given.decided_on > today:
        raise ValidationFailed(N_("决定日期不能晚于今天"), field="decided_on")
    fine = given.fine_amount
    if fine is not None:
        if not fine.is_finite() or fine < 0 or fine > MAX_FINE:
            raise ValidationFailed(N_("罚款金额须为不小于 0 的金额"), field="fine_amount")
        if fine != fine.quantize(Decimal("0.01")):
            raise ValidationFailed(N_("罚款金额最多保留两位小数"), field="fine_amount")
        fine = fine.quantize(Decimal("0.01")) if fine > 0 else None
    if given.source_task_id is not None:
        task = db.session.get(Task, given.source_task_id)
        if task is None or task.merchant_id != merchant.id:
            raise ValidationFailed(N_("来源检查任务不存在或不是该经营者的"), field="source_task_id")
    threshold = (thresholds or Thresholds.configured()).for_party(merchant.uscc)
    kind = derive_kind(content=content, fine_amount=fine, other_measures=given.other_measures, threshold=threshold)
    cleaned = PenaltyFacts(
        uscc=merchant.uscc,
        decision_no=decision_no,
        violation_type=violation,
        content=content,
        fine_amount=fine,
        other_measures=given.other_measures,
        special_domain=given.special_domain,
        authority=authority,
        decided_on=given.decided_on,
        source_task_id=given.source_task_id,
    )
    return Checked(merchant, cleaned, kind)


def _create(checked: Checked, by: User | None) -> Penalty:
    """Inside the caller's transaction: the row, its credit fact and (published kinds) its ledger record."""
    given = checked.facts
    if given.decided_on is None:  # `check` refuses it; kept for the type checker
        raise ValidationFailed(N_("请填写决定日期"), field="decided_on")
    penalty = Penalty(
        merchant_id=checked.merchant.id,
        decision_no=given.decision_no,
        violation_type=given.violation_type,
        content=given.content,
        fine_amount=given.fine_amount,
        kind=checked.kind,
        special_domain=given.special_domain,
        authority=given.authority,
        decided_on=given.decided_on,
        public_until=public_until(checked.kind, given.decided_on),
        source_task_id=given.source_task_id,
        created_by_id=None if by is None else by.id,
    )
    penalty.merchant = checked.merchant
    db.session.add(penalty)
    db.session.flush()
    facts.add(
        checked.merchant.id,
        RULES[checked.kind],
        given.decided_on,
        source=FactSource.PENALTY,
        source_id=penalty.id,
        ref=f"{penalty_records.RECORD_TYPE}/{penalty.id}",
    )
    if checked.kind in penalty_records.PUBLISHED_KINDS:
        ledger.publish(penalty_records.penalty_record(penalty))
    return penalty


def record_penalty(given: PenaltyFacts, by: User | None) -> Penalty:
    """Record a penalty decision: row, credit fact, ledger record (unless a warning) and the new grade, at once."""
    checked = check(given)
    with unit_of_work(db.session):
        penalty = _create(checked, by)
        grades.regrade(penalty.merchant_id, f"{penalty_records.RECORD_TYPE}/{penalty.id}")
    return penalty


def record_many(checked: Sequence[Checked], by: User | None) -> list[Penalty]:
    """Inside the caller's transaction: several checked penalties, each merchant regraded once."""
    created = [_create(c, by) for c in checked]
    for merchant_id in sorted({p.merchant_id for p in created}):
        last = max(p.id for p in created if p.merchant_id == merchant_id)
        grades.regrade(merchant_id, f"{penalty_records.RECORD_TYPE}/{last}")
    return created


# ---------------------------------------------------------------- reading


def get_penalty(penalty_id: int) -> Penalty:
    penalty = db.session.get(Penalty, penalty_id)
    if penalty is None:
        raise NotFound(N_("没有该行政处罚记录"))
    return penalty


def state_of(penalty: Penalty, today: date) -> str:
    """unpublished (a warning) / repaired / public / expired (also: not yet public, decided in the future)."""
    if penalty.public_until is None:
        return "unpublished"
    if penalty.repaired_on is not None and penalty.repaired_on <= today:
        return "repaired"
    return "public" if is_public(penalty, today) else "expired"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    state: str = ""
    since: date | None = None
    until: date | None = None


def search_stmt(filters: Filters, today: date | None = None) -> sa.Select[tuple[Penalty]]:
    """The regulator's list, newest decision first."""
    today = today or clock.today()
    stmt = sa.select(Penalty).join(Merchant, Merchant.id == Penalty.merchant_id)
    if q := filters.q.strip():
        # autoescape: a % or _ typed into the search box is looked for as itself, not as a LIKE wildcard
        stmt = stmt.where(
            sa.or_(
                Merchant.name.icontains(q, autoescape=True),
                Merchant.uscc == uscc_rules.normalize(q),
                Penalty.decision_no.icontains(q, autoescape=True),
                Penalty.violation_type.icontains(q, autoescape=True),
            )
        )
    if filters.kind in {k.value for k in PenaltyKind}:
        stmt = stmt.where(Penalty.kind == PenaltyKind(filters.kind))
    if filters.since is not None:
        stmt = stmt.where(Penalty.decided_on >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Penalty.decided_on <= filters.until)
    repaired = sa.and_(Penalty.repaired_on.is_not(None), Penalty.repaired_on <= today)
    if filters.state == "unpublished":
        stmt = stmt.where(Penalty.public_until.is_(None))
    elif filters.state == "repaired":
        stmt = stmt.where(Penalty.public_until.is_not(None), repaired)
    elif filters.state == "public":
        stmt = stmt.where(_public_clause(today))
    elif filters.state == "expired":
        stmt = stmt.where(Penalty.public_until.is_not(None), sa.not_(repaired), sa.not_(_public_clause(today)))
    return stmt.order_by(Penalty.decided_on.desc(), Penalty.id.desc())


def _public_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Penalty.public_until.is_not(None),
        Penalty.decided_on <= today,
        Penalty.public_until > today,
        sa.or_(Penalty.repaired_on.is_(None), Penalty.repaired_on > today),
    )


def public_for(merchant_id: int, today: date | None = None) -> list[Penalty]:
    """What the public page shows: published kinds within their period (decided_on <= today < public_until), not
    ended by a credit repair; newest decision first."""
    today = today or clock.today()
    return list(
        db.session.scalars(
            sa.select(Penalty)
            .where(Penalty.merchant_id == merchant_id, _public_clause(today))
            .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
        )
    )


def for_merchant(merchant_id: int) -> list[Penalty]:
    return list(
        db.session.scalars(
            sa.select(Penalty)
            .where(Penalty.merchant_id == merchant_id)
            .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
        )
    )


def leaf_hash(penalty_id: int) -> str | None:
    """The newest "penalty" record's leaf (hex), for the 验证 link; None for a warning."""
    entry = ledger.latest_record(penalty_records.RECORD_TYPE, str(penalty_id))
    return None if entry is None else entry.leaf_hash.hex()


# ---------------------------------------------------------------- export

EXPORT_HEADERS = (
    "决定书文号",
    "统一社会信用代码",
    "当事人名称",
    "违法行为类型",
    "处罚内容",
    "罚款金额（元）",
    "处罚种类",
    "特殊领域",
    "决定机关",
    "决定日期",
    "公示截止（不含）",
    "信用修复日期",
)


def export_csv(stmt: sa.Select[tuple[Penalty]]) -> bytes:
    """The filtered list as CSV for Excel (UTF-8 with BOM, CRLF)."""
    rows = (
        (
            p.decision_no,
            p.merchant.uscc,
            p.merchant.name,
            p.violation_type,
            p.content,
            penalty_records.money(p.fine_amount),
            KIND_LABELS[p.kind],
            "是" if p.special_domain else "否",
            p.authority,
            p.decided_on.isoformat(),
            p.public_until.isoformat() if p.public_until else "不公示",
            p.repaired_on.isoformat() if p.repaired_on else "",
        )
        for p in db.session.scalars(stmt)
    )
    return tables.write_csv(EXPORT_HEADERS, rows)
