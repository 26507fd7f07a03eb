"""信用修复 (domain.md §4.3, §4.5): what a merchant may repair and from when, its application, the decision.

What is repairable, and from which day (the rules in force name the periods; DESIGN §6):
- a published spot-check result with a negative credit fact whose rule has `repair_after_months` (13, 02, 04, 14,
  a substantiated complaint, cheating), still counting: from the latest of its facts' day + that many months;
  a 09 (ends when its follow-up is closed) and an abnormal listing (ends when removed) are not repaired here;
- a penalty of kind OTHER still within its publicity: from the decision day + `penalty_other.repair_after_months`
  (6), or PENALTY_SPECIAL_REPAIR_MONTHS (12) for food, drug and special-equipment penalties (Art. 6). Low fines,
  通报批评 and warnings are not repairable: they expire after 3 months;
- the merchant's 严重违法失信名单 listing: from `lists.services.repair_eligible_on(entry)` (early removal).

An application carries the merchant's statement of correction, the signed 守信承诺书 (standard text naming the
merchant and the target, signed with name and title; text and SHA-256 kept) and evidence files (PDF/JPEG/PNG, sniffed
and stored content-addressed like certificate scans). One pending application per target.

Approval, in one transaction: the target's facts end today ("信用修复"); a penalty stops being shown
(`repaired_on`); a listing is removed (RemovalKind.REPAIR); a "credit_repair" ledger record (no personal data of
the signer); the merchant is regraded. A rejection keeps the reason for the merchant and publishes nothing: the
application was never public, and the target's own records are unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any

import sqlalchemy as sa

from honestmeter import attachments, clock, events
from honestmeter.auth.models import User
from honestmeter.chinatime import add_months, china_date
from honestmeter.complaints import services as complaint_services
from honestmeter.complaints.models import Complaint
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import codes as result_codes
from honestmeter.inspections.models import Task
from honestmeter.inspections.replies import services as replies
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import services as lists
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind, RemovalKind
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource, Penalty, PenaltyKind
from honestmeter.ratings.penalties import services as penalties
from honestmeter.ratings.rules import services as rule_tables
from honestmeter.repairs.models import RepairRequest, RepairStatus, RepairTarget
from honestmeter.scoring import RuleSet
from honestmeter.settings import settings
from honestmeter.tables import N_

RECORD_TYPE = "credit_repair"
END_REASON = "信用修复"
MAX_EVIDENCE_FILES = 10
MAX_STATEMENT = 5000
# The ledger record type each target is published under: a repair's target_ref points at that record.
TARGET_RECORDS = {
    RepairTarget.RESULT: "inspection_result",
    RepairTarget.PENALTY: "penalty",
    RepairTarget.LIST_ENTRY: "list_entry",
    RepairTarget.COMPLAINT: "complaint",
}
PLEDGE_BODY = """守信承诺书

本单位{name}（统一社会信用代码：{uscc}）就{target}申请信用修复，现郑重承诺：
一、已经履行行政处罚决定或者责令改正要求规定的义务，纠正了失信行为，消除了不良影响；
二、所提交的信用修复申请材料真实、准确、完整，不存在虚假内容；
三、严格遵守计量法律法规，诚信经营、诚信计量，不再发生同类违法失信行为；
四、如违背上述承诺，自愿接受撤销信用修复决定、重新公示失信信息以及依法依规实施的失信惩戒，并承担相应法律责任。"""
PLEDGE_SIGNATURE = """
承诺人：{signer_name}（{signer_title}）
承诺日期：{day}"""


def target_ref(target: RepairTarget, target_id: int) -> str:
    return f"{TARGET_RECORDS[target]}/{target_id}"


# ---------------------------------------------------------------- what can be repaired


@dataclass(frozen=True)
class Item:
    """One repairable thing of a merchant, with the day from which an application is accepted."""

    target: RepairTarget
    target_id: int
    title: str  # as the 守信承诺书 names it, e.g. 行政处罚（决定书文号：…，违法行为类型：…）
    summary: str  # the same, data only (the page puts the translated category before it)
    since: date  # when it happened
    eligible_on: date
    rules: tuple[str, ...]  # the facts a repair ends (RESULT: only the repairable rules)
    pending: RepairRequest | None = None

    @property
    def ref(self) -> str:
        return target_ref(self.target, self.target_id)

    def eligible(self, today: date) -> bool:
        return today >= self.eligible_on


def _counting(on: date, window_months: int | None, today: date) -> bool:
    return window_months is None or today < add_months(on, window_months)


def _repairable_facts(
    merchant_id: int, source: FactSource, today: date, table: RuleSet
) -> dict[int, list[tuple[CreditFact, date]]]:
    """The merchant's still-counting facts of `source` whose rule may be repaired, by source id, each with the day
    from which it may be."""
    rows = db.session.scalars(
        sa.select(CreditFact)
        .where(
            CreditFact.merchant_id == merchant_id,
            CreditFact.source == source,
            CreditFact.ended_on.is_(None),
        )
        .order_by(CreditFact.source_id, CreditFact.rule)
    ).all()
    grouped: dict[int, list[tuple[CreditFact, date]]] = {}
    for fact in rows:
        try:
            rule = table.rule(fact.rule)
        except ValueError:  # a code the rules in force no longer know: nothing to repair under them
            continue
        if rule.repair_after_months is None or not _counting(fact.happened_on, rule.window_months, today):
            continue
        grouped.setdefault(fact.source_id, []).append((fact, add_months(fact.happened_on, rule.repair_after_months)))
    return grouped


def _fact_item(
    target: RepairTarget, target_id: int, found: list[tuple[CreditFact, date]], title: str, summary: str
) -> Item:
    return Item(
        target=target,
        target_id=target_id,
        title=title,
        summary=summary,
        since=min(f.happened_on for f, _ in found),
        eligible_on=max(day for _, day in found),
        rules=tuple(sorted({f.rule for f, _ in found})),
    )


def _result_items(merchant_id: int, today: date, table: RuleSet) -> list[Item]:
    items = []
    for task_id, found in _repairable_facts(merchant_id, FactSource.RESULT, today, table).items():
        task = db.session.get(Task, task_id)
        if task is not None and task.finding is not None:
            codes = "；".join(
                result_codes.RESULT_CODES[c] for c in result_codes.validate_codes(task.finding.result_codes)
            )
            checked_on = task.finding.checked_on.isoformat()
            title = f"抽查检查结果（检查日期{checked_on}，检查实施机关{task.authority}，结果：{codes}）"
            summary = f"{checked_on} · {task.authority} · #{task_id}"
        else:
            title, summary = f"抽查检查结果（任务 #{task_id}）", f"#{task_id}"
        items.append(_fact_item(RepairTarget.RESULT, task_id, found, title, summary))
    return items


def _complaint_items(merchant_id: int, today: date, table: RuleSet) -> list[Item]:
    items = []
    for complaint_id, found in _repairable_facts(merchant_id, FactSource.COMPLAINT, today, table).items():
        complaint = db.session.get(Complaint, complaint_id)
        category = complaint_services.CATEGORY_LABELS[complaint.category] if complaint is not None else ""
        day = min(f.happened_on for f, _ in found).isoformat()
        title = f"投诉举报经查属实（办结日期{day}，问题类别：{category}，编号 #{complaint_id}）"
        items.append(
            _fact_item(RepairTarget.COMPLAINT, complaint_id, found, title, f"{day} · {category} · #{complaint_id}")
        )
    return items


def penalty_repair_months(penalty: Penalty, table: RuleSet) -> int | None:
    """Months after the decision from which an OTHER penalty may be repaired; None: never (the rule says so)."""
    months = table.rule(penalties.RULES[PenaltyKind.OTHER]).repair_after_months
    if months is None:
        return None
    if penalty.special_domain:
        return max(months, settings().PENALTY_SPECIAL_REPAIR_MONTHS)
    return months


def _penalty_items(merchant_id: int, today: date, table: RuleSet) -> list[Item]:
    rows = db.session.scalars(
        sa.select(Penalty)
        .where(
            Penalty.merchant_id == merchant_id,
            Penalty.kind == PenaltyKind.OTHER,
            Penalty.repaired_on.is_(None),
            Penalty.public_until > today,
        )
        .order_by(Penalty.decided_on, Penalty.id)
    ).all()
    items = []
    for p in rows:
        months = penalty_repair_months(p, table)
        if months is None:
            continue
        items.append(
            Item(
                target=RepairTarget.PENALTY,
                target_id=p.id,
                title=f"行政处罚（决定书文号：{p.decision_no}，违法行为类型：{p.violation_type}）",
                summary=f"{p.decision_no} · {p.violation_type}",
                since=p.decided_on,
                eligible_on=add_months(p.decided_on, months),
                rules=(penalties.RULES[PenaltyKind.OTHER],),
            )
        )
    return items


def _list_items(merchant_id: int) -> list[Item]:
    rows = db.session.scalars(
        sa.select(ListEntry)
        .where(
            ListEntry.merchant_id == merchant_id,
            ListEntry.kind == ListKind.SERIOUS,
            ListEntry.status == EntryStatus.LISTED,
        )
        .order_by(ListEntry.id)
    ).all()
    items = []
    for entry in rows:
        eligible = lists.repair_eligible_on(entry)
        if eligible is None or entry.listed_on is None:
            continue
        items.append(
            Item(
                target=RepairTarget.LIST_ENTRY,
                target_id=entry.id,
                title=f"列入严重违法失信名单（列入日期{entry.listed_on.isoformat()}，列入原因：{entry.reason}）",
                summary=f"{entry.listed_on.isoformat()} · {entry.reason}",
                since=entry.listed_on,
                eligible_on=eligible,
                rules=(),
            )
        )
    return items


def _pending(merchant_id: int) -> dict[tuple[RepairTarget, int], RepairRequest]:
    rows = db.session.scalars(
        sa.select(RepairRequest).where(
            RepairRequest.merchant_id == merchant_id, RepairRequest.status == RepairStatus.PENDING
        )
    )
    return {(r.target, r.target_id): r for r in rows}


def items_for(merchant_id: int, today: date | None = None) -> list[Item]:
    """Everything the merchant may (now or later) apply to repair, with its pending application if any."""
    today = today or clock.today()
    table = rule_tables.current()
    found = _result_items(merchant_id, today, table) + _penalty_items(merchant_id, today, table)
    found += _complaint_items(merchant_id, today, table) + _list_items(merchant_id)
    pending = _pending(merchant_id)
    found = [dataclasses.replace(i, pending=pending.get((i.target, i.target_id))) for i in found]
    return sorted(found, key=lambda i: (i.eligible_on, i.target.value, i.target_id))


def item_for(merchant_id: int, target: str, target_id: int | None, today: date | None = None) -> Item:
    """The merchant's own repairable item; anything else (another merchant's, nothing to repair) is NotFound."""
    try:
        kind = RepairTarget(target)
    except ValueError:
        raise NotFound(N_("没有可申请修复的该项信用信息")) from None
    for item in items_for(merchant_id, today):
        if item.target == kind and item.target_id == target_id:
            return item
    raise NotFound(N_("没有可申请修复的该项信用信息"))


# ---------------------------------------------------------------- applying


def pledge_body(merchant: Merchant, item: Item) -> str:
    return PLEDGE_BODY.format(name=merchant.name, uscc=merchant.uscc, target=item.title)


def pledge_text(merchant: Merchant, item: Item, signer_name: str, signer_title: str, day: date) -> str:
    """The 守信承诺书 as signed: the standard text naming the merchant and the target, then the signature."""
    signature = PLEDGE_SIGNATURE.format(signer_name=signer_name, signer_title=signer_title, day=day.isoformat())
    return pledge_body(merchant, item) + "\n" + signature


def apply(
    *,
    merchant_id: int,
    by: User,
    target: str,
    target_id: int | None,
    statement: str,
    signer_name: str,
    signer_title: str,
    evidence: Sequence[attachments.Upload],
) -> RepairRequest:
    """A merchant's application to repair one of its items (see the module docstring for the rules)."""
    today = clock.today()
    item = item_for(merchant_id, target, target_id, today)
    if not item.eligible(today):
        raise ValidationFailed(
            N_("尚未到可申请信用修复的时间：自 %(day)s 起可以申请"), params={"day": item.eligible_on.isoformat()}
        )
    if item.pending is not None:
        raise InvalidTransition(N_("该项信用信息已有正在审核的修复申请"))
    statement = statement.strip()
    if not statement:
        raise ValidationFailed(N_("请说明已履行的义务和纠正失信行为的情况"), field="statement")
    if len(statement) > MAX_STATEMENT:
        raise ValidationFailed(N_("情况说明不能超过%(max)s个字"), params={"max": MAX_STATEMENT}, field="statement")
    name, title = " ".join(signer_name.split()), " ".join(signer_title.split())
    if not name:
        raise ValidationFailed(N_("请填写承诺人姓名"), field="signer_name")
    if not title:
        raise ValidationFailed(N_("请填写承诺人职务"), field="signer_title")
    files = attachments.check_all(
        evidence, max_files=MAX_EVIDENCE_FILES, missing=N_("请上传履行义务、纠正失信行为的证明材料")
    )
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(N_("没有该经营者"))
    pledge = pledge_text(merchant, item, name[:100], title[:100], today)
    with unit_of_work(db.session):
        stored = attachments.store_all(files)
        request = RepairRequest(
            merchant_id=merchant_id,
            target=item.target,
            target_id=item.target_id,
            statement=statement,
            pledge=pledge,
            pledge_sha256=hashlib.sha256(pledge.encode("utf-8")).hexdigest(),
            evidence=stored,
            applied_by_id=by.id,
            applied_at=clock.utcnow(),
            status=RepairStatus.PENDING,
        )
        db.session.add(request)
        db.session.flush()
    return request


# ---------------------------------------------------------------- reading


def get_request(repair_id: int) -> RepairRequest:
    request = db.session.get(RepairRequest, repair_id)
    if request is None:
        raise NotFound(N_("没有该信用修复申请"))
    return request


def own_request(merchant_id: int, repair_id: int) -> RepairRequest:
    """One of the merchant's own applications; another merchant's is answered like a missing one."""
    request = db.session.get(RepairRequest, repair_id)
    if request is None or request.merchant_id != merchant_id:
        raise NotFound(N_("没有该信用修复申请"))
    return request


def applications_for(merchant_id: int) -> list[RepairRequest]:
    return list(
        db.session.scalars(
            sa.select(RepairRequest)
            .where(RepairRequest.merchant_id == merchant_id)
            .order_by(RepairRequest.applied_at.desc(), RepairRequest.id.desc())
        )
    )


def queue_stmt(status: str = "") -> sa.Select[tuple[RepairRequest]]:
    """The regulator's queue: pending first (oldest first, as they wait), then decided ones, newest first."""
    stmt = sa.select(RepairRequest)
    if status in {s.value for s in RepairStatus}:
        stmt = stmt.where(RepairRequest.status == RepairStatus(status))
    pending_first = sa.case((RepairRequest.status == RepairStatus.PENDING, 0), else_=1)
    waiting = sa.case((RepairRequest.status == RepairStatus.PENDING, RepairRequest.id), else_=-RepairRequest.id)
    return stmt.order_by(pending_first, waiting)


def pending_count() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(RepairRequest.id)).where(RepairRequest.status == RepairStatus.PENDING)
        )
        or 0
    )


def repaired_targets(merchant_id: int) -> set[tuple[str, int]]:
    """(target, target_id) of the merchant's approved repairs, e.g. ("inspection_result", 12): the public page
    marks those results as repaired (they stay in the log but no longer count)."""
    rows = db.session.execute(
        sa.select(RepairRequest.target, RepairRequest.target_id).where(
            RepairRequest.merchant_id == merchant_id, RepairRequest.status == RepairStatus.APPROVED
        )
    )
    return {(str(target), int(target_id)) for target, target_id in rows}


def target_object(request: RepairRequest) -> Task | Penalty | ListEntry | Complaint | None:
    """The row the application is about (for the regulator's page)."""
    model: Any = {
        RepairTarget.RESULT: Task,
        RepairTarget.PENALTY: Penalty,
        RepairTarget.LIST_ENTRY: ListEntry,
        RepairTarget.COMPLAINT: Complaint,
    }.get(request.target)
    if model is None:
        return None
    found = db.session.get(model, request.target_id)
    return found if found is not None and found.merchant_id == request.merchant_id else None


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str  # msgid with %(name)s placeholders
    params: dict[str, object] = dataclasses.field(default_factory=dict)


LISTED_CHECKS = {
    (ListKind.SERIOUS, True): N_("已列入严重违法失信名单"),
    (ListKind.SERIOUS, False): N_("未列入严重违法失信名单"),
    (ListKind.ABNORMAL, True): N_("已列入经营异常名录"),
    (ListKind.ABNORMAL, False): N_("未列入经营异常名录"),
}


def checks(request: RepairRequest) -> list[Check]:
    """What the regulator should see before deciding (Art. 6): lists, later penalties of the same type."""
    found = []
    for kind in (ListKind.SERIOUS, ListKind.ABNORMAL):
        if request.target == RepairTarget.LIST_ENTRY and kind == ListKind.SERIOUS:
            continue  # the listing being repaired
        listed = list_queries.listed(request.merchant_id, kind)
        found.append(Check(not listed, LISTED_CHECKS[(kind, listed)]))
    target = target_object(request)
    if isinstance(target, Penalty):
        later = int(
            db.session.scalar(
                sa.select(sa.func.count(Penalty.id)).where(
                    Penalty.merchant_id == request.merchant_id,
                    Penalty.id != target.id,
                    Penalty.decided_on >= target.decided_on,
                    Penalty.violation_type == target.violation_type,
                )
            )
            or 0
        )
        if later:
            found.append(Check(False, N_("此后又因同一类型违法行为受到行政处罚 %(n)s 次"), {"n": later}))
        else:
            found.append(Check(True, N_("此后未因同一类型违法行为受到行政处罚")))
    return found


# ---------------------------------------------------------------- deciding


def _pending_request(repair_id: int) -> RepairRequest:
    request = get_request(repair_id)
    if request.status != RepairStatus.PENDING:
        raise InvalidTransition(N_("该信用修复申请已处理"))
    return request


def _decide(request: RepairRequest, by: User, status: RepairStatus, note: str) -> None:
    request.status = status
    request.decided_by_id = by.id
    request.decided_at = clock.utcnow()
    request.decision_note = note.strip()[:1000] or None


def _still_repairable(request: RepairRequest, today: date) -> Item:
    for item in items_for(request.merchant_id, today):
        if item.target == request.target and item.target_id == request.target_id:
            return item
    raise InvalidTransition(N_("该项信用信息已无需修复（已到期、已移出或已修复），请作不予修复处理并说明"))


def _end_target(request: RepairRequest, item: Item, by: User, today: date) -> None:
    if request.target == RepairTarget.PENALTY:
        penalty = db.session.get(Penalty, request.target_id)
        if penalty is not None:  # always: it is one of the merchant's repairable items
            penalty.repaired_on = today
        facts.end(FactSource.PENALTY, request.target_id, today, END_REASON)
    elif request.target == RepairTarget.RESULT:
        facts.end(FactSource.RESULT, request.target_id, today, END_REASON, rules=item.rules)
    elif request.target == RepairTarget.COMPLAINT:
        facts.end(FactSource.COMPLAINT, request.target_id, today, END_REASON, rules=item.rules)
    elif request.target == RepairTarget.LIST_ENTRY:
        entry = db.session.get(ListEntry, request.target_id)
        if entry is None:  # never: it is one of the merchant's repairable items
            raise NotFound(N_("没有该名录记录"))
        lists.remove_entry(
            entry,
            kind=RemovalKind.REPAIR,
            reason=END_REASON,
            authority=settings().AUTHORITY_NAME,
            by=by,
            on=today,
        )
        facts.end(FactSource.LIST_ENTRY, entry.id, today, END_REASON)


def approve(repair_id: int, by: User, note: str = "") -> RepairRequest:
    """Approve: the target's facts end today, its effect (hidden penalty, removed listing), the ledger record and the
    new grade, all in one transaction."""
    request = _pending_request(repair_id)
    today = clock.today()
    item = _still_repairable(request, today)
    with unit_of_work(db.session):
        _decide(request, by, RepairStatus.APPROVED, note)
        _end_target(request, item, by, today)
        db.session.flush()
        ledger.publish(repair_record(request))
        grades.regrade(request.merchant_id, f"{RECORD_TYPE}/{request.id}")
    return request


def reject(repair_id: int, by: User, note: str) -> RepairRequest:
    """Reject with the reason (shown to the merchant); nothing is published and the target stays as it was."""
    if not note.strip():
        raise ValidationFailed(N_("请填写不予修复的理由"), field="note")
    request = _pending_request(repair_id)
    with unit_of_work(db.session):
        _decide(request, by, RepairStatus.REJECTED, note)
    return request


# ---------------------------------------------------------------- evidence files


def evidence_file(request: RepairRequest, sha256: str) -> attachments.StoredFile:
    """One evidence file of the application, checked against its row (a tampered row or file is a 404)."""
    return attachments.find(request.evidence, sha256)


def evidence_name(item: dict[str, Any]) -> str:
    return PurePath(str(item.get("filename") or "evidence")).name


# ---------------------------------------------------------------- ledger


def repair_data(request: RepairRequest) -> dict[str, Any]:
    if request.status != RepairStatus.APPROVED or request.decided_at is None:
        raise ValueError(f"repair request {request.id} is not approved")
    return {
        "uscc": request.merchant.uscc,
        "target": str(request.target),
        "target_ref": target_ref(request.target, request.target_id),
        "decided_on": china_date(request.decided_at).isoformat(),
        "decision": str(request.status),
    }


def repair_record(request: RepairRequest) -> ledger.Record:
    return ledger.Record(RECORD_TYPE, str(request.id), repair_data(request))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = sa.select(RepairRequest).where(RepairRequest.status == RepairStatus.APPROVED).order_by(RepairRequest.id)
    for request in db.session.scalars(query):
        yield str(request.id), repair_data(request)


def on_merchant_changed(event: events.MerchantChanged) -> None:
    """Approved repairs carry the merchant's USCC: they follow a confirmed change."""
    query = sa.select(RepairRequest).where(
        RepairRequest.merchant_id == event.merchant_id, RepairRequest.status == RepairStatus.APPROVED
    )
    for request in db.session.scalars(query.order_by(RepairRequest.id)):
        ledger.publish(repair_record(request))


def on_reply_approving(event: events.ReplyApproving) -> None:
    """A credit-repaired result is no longer shown, so neither may a reply to it be."""
    if (RepairTarget.RESULT.value, event.task_id) in repaired_targets(event.merchant_id):
        raise InvalidTransition(replies.NO_LONGER_PUBLIC)
