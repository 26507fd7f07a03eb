"""Tasks and findings: what inspectors record on site, confirmed by every assigned inspector (双人确认).

Rules kept here (routes only parse and render):

- Only the inspectors assigned to a task see it, record its finding, add photos and confirm; for anyone else the
  task does not exist (NotFound), so ids reveal nothing.
- A finding carries a set of SAMR result codes (results.validate_codes: at least one, 01 excludes the others).
  Instrument checks and net-content samples are judged by the pure cores (instrument_check, netcontent); the
  verdict is computed, never typed. "01 未发现问题" cannot stand next to a failed item, instrument or sample.
- Every change (the form, a photo added or removed, a regulator sending it back) bumps `Finding.revision` and
  clears every confirmation, so each inspector confirms exactly the content they saw. Saving unchanged content
  changes nothing (a double submit does not cost the partner's confirmation).
- Evidence: photos are optional when the result is 01; any other result needs at least one photo or a note
  explaining why there is none (checked when confirming). Every check item needs a conclusion before confirming.
- When every assigned inspector has confirmed the same revision the task is COMPLETED, its publication deadline
  is set in working days from the completion date (Asia/Shanghai) and followup.on_completed runs in the same
  transaction. A completed finding is read-only for inspectors; a regulator may send it back (reopen) until
  it is published. Nothing here is public yet: results reach the ledger when they are published (publication).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import (
    CheckForm,
    CheckItem,
    Decision,
    EvidencePhoto,
    Finding,
    Inspector,
    InstrumentCheck,
    NetContentSample,
    Recusal,
    Task,
    TaskInspector,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.results import codes as results
from honestmeter.inspections.results import followup, workdays
from honestmeter.inspections.tasks import evidence, netcontent
from honestmeter.inspections.tasks.instrument_check import judge_instrument
from honestmeter.instruments import queries as instrument_queries
from honestmeter.instruments.models import Instrument
from honestmeter.merchants.models import Merchant
from honestmeter.settings import settings
from honestmeter.tables import N_

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACTIVE = (TaskStatus.OPEN, TaskStatus.RECORDING)
DONE = (TaskStatus.COMPLETED, TaskStatus.PUBLISHED)
VERDICTS = ("pass", "fail", "na")  # 符合 / 不符合 / 不适用; "" while not yet judged
SAMPLE_UNITS = ("g", "mL", "m", "m2", "count")
VALID_IN_LEDGER = frozenset({"ok", "due_soon", "exempt"})  # instrument states whose verification is in force
MAX_PACKAGES = 200
DIRECTED_KINDS = (TaskKind.DIRECTED, TaskKind.COMPLAINT)


def create_task(
    *,
    kind: TaskKind,
    merchant_id: int,
    inspector_ids: Sequence[int],
    item_codes: Sequence[str],
    authority: str,
    reason: str | None,
    due_date: date | None,
    created_by: User | None,
    parent_task_id: int | None = None,
    plan_id: int | None = None,
) -> Task:
    """A labelled directed task (complaint, re-inspection, D-grade) inside the caller's transaction.

    Random tasks come only from a draw (draws.py); this refuses to make one.
    """
    if kind == TaskKind.RANDOM:
        raise ValidationFailed("随机抽查任务只能由摇号产生", field="kind")
    ids = list(dict.fromkeys(inspector_ids))
    if len(ids) < 2:  # 行政处罚法 Art. 42
        raise ValidationFailed("每项检查至少指派两名执法人员", field="inspector_ids")
    inspectors = db.session.scalars(sa.select(Inspector).where(Inspector.id.in_(ids), Inspector.active)).all()
    if len(inspectors) != len(ids):
        raise ValidationFailed("所选检查人员不存在或已停用", field="inspector_ids")
    recused = db.session.scalar(
        sa.select(Inspector.name)
        .join(Recusal, Recusal.inspector_id == Inspector.id)
        .where(
            Recusal.merchant_id == merchant_id,
            Recusal.inspector_id.in_(ids),
            Recusal.status == Decision.APPROVED,
        )
    )
    if recused:
        raise ValidationFailed(f"{recused} 须回避该检查对象", field="inspector_ids")
    task = Task(
        kind=kind,
        merchant_id=merchant_id,
        item_codes=list(item_codes),
        authority=authority,
        reason=reason,
        due_date=due_date,
        created_by_id=None if created_by is None else created_by.id,
        parent_task_id=parent_task_id,
        plan_id=plan_id,
    )
    task.assignments = [TaskInspector(inspector_id=i, position=n) for n, i in enumerate(ids)]
    db.session.add(task)
    db.session.flush()
    return task


# ---------------------------------------------------------------- reading


def inspector_of(user: User) -> Inspector | None:
    return db.session.scalar(sa.select(Inspector).where(Inspector.user_id == user.id))


def assignment_of(task: Task, user: User) -> TaskInspector | None:
    """The signed-in user's place on the task, or None when they are not assigned to it."""
    return next((a for a in task.assignments if a.inspector.user_id == user.id), None)


def _load(task_id: int) -> Task | None:
    return db.session.scalar(
        sa.select(Task).where(Task.id == task_id).options(selectinload(Task.assignments), selectinload(Task.finding))
    )


def task_for_inspector(task_id: int, user: User) -> Task:
    """The task if `user` is one of its inspectors; NotFound otherwise (also for tasks that exist)."""
    task = _load(task_id)
    if task is None or assignment_of(task, user) is None:
        raise NotFound(N_("检查任务不存在"))
    return task


def task_for_admin(task_id: int) -> Task:
    task = _load(task_id)
    if task is None:
        raise NotFound(N_("检查任务不存在"))
    return task


@dataclass(frozen=True)
class MyTasks:
    active: list[Task]  # OPEN or RECORDING, soonest due first
    completed: list[Task]  # COMPLETED or PUBLISHED, newest first


def my_tasks(user: User, *, recent: int = 10) -> MyTasks:
    """The tasks `user` is assigned to: the ones to do, then the most recently completed."""
    mine = (
        sa.select(Task)
        .join(TaskInspector, TaskInspector.task_id == Task.id)
        .join(Inspector, Inspector.id == TaskInspector.inspector_id)
        .where(Inspector.user_id == user.id)
        .options(selectinload(Task.assignments), selectinload(Task.finding), selectinload(Task.plan))
    )
    active = db.session.scalars(
        mine.where(Task.status.in_(ACTIVE)).order_by(Task.due_date.is_(None), Task.due_date, Task.id)
    ).all()
    completed = db.session.scalars(
        mine.where(Task.status.in_(DONE)).order_by(Task.completed_at.desc(), Task.id.desc()).limit(recent)
    ).all()
    return MyTasks(list(active), list(completed))


def check_items(task: Task) -> list[CheckItem]:
    """The check items of the task, in the task's order (codes no longer in the list are skipped)."""
    found = {i.code: i for i in db.session.scalars(sa.select(CheckItem).where(CheckItem.code.in_(task.item_codes)))}
    return [found[c] for c in task.item_codes if c in found]


def active_check_items() -> list[CheckItem]:
    return list(
        db.session.scalars(sa.select(CheckItem).where(CheckItem.active).order_by(CheckItem.sort_order, CheckItem.code))
    )


def active_inspectors() -> list[Inspector]:
    return list(db.session.scalars(sa.select(Inspector).where(Inspector.active).order_by(Inspector.badge_number)))


def merchant_instruments(merchant_id: int) -> list[tuple[Instrument, str]]:
    """The merchant's instrument ledger with each instrument's state (ok, overdue, …)."""
    today = clock.today()
    return [(i, instrument_queries.state_of(i, today)) for i in instrument_queries.for_merchant(merchant_id)]


def ledger_says_valid(instrument: Instrument, today: date | None = None) -> bool:
    """What the ledger says about the instrument's verification: in force (or not subject to it)."""
    return instrument_queries.state_of(instrument, today) in VALID_IN_LEDGER


def confirmed_current(task: Task) -> dict[int, bool]:
    """inspector_id → whether they confirmed the finding's current revision."""
    revision = task.finding.revision if task.finding else None
    return {a.inspector_id: revision is not None and a.confirmed_revision == revision for a in task.assignments}


def editable(task: Task) -> bool:
    return task.status in ACTIVE


def evidence_missing(finding: Finding) -> bool:
    """A result other than 01 needs at least one photo or a note explaining why there is none."""
    return list(finding.result_codes) != [results.CLEAN] and not finding.photos and not finding.notes.strip()


def unjudged_items(task: Task) -> list[str]:
    finding = task.finding
    given = finding.item_results if finding else {}
    return [c for c in task.item_codes if not given.get(c, {}).get("verdict")]


@dataclass(frozen=True)
class TaskFilter:
    status: str = ""
    kind: str = ""
    plan_id: int | None = None
    overdue: bool = False
    q: str = ""


def task_query(f: TaskFilter) -> sa.Select[Any]:
    """The regulator's task list, newest first, for web.paginate."""
    stmt = sa.select(Task).join(Merchant, Merchant.id == Task.merchant_id)
    if f.status in {s.value for s in TaskStatus}:
        stmt = stmt.where(Task.status == TaskStatus(f.status))
    if f.kind in {k.value for k in TaskKind}:
        stmt = stmt.where(Task.kind == TaskKind(f.kind))
    if f.plan_id is not None:
        stmt = stmt.where(Task.plan_id == f.plan_id)
    if f.overdue:
        stmt = stmt.where(Task.status.in_(ACTIVE), Task.due_date < clock.today())
    q = f.q.strip()
    if q:
        stmt = stmt.where(
            sa.or_(Merchant.name.contains(q, autoescape=True), Merchant.uscc.startswith(q.upper(), autoescape=True))
        )
    return stmt.options(selectinload(Task.assignments), selectinload(Task.plan)).order_by(Task.id.desc())


@dataclass(frozen=True)
class Event:
    at: datetime
    message: str  # an N_ msgid
    params: dict[str, Any] = field(default_factory=dict)


def timeline(task: Task) -> list[Event]:
    """What happened to the task, oldest first, derived from its rows."""
    events = [Event(task.created_at, N_("任务创建"))]
    finding = task.finding
    if finding is not None:
        events.append(Event(finding.created_at, N_("开始记录检查结果")))
        events.extend(
            Event(p.uploaded_at, N_("上传现场照片 %(caption)s"), {"caption": p.caption}) for p in finding.photos
        )
        if finding.revision > 1:
            events.append(
                Event(finding.updated_at, N_("最近修改（第 %(revision)s 版）"), {"revision": finding.revision})
            )
    events.extend(
        Event(
            a.confirmed_at,
            N_("%(name)s 确认第 %(revision)s 版"),
            {"name": a.inspector.name, "revision": a.confirmed_revision},
        )
        for a in task.assignments
        if a.confirmed_at is not None
    )
    if task.completed_at is not None:
        events.append(Event(task.completed_at, N_("全部检查人员确认，任务完成")))
    if task.published_at is not None:
        events.append(Event(task.published_at, N_("检查结果已公示")))
    return sorted(events, key=lambda e: e.at)


# ---------------------------------------------------------------- recording a finding


@dataclass(frozen=True)
class ItemEntry:
    code: str
    verdict: str  # one of VERDICTS, or "" while not yet judged
    note: str = ""


@dataclass(frozen=True)
class InstrumentEntry:
    instrument_id: int | None  # None: an instrument not in the merchant's ledger
    description: str
    serial_found: bool
    verification_valid: bool | None  # None: as the merchant's ledger says
    measured_error: Decimal | None = None
    mpe: Decimal | None = None
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class SampleEntry:
    product: str
    batch: str
    nominal: Decimal | None
    unit: str
    actuals: str  # as typed: the packages' actual contents separated by spaces, commas or new lines
    allowed_t1: int = 0


@dataclass(frozen=True)
class FindingEntry:
    checked_on: date
    result_codes: Sequence[str]
    items: Sequence[ItemEntry] = ()
    instruments: Sequence[InstrumentEntry] = ()
    samples: Sequence[SampleEntry] = ()
    notes: str = ""


_CHECK_KEYS = (
    "instrument_id",
    "description",
    "serial_found",
    "verification_valid",
    "measured_error",
    "mpe",
    "unit",
    "note",
)
_SAMPLE_KEYS = ("product", "batch", "nominal", "unit", "actuals", "allowed_t1")


def record_finding(task_id: int, user: User, entry: FindingEntry) -> Finding:
    """Create or update the task's finding. A change bumps the revision and clears every confirmation."""
    with unit_of_work(db.session):
        task = task_for_inspector(task_id, user)
        if not editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        codes = _codes(entry.result_codes)
        item_results = _item_results(task, entry.items)
        checks = [_instrument_row(task, n, e) for n, e in enumerate(entry.instruments)]
        samples = [_sample_row(n, e) for n, e in enumerate(entry.samples)]
        _consistent(task, codes, item_results, checks, samples)
        content = {
            "checked_on": entry.checked_on,
            "result_codes": list(codes),
            "item_results": item_results,
            "notes": entry.notes.strip(),
            "checks": [{k: c[k] for k in _CHECK_KEYS} for c in checks],
            "samples": [{k: s[k] for k in _SAMPLE_KEYS} for s in samples],
        }
        finding = task.finding
        if finding is not None and _content(finding) == content:
            return finding
        if finding is None:
            finding = Finding(task=task, revision=1, recorded_by_id=user.id)
            db.session.add(finding)
        else:
            finding.revision += 1
        finding.checked_on = entry.checked_on
        finding.result_codes = list(codes)
        finding.item_results = item_results
        finding.notes = entry.notes.strip()
        finding.recorded_by_id = user.id
        finding.instrument_checks = [InstrumentCheck(**c) for c in checks]
        finding.samples = [NetContentSample(**s) for s in samples]
        _changed(task)
        db.session.flush()
        return finding


def _content(finding: Finding) -> dict[str, Any]:
    return {
        "checked_on": finding.checked_on,
        "result_codes": list(finding.result_codes),
        "item_results": dict(finding.item_results),
        "notes": finding.notes,
        "checks": [{k: getattr(c, k) for k in _CHECK_KEYS} for c in finding.instrument_checks],
        "samples": [{k: getattr(s, k) for k in _SAMPLE_KEYS} for s in finding.samples],
    }


def _changed(task: Task) -> None:
    """The finding changed: every inspector must confirm again."""
    for a in task.assignments:
        a.confirmed_revision = None
        a.confirmed_at = None
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.RECORDING


def _codes(codes: Sequence[str]) -> tuple[str, ...]:
    try:
        return results.validate_codes(codes)
    except ValidationFailed as err:
        raise ValidationFailed(err.msgid, field="result_codes", params=err.params) from None


def _item_results(task: Task, items: Sequence[ItemEntry]) -> dict[str, dict[str, str]]:
    given = {e.code: e for e in items}
    unknown = set(given) - set(task.item_codes)
    if unknown:
        raise ValidationFailed(N_("检查事项不属于本任务"), field="items")
    out: dict[str, dict[str, str]] = {}
    for n, code in enumerate(task.item_codes):
        e = given.get(code)
        verdict = (e.verdict if e else "").strip()
        if verdict and verdict not in VERDICTS:
            raise ValidationFailed(N_("请选择符合、不符合或不适用"), field=f"items-{n}-verdict")
        note = (e.note if e else "").strip()
        if len(note) > 500:
            raise ValidationFailed(N_("说明不能超过 500 字"), field=f"items-{n}-note")
        out[code] = {"verdict": verdict, "note": note}
    return out


def _text(value: str, limit: int, name: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ValidationFailed(N_("内容过长"), field=name)
    return value


def _instrument_row(task: Task, n: int, e: InstrumentEntry) -> dict[str, Any]:
    prefix = f"instruments-{n}-"
    description = _text(e.description, 200, prefix + "description")
    valid = e.verification_valid
    if e.instrument_id is not None:
        instrument = db.session.get(Instrument, e.instrument_id)
        if instrument is None or instrument.merchant_id != task.merchant_id:
            raise ValidationFailed(N_("该器具不在本经营者的台账中"), field=prefix + "instrument_id")
        description = description or f"{instrument.type.name} {instrument.serial_number}"
        if valid is None:
            valid = ledger_says_valid(instrument)
    elif not description:
        raise ValidationFailed(N_("请从台账中选择器具，或描述台账外的器具"), field=prefix + "description")
    if valid is None:
        raise ValidationFailed(N_("台账外的器具请填写检定是否有效"), field=prefix + "verification_valid")
    try:
        verdict = judge_instrument(
            serial_found=e.serial_found, verification_valid=valid, measured_error=e.measured_error, mpe=e.mpe
        )
    except ValueError:
        raise ValidationFailed(N_("最大允许误差须为非负数"), field=prefix + "mpe") from None
    return {
        "instrument_id": e.instrument_id,
        "description": description,
        "serial_found": e.serial_found,
        "verification_valid": valid,
        "measured_error": e.measured_error,
        "mpe": e.mpe,
        "unit": _text(e.unit, 16, prefix + "unit"),
        "note": _text(e.note, 500, prefix + "note"),
        "passed": verdict.passed,
    }


_SEPARATORS = re.compile(r"[\s,，;；、]+")


def parse_actuals(text: str) -> list[Decimal]:
    """The actual contents as typed ("498.5 501, 499") → Decimals; ValueError naming the first bad value."""
    values = []
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        try:
            value = Decimal(token)
        except InvalidOperation:
            raise ValueError(token) from None
        if not value.is_finite():
            raise ValueError(token)
        values.append(value)
    return values


def _sample_row(n: int, e: SampleEntry) -> dict[str, Any]:
    prefix = f"samples-{n}-"
    product = _text(e.product, 200, prefix + "product")
    if not product:
        raise ValidationFailed(N_("请填写商品名称"), field=prefix + "product")
    if e.nominal is None:
        raise ValidationFailed(N_("请填写标注净含量"), field=prefix + "nominal")
    if e.unit not in SAMPLE_UNITS:
        raise ValidationFailed(N_("计量单位无效"), field=prefix + "unit")
    if e.allowed_t1 < 0:
        raise ValidationFailed(N_("允许的 T1 类短缺件数不能为负数"), field=prefix + "allowed_t1")
    unit = cast(netcontent.Unit, e.unit)
    try:
        netcontent.allowed_shortfall(e.nominal, unit)
    except netcontent.NetContentError as err:
        raise ValidationFailed(str(err), field=prefix + "nominal") from None
    try:
        actuals = parse_actuals(e.actuals)
    except ValueError as err:
        raise ValidationFailed(N_("“%(value)s”不是数值"), params={"value": err}, field=prefix + "actuals") from None
    if len(actuals) > MAX_PACKAGES:
        raise ValidationFailed(N_("一个样本最多 200 件"), field=prefix + "actuals")
    try:
        verdict = netcontent.judge_sample(e.nominal, unit, actuals, allowed_t1=e.allowed_t1)
    except netcontent.NetContentError as err:
        raise ValidationFailed(str(err), field=prefix + "actuals") from None
    return {
        "product": product,
        "batch": _text(e.batch, 100, prefix + "batch"),
        "nominal": e.nominal,
        "unit": e.unit,
        "actuals": [format(a, "f") for a in actuals],
        "allowed_t1": e.allowed_t1,
        "shortfall_limit": verdict.t,
        # Rounded down to the column's 4 places: a failing average never reads as ≥ Qn, a passing one stays ≥ Qn.
        "average": verdict.average.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR),
        "passed": verdict.passed,
        "reasons": [str(r) for r in verdict.reasons],
    }


def _consistent(
    task: Task,
    codes: tuple[str, ...],
    item_results: dict[str, dict[str, str]],
    checks: list[dict[str, Any]],
    samples: list[dict[str, Any]],
) -> None:
    failed_sample = any(not s["passed"] for s in samples)
    if failed_sample:
        for n, item in enumerate(check_items_by_code(task)):
            if item is not None and item.form == CheckForm.NET_CONTENT and item_results[item.code]["verdict"] == "pass":
                raise ValidationFailed(N_("净含量抽样不合格，该事项不能判为符合"), field=f"items-{n}-verdict")
    problem = (
        any(r["verdict"] == "fail" for r in item_results.values())
        or any(not c["passed"] for c in checks)
        or failed_sample
    )
    if problem and codes == (results.CLEAN,):
        raise ValidationFailed(
            N_("有不符合的检查事项或不合格的器具、样本，检查结果不能为“未发现问题”"), field="result_codes"
        )


def check_items_by_code(task: Task) -> list[CheckItem | None]:
    """CheckItem rows aligned with task.item_codes (None for a code no longer in the list)."""
    found = {i.code: i for i in check_items(task)}
    return [found.get(c) for c in task.item_codes]


# ---------------------------------------------------------------- photos


def photo_limit() -> int:
    return settings().EVIDENCE_MAX_BYTES


def _var_dir() -> Path:
    return Path(settings().VAR_DIR)


def add_photo(task_id: int, user: User, data: bytes, *, caption: str = "") -> EvidencePhoto:
    """Check, hash and store a photo (outside the web root) and attach it to the finding: a change."""
    with unit_of_work(db.session):
        task = task_for_inspector(task_id, user)
        if not editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        finding = task.finding
        if finding is None:
            raise InvalidTransition(N_("请先保存检查记录，再上传照片"))
        photo = evidence.check(data, max_bytes=photo_limit())
        digest = bytes.fromhex(photo.sha256)
        if any(p.sha256 == digest for p in finding.photos):
            raise ValidationFailed(N_("这张照片已经上传过了"), field="photo")
        evidence.store(_var_dir(), photo)
        row = EvidencePhoto(
            sha256=digest,
            content_type=photo.content_type,
            size=photo.size,
            caption=_text(caption, 200, "caption"),
            uploaded_by_id=user.id,
            uploaded_at=clock.utcnow(),
        )
        finding.photos.append(row)
        finding.revision += 1
        _changed(task)
        db.session.flush()
        return row


def remove_photo(task_id: int, photo_id: int, user: User) -> None:
    """Take a photo off the finding (the file stays: another finding may hold the same bytes)."""
    with unit_of_work(db.session):
        task = task_for_inspector(task_id, user)
        photo = _photo_of(task, photo_id)
        if not editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        finding = cast(Finding, task.finding)
        finding.photos.remove(photo)
        finding.revision += 1
        _changed(task)


@dataclass(frozen=True)
class PhotoFile:
    path: Path
    content_type: str
    name: str


def _photo_of(task: Task, photo_id: int) -> EvidencePhoto:
    photo = next((p for p in task.finding.photos if p.id == photo_id), None) if task.finding else None
    if photo is None:
        raise NotFound(N_("照片不存在"))
    return photo


def _photo_file(task: Task, photo_id: int) -> PhotoFile:
    photo = _photo_of(task, photo_id)
    path = evidence.locate(_var_dir(), photo.sha256)
    if path is None:
        raise NotFound(N_("照片文件缺失或已被改动"))
    ext = evidence.EXTENSIONS.get(photo.content_type, "")
    return PhotoFile(path, photo.content_type, f"task{task.id}-photo{photo.id}{ext}")


def photo_for_inspector(task_id: int, photo_id: int, user: User) -> PhotoFile:
    return _photo_file(task_for_inspector(task_id, user), photo_id)


def photo_for_admin(task_id: int, photo_id: int) -> PhotoFile:
    return _photo_file(task_for_admin(task_id), photo_id)


# ---------------------------------------------------------------- confirmation and completion


def confirm_finding(task_id: int, user: User, revision: int) -> Task:
    """The signed-in inspector confirms the revision they saw; the last confirmation completes the task."""
    with unit_of_work(db.session):
        task = task_for_inspector(task_id, user)
        if task.status != TaskStatus.RECORDING or task.finding is None:
            raise InvalidTransition(N_("当前没有待确认的检查记录"))
        finding = task.finding
        if revision != finding.revision:
            raise InvalidTransition(N_("检查记录在您查看之后已被修改，请核对最新内容后再确认"))
        if unjudged_items(task):
            raise ValidationFailed(N_("尚有检查事项未填写结论"))
        if evidence_missing(finding):
            raise ValidationFailed(N_("检查结果不是“未发现问题”时，须至少上传一张现场照片，或在备注中说明未拍照的原因"))
        mine = cast(TaskInspector, assignment_of(task, user))
        if mine.confirmed_revision != finding.revision:
            mine.confirmed_revision = finding.revision
            mine.confirmed_at = clock.utcnow()
        if all(a.confirmed_revision == finding.revision for a in task.assignments):
            _complete(task)
        return task


def publish_within(task: Task) -> int:
    if task.plan is not None:
        return task.plan.publish_within_days
    return settings().PUBLISH_WORKING_DAYS


def _complete(task: Task) -> None:
    now = clock.utcnow()
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.publish_deadline = workdays.add_working_days(now.astimezone(SHANGHAI).date(), publish_within(task))
    db.session.flush()
    followup.on_completed(task)


def reopen(task: Task | int, by: User, reason: str) -> Task:
    """A regulator sends a completed, unpublished finding back to its inspectors (both must confirm again).

    The reason is appended to the finding's notes, so the inspectors read it where they edit; the notes change,
    so the revision is bumped as for any other change.
    """
    with unit_of_work(db.session):
        found = task_for_admin(task if isinstance(task, int) else task.id)
        reason = reason.strip()
        if not reason:
            raise ValidationFailed(N_("请填写退回原因"), field="reason")
        if len(reason) > 500:
            raise ValidationFailed(N_("退回原因不能超过 500 字"), field="reason")
        if found.status == TaskStatus.PUBLISHED:
            raise InvalidTransition(N_("检查结果已公示，不能退回"))
        if found.status != TaskStatus.COMPLETED or found.finding is None:
            raise InvalidTransition(N_("只有已完成的任务可以退回"))
        finding = found.finding
        stamp = clock.utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        line = f"【{stamp} {by.display_name} 退回】{reason}"
        finding.notes = f"{finding.notes}\n{line}" if finding.notes else line
        finding.revision += 1
        found.status = TaskStatus.RECORDING
        found.completed_at = None
        found.publish_deadline = None
        _changed(found)
        return found


# ---------------------------------------------------------------- directed tasks


def assign_directed_task(
    *,
    kind: TaskKind,
    uscc: str,
    inspector_ids: Sequence[int],
    item_codes: Sequence[str],
    due_date: date | None,
    reason: str,
    by: User,
) -> Task:
    """A regulator orders a labelled directed check (定向检查 / 投诉举报核查) of one merchant."""
    with unit_of_work(db.session):
        return order_directed_task(
            kind=kind,
            uscc=uscc,
            inspector_ids=inspector_ids,
            item_codes=item_codes,
            due_date=due_date,
            reason=reason,
            by=by,
        )


def order_directed_task(
    *,
    kind: TaskKind,
    uscc: str,
    inspector_ids: Sequence[int],
    item_codes: Sequence[str],
    due_date: date | None,
    reason: str,
    by: User,
) -> Task:
    """`assign_directed_task` inside the caller's transaction (a complaint opens one as part of its triage)."""
    if kind not in DIRECTED_KINDS:
        raise ValidationFailed(N_("请选择定向检查或投诉举报核查"), field="kind")
    merchant = db.session.scalar(sa.select(Merchant).where(Merchant.uscc == uscc.strip().upper()))
    if merchant is None:
        raise ValidationFailed(N_("检查对象名录中没有该统一社会信用代码"), field="uscc")
    codes = list(dict.fromkeys(item_codes))
    if not codes:
        raise ValidationFailed(N_("请至少选择一项检查事项"), field="item_codes")
    known = set(db.session.scalars(sa.select(CheckItem.code).where(CheckItem.code.in_(codes), CheckItem.active)))
    if known != set(codes):
        raise ValidationFailed(N_("检查事项不存在或已停用"), field="item_codes")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(N_("请填写检查原因"), field="reason")
    if due_date is not None and due_date < clock.today():
        raise ValidationFailed(N_("完成期限不能早于今天"), field="due_date")
    return create_task(
        kind=kind,
        merchant_id=merchant.id,
        inspector_ids=inspector_ids,
        item_codes=codes,
        authority=settings().AUTHORITY_NAME,
        reason=reason[:500],
        due_date=due_date,
        created_by=by,
    )
