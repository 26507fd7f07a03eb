"""投诉举报: filing, following with a tracking code, triage (assign → verify → decide), rewards.

The flow, each step a domain verb in one transaction:
- `submit`: anyone, with or without contact details; returns the complaint and its tracking code.
- `assign`: a regulator names the handler (an inspector) and, when known, links the merchant by USCC.
- `open_check`: optionally, a directed check of kind COMPLAINT for the linked merchant. Its reason names the
  complaint's number and category only: the merchant sees the task, never who complained.
- `record_verification`: the handler or a regulator writes what the verification found (核查情况).
- `decide`: a regulator decides 属实 or 不属实 with reasons. 属实 needs a linked merchant; it publishes a
  "complaint" ledger record (merchant, category, day, authority, reasons — nothing about the reporter), adds the
  "complaint_substantiated" credit fact and regrades the merchant.
- `decide_reward`: 举报奖励, where REPORT_REWARD_MAX > 0, for a substantiated complaint whose reporter asked for it
  and left a name and a phone number (rewards go to a real-name reporter).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from honestmeter import attachments, clock, events, tables
from honestmeter.auth.models import User
from honestmeter.chinatime import china_date, china_time
from honestmeter.complaints.models import DECIDED, Complaint, ComplaintCategory, ComplaintStatus
from honestmeter.complaints.records import RECORD_TYPE, record
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector, Task, TaskKind
from honestmeter.inspections.tasks import services as tasks
from honestmeter.labels import COMPLAINT_CATEGORY as CATEGORY_LABELS
from honestmeter.labels import COMPLAINT_STATUS as STATUS_LABELS
from honestmeter.ledger import services as ledger
from honestmeter.merchants.queries import find_by_uscc
from honestmeter.roles import Role
from honestmeter.settings import settings
from honestmeter.tables import N_

CODE_PREFIX = "TS"
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
CODE_LENGTH = 12  # 60 random bits: not guessable within any rate limit
MAX_PHOTOS = 3
MIN_DESCRIPTION, MAX_DESCRIPTION = 10, 2000
MAX_REASONS = 2000

PHONE = re.compile(r"\+?[0-9][0-9\- ]{5,19}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# ---------------------------------------------------------------- tracking codes


def new_tracking_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes, O→0 and I/L→1 as Crockford reads them."""
    text = re.sub(r"[\s\-]", "", raw or "").upper()
    return text[:2] + text[2:].translate(str.maketrans("OIL", "011"))


def display_code(code: str) -> str:
    """TS-XXXX-XXXX-XXXX: easier to read out over the phone."""
    body = code[len(CODE_PREFIX) :]
    return "-".join([CODE_PREFIX, *(body[i : i + 4] for i in range(0, len(body), 4))])


# ---------------------------------------------------------------- filing


@dataclass(frozen=True)
class NewComplaint:
    category: str
    description: str
    merchant: str = ""  # USCC or the name as the reporter knows it
    place: str = ""
    happened_on: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    wants_reward: bool = False
    photos: Sequence[attachments.Upload] = ()
    via_api: bool = False


def _category(raw: str) -> ComplaintCategory:
    try:
        return ComplaintCategory(raw)
    except ValueError:
        raise ValidationFailed(N_("请选择投诉举报类别"), field="category") from None


def _contact(entry: NewComplaint) -> tuple[str | None, str | None, str | None]:
    name = " ".join(entry.contact_name.split())[:100] or None
    phone = entry.contact_phone.strip() or None
    email = entry.contact_email.strip() or None
    if phone is not None and not PHONE.fullmatch(phone):
        raise ValidationFailed(N_("联系电话格式不正确"), field="contact_phone")
    if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise ValidationFailed(N_("电子邮箱格式不正确"), field="contact_email")
    if entry.wants_reward and (name is None or phone is None):
        raise ValidationFailed(N_("申请举报奖励须留下真实姓名和联系电话"), field="contact_phone")
    return name, phone, email


def _photos(uploads: Sequence[attachments.Upload]) -> list[dict[str, Any]]:
    given = [u for u in uploads if u.data or u.filename]
    if not given:
        return []
    if len(given) > MAX_PHOTOS:
        raise ValidationFailed(N_("照片最多 %(n)s 张"), params={"n": MAX_PHOTOS}, field="photos")
    try:
        checked = attachments.check_all(given, max_files=MAX_PHOTOS, missing="")
    except ValidationFailed as err:
        raise ValidationFailed(err.msgid, field="photos", params=err.params) from err
    return attachments.store_all(checked)


def _merchant_of(text: str) -> tuple[int | None, str]:
    """A USCC in the directory links the merchant; anything else is kept as the name the reporter gave."""
    text = " ".join(text.split())[:200]
    if len(text) == 18:
        merchant = find_by_uscc(text)
        if merchant is not None:
            return merchant.id, merchant.name
    return None, text


def submit(entry: NewComplaint) -> Complaint:
    """File a complaint; ValidationFailed names the field. Nothing is stored unless everything is valid."""
    category = _category(entry.category)
    description = entry.description.strip()
    if len(description) < MIN_DESCRIPTION:
        raise ValidationFailed(
            N_("请具体描述问题，至少 %(n)s 个字"), params={"n": MIN_DESCRIPTION}, field="description"
        )
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(N_("问题描述不能超过 %(n)s 个字"), params={"n": MAX_DESCRIPTION}, field="description")
    merchant_id, merchant_name = _merchant_of(entry.merchant)
    if not merchant_name:
        raise ValidationFailed(N_("请填写被投诉的经营者名称或统一社会信用代码"), field="merchant")
    if entry.happened_on is not None and entry.happened_on > clock.today():
        raise ValidationFailed(N_("发生日期不能晚于今天"), field="happened_on")
    name, phone, email = _contact(entry)
    with unit_of_work(db.session):
        photos = _photos(entry.photos)
        complaint = Complaint(
            tracking_code=new_tracking_code(),
            category=category,
            merchant_id=merchant_id,
            merchant_name=merchant_name,
            place=" ".join(entry.place.split())[:300],
            happened_on=entry.happened_on,
            description=description,
            photos=photos,
            contact_name=name,
            contact_phone=phone,
            contact_email=email,
            wants_reward=entry.wants_reward,
            submitted_at=clock.utcnow(),
            via_api=entry.via_api,
            status=ComplaintStatus.RECEIVED,
        )
        db.session.add(complaint)
        db.session.flush()
    return complaint


# ---------------------------------------------------------------- following


def by_tracking_code(raw: str) -> Complaint | None:
    code = normalise_code(raw)
    if len(code) != len(CODE_PREFIX) + CODE_LENGTH:
        return None
    return db.session.scalar(sa.select(Complaint).where(Complaint.tracking_code == code))


def public_status(complaint: Complaint) -> dict[str, Any]:
    """What the holder of the tracking code sees (page and API): progress and the decision, no names."""
    return {
        "tracking_code": display_code(complaint.tracking_code),
        "category": complaint.category.value,
        "status": complaint.status.value,
        "submitted_on": china_date(complaint.submitted_at).isoformat(),
        "assigned_on": china_date(complaint.assigned_at).isoformat() if complaint.assigned_at else None,
        "decided_on": china_date(complaint.decided_at).isoformat() if complaint.decided_at else None,
        "decision_reasons": complaint.decision_reasons if complaint.status in DECIDED else None,
        "reward": (format(complaint.reward_amount, "f") if complaint.reward_amount is not None else None),
    }


# ---------------------------------------------------------------- triage


def get(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(N_("没有该投诉举报"))
    return complaint


def queue_stmt(status: str = "", category: str = "") -> sa.Select[tuple[Complaint]]:
    """The regulator's list: open ones first (oldest first, as they wait), then decided ones, newest first."""
    stmt = sa.select(Complaint)
    if status in {s.value for s in ComplaintStatus}:
        stmt = stmt.where(Complaint.status == ComplaintStatus(status))
    if category in {c.value for c in ComplaintCategory}:
        stmt = stmt.where(Complaint.category == ComplaintCategory(category))
    open_first = sa.case((Complaint.status.in_(DECIDED), 1), else_=0)
    waiting = sa.case((Complaint.status.in_(DECIDED), -Complaint.id), else_=Complaint.id)
    return stmt.order_by(open_first, waiting)


EXPORT_HEADERS = (
    "编号",
    "问题类别",
    "被投诉经营者",
    "统一社会信用代码",
    "地点",
    "发生日期",
    "提交时间",
    "来源",
    "状态",
    "承办人",
    "核查任务",
    "办结时间",
    "处理意见",
    "申请奖励",
    "奖励金额（元）",
)


def export_csv(stmt: sa.Select[tuple[Complaint]]) -> bytes:
    """The regulator's filtered list as CSV for Excel. Like the page it comes from, it is for regulators only; the
    reporter's contact details are left out all the same (they are looked up one complaint at a time)."""
    rows = (
        (
            c.id,
            CATEGORY_LABELS[c.category],
            c.merchant_name,
            c.merchant.uscc if c.merchant is not None else "",
            c.place,
            c.happened_on.isoformat() if c.happened_on else "",
            china_time(c.submitted_at),
            "接口" if c.via_api else "网页",
            STATUS_LABELS[c.status],
            c.handler.name if c.handler is not None else "",
            c.task_id or "",
            china_time(c.decided_at),
            c.decision_reasons or "",
            "是" if c.wants_reward else "否",
            format(c.reward_amount, "f") if c.reward_amount is not None else "",
        )
        for c in db.session.scalars(stmt)
    )
    return tables.write_csv(EXPORT_HEADERS, rows)


def open_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(~Complaint.status.in_(DECIDED))) or 0)


def handled_by_stmt(user: User) -> sa.Select[tuple[Complaint]]:
    """Complaints the inspector handles or checks on site (through the complaint's directed task)."""
    inspector = tasks.inspector_of(user)
    if inspector is None:
        return sa.select(Complaint).where(sa.false())
    on_task = sa.select(Task.id).where(Task.assignments.any(inspector_id=inspector.id)).scalar_subquery()
    return (
        sa.select(Complaint)
        .where(sa.or_(Complaint.handler_id == inspector.id, Complaint.task_id.in_(on_task)))
        .order_by(sa.case((Complaint.status.in_(DECIDED), 1), else_=0), Complaint.id.desc())
    )


def for_inspector(complaint_id: int, user: User) -> Complaint:
    """The complaint if the inspector handles it or is on its check; otherwise NotFound (never a hint it exists)."""
    complaint = db.session.scalar(handled_by_stmt(user).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound(N_("没有该投诉举报"))
    return complaint


def is_handler(complaint: Complaint, user: User) -> bool:
    return complaint.handler is not None and complaint.handler.user_id == user.id


def _open(complaint_id: int) -> Complaint:
    complaint = get(complaint_id)
    if complaint.status in DECIDED:
        raise InvalidTransition(N_("该投诉举报已办结"))
    return complaint


def assign(complaint_id: int, *, handler_id: int, uscc: str, by: User) -> Complaint:
    """Name the handler and, with a USCC, link the merchant (needed to open a check or find it 属实)."""
    complaint = _open(complaint_id)
    handler = db.session.get(Inspector, handler_id)
    if handler is None or not handler.active:
        raise ValidationFailed(N_("所选检查人员不存在或已停用"), field="handler_id")
    code = uscc.strip().upper()
    if code:
        merchant = find_by_uscc(code)
        if merchant is None:
            raise ValidationFailed(N_("检查对象名录中没有该统一社会信用代码"), field="uscc")
        complaint.merchant_id, complaint.merchant_name = merchant.id, merchant.name
    with unit_of_work(db.session):
        complaint.handler_id = handler.id
        complaint.status = ComplaintStatus.ASSIGNED
        complaint.assigned_at = clock.utcnow()
        complaint.assigned_by_id = by.id
    return complaint


def check_reason(complaint: Complaint) -> str:
    """The directed task's reason: the complaint's number and category, nothing that identifies the reporter."""
    return f"投诉举报核查（投诉举报 #{complaint.id}：{CATEGORY_LABELS[complaint.category]}）"


def open_check(
    complaint_id: int, *, inspector_ids: Sequence[int], item_codes: Sequence[str], due_date: date | None, by: User
) -> Task:
    """A directed check (投诉举报核查) of the linked merchant, in the same transaction as the link to it."""
    complaint = _open(complaint_id)
    if complaint.status != ComplaintStatus.ASSIGNED:
        raise InvalidTransition(N_("请先指派核查人员"))
    if complaint.merchant is None:
        raise ValidationFailed(N_("请先关联被投诉经营者（统一社会信用代码）"), field="uscc")
    if complaint.task_id is not None:
        raise InvalidTransition(N_("该投诉举报已发起核查任务"))
    with unit_of_work(db.session):
        task = tasks.order_directed_task(
            kind=TaskKind.COMPLAINT,
            uscc=complaint.merchant.uscc,
            inspector_ids=inspector_ids,
            item_codes=item_codes,
            due_date=due_date,
            reason=check_reason(complaint),
            by=by,
        )
        complaint.task_id = task.id
    return task


def record_verification(complaint_id: int, *, text: str, by: User) -> Complaint:
    """核查情况, written by the handler (an inspector) or a regulator; it may be revised until the decision."""
    complaint = _open(complaint_id)
    if complaint.status != ComplaintStatus.ASSIGNED:
        raise InvalidTransition(N_("请先指派核查人员"))
    if by.role == Role.INSPECTOR and not is_handler(complaint, by):
        raise PermissionDenied(N_("只有承办人可以填写核查情况"))
    text = text.strip()
    if not text:
        raise ValidationFailed(N_("请填写核查情况"), field="verification")
    with unit_of_work(db.session):
        complaint.verification = text[:MAX_REASONS]
        complaint.verified_at = clock.utcnow()
        complaint.verified_by_id = by.id
    return complaint


def decide(complaint_id: int, *, substantiated: bool, reasons: str, by: User) -> Complaint:
    """属实 or 不属实, with reasons the reporter reads (and, if 属实, the public)."""
    complaint = _open(complaint_id)
    if complaint.verification is None:
        raise InvalidTransition(N_("请先填写核查情况"))
    reasons = reasons.strip()
    if not reasons:
        raise ValidationFailed(N_("请填写处理意见及理由"), field="reasons")
    if len(reasons) > MAX_REASONS:
        raise ValidationFailed(N_("处理意见不能超过 %(n)s 个字"), params={"n": MAX_REASONS}, field="reasons")
    if substantiated and complaint.merchant_id is None:
        raise ValidationFailed(N_("经查属实的投诉举报须关联被投诉经营者"), field="reasons")
    with unit_of_work(db.session):
        complaint.status = ComplaintStatus.SUBSTANTIATED if substantiated else ComplaintStatus.UNSUBSTANTIATED
        complaint.decision_reasons = reasons
        complaint.decided_at = clock.utcnow()
        complaint.decided_by_id = by.id
        complaint.authority = settings().AUTHORITY_NAME
        db.session.flush()
        if substantiated and complaint.merchant_id is not None:
            ref = f"{RECORD_TYPE}/{complaint.id}"
            ledger.publish(record(complaint))
            decided_on = china_date(complaint.decided_at)
            events.emit(events.ComplaintSubstantiated(complaint.merchant_id, complaint.id, decided_on, ref))
    return complaint


# ---------------------------------------------------------------- rewards (举报奖励)


def reward_max() -> Decimal:
    return Decimal(settings().REPORT_REWARD_MAX)


def reward_eligible(complaint: Complaint) -> bool:
    return (
        reward_max() > 0
        and complaint.status == ComplaintStatus.SUBSTANTIATED
        and complaint.wants_reward
        and bool(complaint.contact_name and complaint.contact_phone)
        and complaint.reward_decided_at is None
    )


def decide_reward(complaint_id: int, *, amount: str, note: str, by: User) -> Complaint:
    """Grant a reward (0 < amount ≤ REPORT_REWARD_MAX) or decline it (amount 0, with a note). Decided once."""
    complaint = get(complaint_id)
    if not reward_eligible(complaint):
        raise InvalidTransition(N_("该投诉举报不符合举报奖励条件或已作出奖励决定"))
    try:
        value = Decimal(amount.strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, AttributeError):
        raise ValidationFailed(N_("请填写奖励金额（元）"), field="amount") from None
    if value < 0 or value > reward_max():
        raise ValidationFailed(N_("奖励金额须在 0 至 %(max)s 元之间"), params={"max": reward_max()}, field="amount")
    note = note.strip()
    if value == 0 and not note:
        raise ValidationFailed(N_("不予奖励须说明理由"), field="note")
    with unit_of_work(db.session):
        complaint.reward_amount = value
        complaint.reward_note = note[:500] or None
        complaint.reward_decided_at = clock.utcnow()
        complaint.reward_decided_by_id = by.id
    return complaint


def on_merchant_changed(event: events.MerchantChanged) -> None:
    """Substantiated complaints carry the merchant's USCC: they follow a confirmed change."""
    query = sa.select(Complaint).where(
        Complaint.merchant_id == event.merchant_id, Complaint.status == ComplaintStatus.SUBSTANTIATED
    )
    for complaint in db.session.scalars(query.order_by(Complaint.id)):
        ledger.publish(record(complaint))
