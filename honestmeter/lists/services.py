"""Deciding list entries (domain.md §3.4, §4.1, §4.4): 经营异常名录, 严重违法失信名单 and 诚信计量示范单位.

- 经营异常名录: a finding with 10 无法联系 proposes a listing (inspections/followup.py) that a regulator confirms or
  rejects; a regulator also lists directly on one of the four grounds of §4.4, and removes the listing once the
  defect is cured. Removed listings stop being shown (2025 rules).
- 严重违法失信名单: listed by decision (决定书文号); removed automatically on `valid_until` (listed_on + 3 years, by
  the daily job) or early through credit repair (repairs/services.py calls `remove_entry`, from 1 year on).
- 诚信计量示范单位: the merchant applies with evidence, a regulator approves (an annual title) or rejects; the title
  is revoked with a reason or expires after `valid_until` (its last valid day).

Each listing and each removal is a new version of the entry's "list_entry" ledger record, and each changes the
merchant's credit facts and grade in the same transaction. Proposals, applications and rejections are never public.
Reading entries (what each audience sees, search, export) is `queries.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import attachments, clock, events
from honestmeter.auth.models import User
from honestmeter.chinatime import add_months, china_date
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries, records
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind, RemovalKind
from honestmeter.merchants import queries as merchant_queries
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.settings import settings
from honestmeter.tables import N_

ABNORMAL_UNREACHABLE = "通过登记的住所（经营场所）无法联系"
# The four grounds of 《企业经营异常名录管理办法》 (domain.md §4.4); the text is what 列入原因 shows.
ABNORMAL_GROUNDS: dict[str, str] = {
    "annual_report": "未按照规定的期限公示年度报告",
    "ordered_info": "未在市场监督管理部门责令的期限内公示有关企业信息",
    "false_info": "公示企业信息隐瞒真实情况、弄虚作假",
    "unreachable": ABNORMAL_UNREACHABLE,
}
MODEL_UNIT_APPLIED = "申请诚信计量示范单位"  # 列入原因 while the application waits (never public)
MODEL_UNIT_REASON = "经审核，认定为诚信计量示范单位"
EXPIRED_REASON = "称号有效期届满"
AUTOMATIC_REASON = "列入严重违法失信名单满三年，期满移出"
REJECTED_10 = "不予列入经营异常名录"

MAX_APPLICATION = 5000
MAX_EVIDENCE_FILES = 5
RENEWAL_WINDOW_DAYS = 60  # a title holder may apply for the next year this long before its title ends

# Which removals each list knows.
REMOVALS = {
    ListKind.ABNORMAL: frozenset({RemovalKind.DECISION, RemovalKind.REPAIR}),
    ListKind.SERIOUS: frozenset({RemovalKind.AUTOMATIC, RemovalKind.REPAIR}),
    ListKind.MODEL_UNIT: frozenset({RemovalKind.EXPIRED, RemovalKind.REVOKED}),
}


def authority_name() -> str:
    return settings().AUTHORITY_NAME


# ---------------------------------------------------------------- terms


def repair_eligible_on(entry: ListEntry) -> date | None:
    """The first day early removal by credit repair may be applied for: after 1 year on the 严重违法失信名单
    (domain.md §4.1). None when repair does not apply: other lists, or not listed."""
    if entry.kind != ListKind.SERIOUS or entry.status != EntryStatus.LISTED or entry.listed_on is None:
        return None
    return add_months(entry.listed_on, settings().SERIOUS_LIST_REPAIR_MONTHS)


def model_unit_valid_until(listed_on: date) -> date:
    """The last day of a title granted from `listed_on`: MODEL_UNIT_VALID_MONTHS later, less one day."""
    return add_months(listed_on, settings().MODEL_UNIT_VALID_MONTHS) - timedelta(days=1)


def serious_removal_day(listed_on: date) -> date:
    """The day a 严重违法失信名单 listing is removed automatically: SERIOUS_LIST_YEARS after listing."""
    return add_months(listed_on, 12 * settings().SERIOUS_LIST_YEARS)


# ---------------------------------------------------------------- shared steps (caller's transaction)


def _text(value: str, field: str, message: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed(message, field=field)
    if len(text) > limit:
        raise ValidationFailed(N_("内容过长，请精简"), field=field)
    return text


def _merchant_by_uscc(raw: str) -> Merchant:
    code = uscc_rules.normalize(raw or "")
    if not code:
        raise ValidationFailed(N_("请填写统一社会信用代码"), field="uscc")
    merchant = merchant_queries.find_by_uscc(code)
    if merchant is None:
        raise ValidationFailed(N_("检查对象名录中没有该统一社会信用代码的经营者"), field="uscc")
    return merchant


def _decision_day(day: date | None, field: str) -> date:
    today = clock.today()
    day = day or today
    if day > today:
        raise ValidationFailed(N_("日期不能晚于今天"), field=field)
    return day


def _decide(entry: ListEntry, by: User, note: str, status: EntryStatus) -> None:
    entry.status = status
    entry.decided_by_id = by.id
    entry.decided_at = clock.utcnow()
    entry.decision_note = note.strip()[:500] or None


def result_10_ended(merchant_id: int, checked_on: date) -> tuple[date, str] | None:
    """For a 10 result checked on `checked_on` and published only now: the day and reason it already stopped counting
    (a later decision rejected the merchant's 经营异常名录 proposal, or removed the listing), or None while it counts
    (no decision yet, or a proposal pending or a listing in force). For the publication, which adds result facts."""
    rows = db.session.scalars(
        sa.select(ListEntry).where(
            ListEntry.merchant_id == merchant_id,
            ListEntry.kind == ListKind.ABNORMAL,
            ListEntry.source_task_id.is_not(None),
        )
    ).all()
    if any(e.status in (EntryStatus.PROPOSED, EntryStatus.LISTED) for e in rows):
        return None
    ends = []
    for e in rows:
        if e.status == EntryStatus.REJECTED and e.decided_at is not None:
            ends.append((china_date(e.decided_at), REJECTED_10))
        elif e.status == EntryStatus.REMOVED and e.removed_on is not None:
            ends.append((e.removed_on, e.removal_reason or ""))
    later = sorted(end for end in ends if end[0] >= checked_on)
    return later[0] if later else None


def _publish(entry: ListEntry) -> str:
    """The entry's new "list_entry" record version; its ref."""
    db.session.flush()
    ledger.publish(records.entry_record(entry))
    return f"{records.RECORD_TYPE}/{entry.id}"


def _list(entry: ListEntry, listed_on: date) -> None:
    """Make a decided entry LISTED from `listed_on`, with its credit fact, ledger record and the new grade."""
    entry.status = EntryStatus.LISTED
    entry.listed_on = listed_on
    if entry.kind == ListKind.SERIOUS:
        entry.valid_until = serious_removal_day(listed_on)
    elif entry.kind == ListKind.MODEL_UNIT:
        entry.valid_until = model_unit_valid_until(listed_on)
    ref = _publish(entry)
    events.emit(events.EntryListed(entry.merchant_id, entry.id, str(entry.kind), listed_on, ref))


def remove_entry(
    entry: ListEntry,
    *,
    kind: RemovalKind,
    reason: str,
    authority: str,
    by: User | None,
    on: date | None = None,
) -> ListEntry:
    """Remove a listing inside the caller's transaction (the caller commits): REMOVED from `on` (default today),
    a new "list_entry" record version, and EntryRemoved (ratings ends the facts it caused that day and regrades).

    Credit repair (repairs/services.py) calls this with RemovalKind.REPAIR; the removal then stops being shown
    publicly along with the listing (domain.md §4.1)."""
    if entry.status != EntryStatus.LISTED:
        raise InvalidTransition(N_("该名录记录不在列入状态，无法移出"))
    if kind not in REMOVALS[entry.kind]:
        raise InvalidTransition(N_("该名录不适用这种移出方式"))
    reason = _text(reason, "reason", N_("请填写移出原因"), 500)
    authority = _text(authority, "authority", N_("请填写作出决定机关"), 100)
    on = on or clock.today()
    if on > clock.today():
        raise ValidationFailed(N_("移出日期不能晚于今天"), field="removed_on")
    if entry.listed_on is not None and on < entry.listed_on and entry.kind != ListKind.MODEL_UNIT:
        # (a 示范单位 renewal may be revoked before it starts: it then never counted)
        raise ValidationFailed(N_("移出日期不能早于列入日期"), field="removed_on")
    entry.status = EntryStatus.REMOVED
    entry.removed_on = on
    entry.removal_kind = kind
    entry.removal_reason = reason
    entry.removal_authority = authority
    entry.removed_by_id = None if by is None else by.id
    ref = _publish(entry)
    from_result = entry.kind == ListKind.ABNORMAL and entry.source_task_id is not None
    events.emit(events.EntryRemoved(entry.merchant_id, entry.id, on, reason, from_result, ref))
    return entry


# ---------------------------------------------------------------- 经营异常名录


def confirm_listing(entry: ListEntry, by: User, note: str = "") -> ListEntry:
    """Confirm an 经营异常名录 proposal: listed today, in the ledger as a "list_entry" record, −15 and at best C."""
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition("该列入建议已处理")
    if entry.kind != ListKind.ABNORMAL:
        raise InvalidTransition(N_("示范单位申请请在示范单位审核页处理"))
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.LISTED)
        _list(entry, clock.today())
    return entry


def reject_listing(entry: ListEntry, by: User, note: str) -> ListEntry:
    """Reject a proposal, with the reason; nothing is published, and the 10 result stops counting."""
    if not note.strip():
        raise ValidationFailed("请填写不予列入的理由", field="note")
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition("该列入建议已处理")
    if entry.kind != ListKind.ABNORMAL:
        raise InvalidTransition(N_("示范单位申请请在示范单位审核页处理"))
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.REJECTED)
        db.session.flush()
        ref = f"{records.RECORD_TYPE}/{entry.id}"
        events.emit(
            events.ListingRejected(entry.merchant_id, entry.id, entry.source_task_id, clock.today(), REJECTED_10, ref)
        )
    return entry


def list_abnormal(*, uscc: str, ground: str, note: str, authority: str, listed_on: date | None, by: User) -> ListEntry:
    """List a merchant on the 经营异常名录 directly, on one of the four grounds (its text is the 列入原因)."""
    merchant = _merchant_by_uscc(uscc)
    if ground not in ABNORMAL_GROUNDS:
        raise ValidationFailed(N_("请选择列入事由"), field="ground")
    reason = ABNORMAL_GROUNDS[ground]
    authority = _text(authority, "authority", N_("请填写作出决定机关"), 100)
    day = _decision_day(listed_on, "listed_on")
    open_same = db.session.scalar(
        sa.select(sa.func.count(ListEntry.id)).where(
            ListEntry.merchant_id == merchant.id,
            ListEntry.kind == ListKind.ABNORMAL,
            ListEntry.reason == reason,
            ListEntry.status.in_([EntryStatus.PROPOSED, EntryStatus.LISTED]),
        )
    )
    if open_same:
        raise InvalidTransition(N_("该经营者已因同一事由列入经营异常名录或有待审核的列入建议"))
    with unit_of_work(db.session):
        entry = ListEntry(
            kind=ListKind.ABNORMAL,
            merchant_id=merchant.id,
            reason=reason,
            authority=authority,
            proposed_at=clock.utcnow(),
        )
        db.session.add(entry)
        _decide(entry, by, note, EntryStatus.LISTED)
        _list(entry, day)
    return entry


def remove_abnormal(entry: ListEntry, *, reason: str, authority: str, removed_on: date | None, by: User) -> ListEntry:
    """Remove an 经营异常名录 listing once the defect is cured (a regulator's decision)."""
    if entry.kind != ListKind.ABNORMAL:
        raise InvalidTransition(N_("该名录不适用这种移出方式"))
    with unit_of_work(db.session):
        remove_entry(entry, kind=RemovalKind.DECISION, reason=reason, authority=authority, by=by, on=removed_on)
    return entry


def propose(*, merchant_id: int, kind: ListKind, reason: str, authority: str, source_task_id: int | None) -> ListEntry:
    """A proposal inside the caller's transaction; the existing one if the merchant already has one (or is listed)."""
    existing = queries.open_proposal(merchant_id, kind)
    if existing is not None:
        return existing
    entry = ListEntry(
        kind=kind,
        merchant_id=merchant_id,
        status=EntryStatus.PROPOSED,
        reason=reason,
        authority=authority,
        source_task_id=source_task_id,
        proposed_at=clock.utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# ---------------------------------------------------------------- 严重违法失信名单


def list_serious(
    *, uscc: str, decision_no: str, reason: str, authority: str, listed_on: date | None, by: User
) -> ListEntry:
    """List by decision (决定书文号): in force until `valid_until`, SERIOUS_LIST_YEARS later; the grade becomes D."""
    merchant = _merchant_by_uscc(uscc)
    decision_no = _text(decision_no, "decision_no", N_("请填写列入决定书文号"), 100)
    reason = _text(reason, "reason", N_("请填写列入原因"), 500)
    authority = _text(authority, "authority", N_("请填写作出决定机关"), 100)
    day = _decision_day(listed_on, "listed_on")
    if serious_removal_day(day) <= clock.today():
        raise ValidationFailed(N_("按该列入日期，列入期限已届满"), field="listed_on")
    taken = db.session.scalar(
        sa.select(sa.func.count(ListEntry.id)).where(
            ListEntry.kind == ListKind.SERIOUS, ListEntry.decision_no == decision_no
        )
    )
    if taken:
        raise ValidationFailed(N_("该决定书文号已登记"), field="decision_no")
    with unit_of_work(db.session):
        entry = ListEntry(
            kind=ListKind.SERIOUS,
            merchant_id=merchant.id,
            reason=reason,
            authority=authority,
            decision_no=decision_no,
            proposed_at=clock.utcnow(),
        )
        db.session.add(entry)
        _decide(entry, by, "", EntryStatus.LISTED)
        _list(entry, day)
    return entry


# ---------------------------------------------------------------- 诚信计量示范单位


def application_block(merchant_id: int, today: date | None = None) -> str | None:
    """Why the merchant cannot apply now (a message), or None when it can."""
    today = today or clock.today()
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None or merchant.status != MerchantStatus.ACTIVE:
        return N_("只有在营的经营者可以申请诚信计量示范单位")
    rows = db.session.scalars(
        sa.select(ListEntry).where(
            ListEntry.merchant_id == merchant_id,
            ListEntry.kind.in_([ListKind.MODEL_UNIT, ListKind.SERIOUS, ListKind.ABNORMAL]),
            ListEntry.status.in_([EntryStatus.PROPOSED, EntryStatus.LISTED]),
        )
    ).all()
    if any(e.kind == ListKind.MODEL_UNIT and e.status == EntryStatus.PROPOSED for e in rows):
        return N_("已有正在审核的示范单位申请")
    if any(e.kind != ListKind.MODEL_UNIT and e.status == EntryStatus.LISTED for e in rows):
        return N_("列入经营异常名录或严重违法失信名单期间不能申请诚信计量示范单位")
    titles = [e for e in rows if e.kind == ListKind.MODEL_UNIT and e.valid_until is not None]
    if titles:
        last = max(e.valid_until for e in titles if e.valid_until is not None)
        if (last - today).days >= RENEWAL_WINDOW_DAYS:
            return N_("已是诚信计量示范单位，可在称号有效期届满前 %(n)s 日内申请下一年度") % {"n": RENEWAL_WINDOW_DAYS}
    return None


def apply_model_unit(
    *, merchant_id: int, by: User, application: str, evidence: Sequence[attachments.Upload]
) -> ListEntry:
    """A merchant's application for the 诚信计量示范单位 title, with its case and evidence files (PDF/JPEG/PNG).
    One open application at a time."""
    if by.merchant_id != merchant_id:
        raise NotFound("没有该经营者")
    text = application.strip()
    if not text:
        raise ValidationFailed(N_("请说明申请理由和诚信计量工作情况"), field="application")
    if len(text) > MAX_APPLICATION:
        raise ValidationFailed(N_("申请说明不能超过%(max)s个字"), params={"max": MAX_APPLICATION}, field="application")
    if (blocked := application_block(merchant_id)) is not None:
        raise InvalidTransition(blocked)
    files = attachments.check_all(evidence, max_files=MAX_EVIDENCE_FILES, missing=N_("请上传证明材料"))
    with unit_of_work(db.session):
        stored = attachments.store_all(files)
        entry = ListEntry(
            kind=ListKind.MODEL_UNIT,
            merchant_id=merchant_id,
            status=EntryStatus.PROPOSED,
            reason=MODEL_UNIT_APPLIED,
            authority=authority_name(),
            application=text,
            evidence=stored,
            proposed_at=clock.utcnow(),
        )
        db.session.add(entry)
        db.session.flush()
    return entry


def _pending_application(entry: ListEntry) -> None:
    if entry.kind != ListKind.MODEL_UNIT:
        raise InvalidTransition(N_("该记录不是示范单位申请"))
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition(N_("该申请已处理"))


def approve_model_unit(entry: ListEntry, by: User, *, authority: str = "", note: str = "") -> ListEntry:
    """Grant the title: listed today (or, for a renewal, the day after the current title ends) for
    MODEL_UNIT_VALID_MONTHS; +10 while valid; a ledger record and the certificate can be printed."""
    _pending_application(entry)
    authority = _text(authority or authority_name(), "authority", N_("请填写作出决定机关"), 100)
    if queries.listed(entry.merchant_id, ListKind.ABNORMAL) or queries.listed(entry.merchant_id, ListKind.SERIOUS):
        raise InvalidTransition(N_("该经营者已列入经营异常名录或严重违法失信名单，不能认定为示范单位"))
    start = clock.today()
    current = db.session.scalars(
        sa.select(ListEntry).where(
            ListEntry.merchant_id == entry.merchant_id,
            ListEntry.kind == ListKind.MODEL_UNIT,
            ListEntry.status == EntryStatus.LISTED,
            ListEntry.id != entry.id,
        )
    ).all()
    for title in current:
        if title.valid_until is not None and title.valid_until >= start:
            start = title.valid_until + timedelta(days=1)
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.LISTED)
        entry.authority = authority
        entry.reason = MODEL_UNIT_REASON
        _list(entry, start)
    return entry


def reject_model_unit(entry: ListEntry, by: User, note: str) -> ListEntry:
    """Reject an application with the reason the merchant sees; nothing is published."""
    if not note.strip():
        raise ValidationFailed(N_("请填写不予认定的理由"), field="note")
    _pending_application(entry)
    with unit_of_work(db.session):
        _decide(entry, by, note, EntryStatus.REJECTED)
    return entry


def revoke_model_unit(entry: ListEntry, by: User, *, reason: str, authority: str, on: date | None = None) -> ListEntry:
    """Withdraw a title, with the reason: it stops counting and being shown from `on` (default today)."""
    if entry.kind != ListKind.MODEL_UNIT:
        raise InvalidTransition(N_("该名录不适用这种移出方式"))
    with unit_of_work(db.session):
        remove_entry(entry, kind=RemovalKind.REVOKED, reason=reason, authority=authority, by=by, on=on)
    return entry


# ---------------------------------------------------------------- the daily job


def expire_due(today: date | None = None) -> list[ListEntry]:
    """Expire 示范单位 titles past `valid_until` (EXPIRED, removed the day after) and remove 严重违法失信名单 listings
    that reached `valid_until` (AUTOMATIC, removed that day). One transaction; running it twice does nothing more.
    The removal day comes from the entry, not from when the job runs, so a late run records the same facts."""
    today = today or clock.today()
    due = db.session.scalars(
        sa.select(ListEntry)
        .where(
            ListEntry.status == EntryStatus.LISTED,
            sa.or_(
                sa.and_(ListEntry.kind == ListKind.MODEL_UNIT, ListEntry.valid_until < today),
                sa.and_(ListEntry.kind == ListKind.SERIOUS, ListEntry.valid_until <= today),
            ),
        )
        .order_by(ListEntry.id)
    ).all()
    if not due:
        return []
    with unit_of_work(db.session):
        for entry in due:
            if entry.valid_until is None:  # never: the query selected on it
                continue
            if entry.kind == ListKind.MODEL_UNIT:
                kind, reason, on = RemovalKind.EXPIRED, EXPIRED_REASON, entry.valid_until + timedelta(days=1)
            else:
                kind, reason, on = RemovalKind.AUTOMATIC, AUTOMATIC_REASON, entry.valid_until
            remove_entry(entry, kind=kind, reason=reason, authority=entry.authority, by=None, on=on)
    return list(due)
