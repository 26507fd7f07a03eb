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
  is set and its follow-up opened in the same transaction, by the results part on the TaskCompleted event
  (followup.on_task_completed: publication.deadline_for, working days from the China completion date, then
  on_completed). A completed finding is read-only for inspectors; a regulator may send it back (reopen) until
  it is published. Nothing here is public yet: results reach the ledger when they are published (publication).

This module holds the task's life (creation, reading, confirmation, completion, reopening, directed tasks);
recording the finding and its photos is findings.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter import clock, events
from honestmeter.auth.models import User
from honestmeter.chinatime import china_time
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import (
    CheckItem,
    Decision,
    Finding,
    Inspector,
    Recusal,
    Task,
    TaskInspector,
    TaskKind,
    TaskStatus,
)
from honestmeter.instruments import queries as instrument_queries
from honestmeter.instruments import state as instrument_state
from honestmeter.instruments.models import Instrument
from honestmeter.merchants.models import Merchant
from honestmeter.settings import settings
from honestmeter.tables import N_

ACTIVE = (TaskStatus.OPEN, TaskStatus.RECORDING)
DONE = (TaskStatus.COMPLETED, TaskStatus.PUBLISHED)
VALID_IN_LEDGER = instrument_state.IN_FORCE | {"exempt"}  # instrument states whose verification is in force
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


# ---------------------------------------------------------------- confirmation and completion


def finding_changed(task: Task) -> None:
    """The finding changed: every inspector must confirm again."""
    for a in task.assignments:
        a.confirmed_revision = None
        a.confirmed_at = None
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.RECORDING


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


def _complete(task: Task) -> None:
    now = clock.utcnow()
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    db.session.flush()
    events.emit(events.TaskCompleted(task_id=task.id))


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
        stamp = china_time(clock.utcnow())
        line = f"【{stamp} {by.display_name} 退回】{reason}"
        finding.notes = f"{finding.notes}\n{line}" if finding.notes else line
        finding.revision += 1
        found.status = TaskStatus.RECORDING
        found.completed_at = None
        found.publish_deadline = None
        finding_changed(found)
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
