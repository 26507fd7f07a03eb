"""一公开: review and publish results within the working-day deadline, warn before it, alarm after it.

A completed task's result must be published within `Plan.publish_within_days` working days of completion
(PUBLISH_WORKING_DAYS for a task without a plan; Chinese holidays and make-up days from workdays.py). Its status:
- ok        more than PUBLISH_WARN_WORKING_DAYS working days left;
- due_soon  at most that many working days left (the deadline day itself included);
- overdue   the deadline has passed.
Publishing late is allowed, never silent: the record says `on_time: false`, the dashboard shows an alarm until it
is published, and the daily job mails the administrators a digest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter import clock, events, mail
from honestmeter.auth.models import AccountStatus, User
from honestmeter.chinatime import china_date
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.codes import ABNORMAL_LISTING
from honestmeter.inspections.models import CheckItem, FollowUp, Plan, RectificationOrder, Task, TaskKind, TaskStatus
from honestmeter.inspections.results import records as result_records
from honestmeter.inspections.results import workdays
from honestmeter.ledger import services as ledger
from honestmeter.lists import services as lists
from honestmeter.roles import Role
from honestmeter.settings import settings

log = logging.getLogger(__name__)

OK, DUE_SOON, OVERDUE = "ok", "due_soon", "overdue"


# ---------------------------------------------------------------- deadlines


def deadline_for(task: Task) -> date:
    """The publication deadline, the one rule for it: the last day to publish is n working days after the (China)
    date the task completed, n from its plan (PUBLISH_WORKING_DAYS for a task without a plan)."""
    if task.completed_at is None:
        raise ValueError(f"task {task.id} has not completed")
    days = task.plan.publish_within_days if task.plan is not None else settings().PUBLISH_WORKING_DAYS
    return workdays.add_working_days(china_date(task.completed_at), days)


def deadline_of(task: Task) -> date | None:
    if task.publish_deadline is not None:
        return task.publish_deadline
    return deadline_for(task) if task.completed_at is not None else None


def warn_days() -> int:
    return settings().PUBLISH_WARN_WORKING_DAYS


def deadline_status(task: Task, today: date | None = None) -> str | None:
    """ok / due_soon / overdue for an unpublished result; for a published one ok or overdue (published late).

    None for a task without a result to publish yet.
    """
    deadline = deadline_of(task)
    if deadline is None:
        return None
    if task.published_at is not None:
        return OK if china_date(task.published_at) <= deadline else OVERDUE
    today = today or clock.today()
    if today > deadline:
        return OVERDUE
    return DUE_SOON if workdays.working_days_between(today, deadline) <= warn_days() else OK


def working_days_left(task: Task, today: date | None = None) -> int | None:
    deadline = deadline_of(task)
    return None if deadline is None else workdays.working_days_between(today or clock.today(), deadline)


# ---------------------------------------------------------------- queries


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound("没有该检查任务")
    return task


def _results(plan_id: int | None = None) -> sa.Select[tuple[Task]]:
    stmt = sa.select(Task).options(selectinload(Task.finding))
    return stmt if plan_id is None else stmt.where(Task.plan_id == plan_id)


def pending_stmt(plan_id: int | None = None) -> sa.Select[tuple[Task]]:
    """Completed, not yet published: the review queue, nearest deadline first."""
    return (
        _results(plan_id)
        .where(Task.status == TaskStatus.COMPLETED)
        .order_by(Task.publish_deadline.asc().nulls_last(), Task.id)
    )


def overdue_stmt(plan_id: int | None = None, today: date | None = None) -> sa.Select[tuple[Task]]:
    return pending_stmt(plan_id).where(Task.publish_deadline < (today or clock.today()))


def due_soon_stmt(plan_id: int | None = None, today: date | None = None) -> sa.Select[tuple[Task]]:
    today = today or clock.today()
    horizon = workdays.add_working_days(today, warn_days())
    return pending_stmt(plan_id).where(Task.publish_deadline >= today, Task.publish_deadline <= horizon)


def published_stmt(plan_id: int | None = None) -> sa.Select[tuple[Task]]:
    return _results(plan_id).where(Task.status == TaskStatus.PUBLISHED).order_by(Task.published_at.desc(), Task.id)


def _count(stmt: sa.Select[tuple[Task]]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def overdue_count(today: date | None = None) -> int:
    return _count(overdue_stmt(today=today))


def due_soon_count(today: date | None = None) -> int:
    return _count(due_soon_stmt(today=today))


def item_names(codes: Sequence[str]) -> dict[str, str]:
    """Check-item code → name, for the codes a task checks."""
    rows = db.session.execute(sa.select(CheckItem.code, CheckItem.name).where(CheckItem.code.in_(list(codes))))
    return {row.code: row.name for row in rows}


@dataclass(frozen=True)
class PublishedResult:
    """A published result as the public page shows it, with the ledger leaf it was published in."""

    task: Task
    leaf_hash: str | None


def published_for_merchant(merchant_id: int) -> list[PublishedResult]:
    """The merchant's published results, newest check first, each with its inspection_result leaf."""
    tasks = db.session.scalars(
        published_stmt().where(Task.merchant_id == merchant_id).order_by(None).order_by(Task.published_at.desc())
    ).all()
    leaves = ledger.latest_leaf_hashes(result_records.RESULT_TYPE, [str(t.id) for t in tasks])
    rows = [PublishedResult(t, leaves.get(str(t.id))) for t in tasks]
    rows.sort(key=lambda r: r.task.finding.checked_on if r.task.finding else date.min, reverse=True)
    return rows


# ---------------------------------------------------------------- publishing


def _check(task: Task) -> None:
    if task.status == TaskStatus.PUBLISHED:
        raise InvalidTransition("该检查结果已公示")
    if task.status != TaskStatus.COMPLETED or task.finding is None:
        raise InvalidTransition("检查尚未完成（全部检查人员确认后方可公示）")


def _publish_one(task: Task, by: User) -> None:
    _check(task)
    if task.publish_deadline is None:
        task.publish_deadline = deadline_for(task)
    task.status = TaskStatus.PUBLISHED
    task.published_at = clock.utcnow()
    task.published_by_id = by.id
    db.session.flush()
    ledger.publish(result_records.result_record(task))
    _grade(task)


def _grade(task: Task) -> None:
    """Every published result counts towards the merchant's credit grade (DESIGN §6), from the day of the check."""
    if task.finding is None:
        return
    ref = f"{result_records.RESULT_TYPE}/{task.id}"
    codes = result_records.codes_of(task)
    closed = task.follow_up_closed_at if task.follow_up == FollowUp.CLOSED else None
    events.emit(
        events.ResultPublished(
            merchant_id=task.merchant_id,
            task_id=task.id,
            checked_on=task.finding.checked_on,
            codes=tuple(codes),
            item_results=task.finding.item_results,
            ref=ref,
            follow_up_closed_on=None if closed is None else china_date(closed),
            unreachable_ended=(
                lists.result_10_ended(task.merchant_id, task.finding.checked_on) if ABNORMAL_LISTING in codes else None
            ),
        )
    )


def _publish_plans(plan_ids: set[int]) -> None:
    for plan_id in sorted(plan_ids):
        plan = db.session.get(Plan, plan_id)
        if plan is not None:
            ledger.publish(result_records.plan_results_record(plan))


def _plan_of(task: Task) -> int | None:
    return task.plan_id if task.kind == TaskKind.RANDOM else None


def publish(task: Task, by: User) -> Task:
    """Review done: publish a completed result (一公开), in the ledger in the same transaction."""
    _check(task)
    with unit_of_work(db.session):
        _publish_one(task, by)
        plan_id = _plan_of(task)
        _publish_plans({plan_id} if plan_id is not None else set())
    return task


def publish_many(task_ids: Sequence[int], by: User) -> list[Task]:
    """Publish several results (e.g. a plan's batch) in one transaction: all of them or none."""
    ids = sorted(set(task_ids))
    if not ids:
        raise ValidationFailed("请选择要公示的检查结果", field="task_ids")
    tasks = db.session.scalars(sa.select(Task).where(Task.id.in_(ids)).order_by(Task.id)).all()
    if len(tasks) != len(ids):
        raise NotFound("所选检查任务不存在")
    for task in tasks:
        _check(task)
    with unit_of_work(db.session):
        for task in tasks:
            _publish_one(task, by)
        _publish_plans({p for t in tasks if (p := _plan_of(t)) is not None})
    return list(tasks)


def republish_for_merchant(merchant_id: int) -> int:
    """Inside the caller's transaction: a new version of each published result and 责令改正 order whose public data
    changed (they carry the merchant's USCC and name, so a confirmed change must reach them, or `ledger audit`
    reports them as changed behind the application's back). Returns how many records were appended."""
    tasks = db.session.scalars(published_stmt().where(Task.merchant_id == merchant_id)).all()
    orders = db.session.scalars(
        sa.select(RectificationOrder)
        .where(RectificationOrder.merchant_id == merchant_id)
        .order_by(RectificationOrder.id)
    ).all()
    records = [result_records.result_record(t) for t in tasks] + [result_records.order_record(o) for o in orders]
    return sum(ledger.publish(r) is not None for r in records)


def on_merchant_changed(event: events.MerchantChanged) -> None:
    republish_for_merchant(event.merchant_id)


# ---------------------------------------------------------------- the daily job


def _admin_addresses() -> list[str]:
    return sorted(
        {
            e
            for e in db.session.scalars(
                sa.select(User.email).where(
                    User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE, User.email.is_not(None)
                )
            )
            if e
        }
    )


def _line(task: Task, today: date) -> str:
    deadline = deadline_of(task)
    left = workdays.working_days_between(today, deadline) if deadline else 0
    when = f"已逾期 {-left} 个工作日" if deadline and today > deadline else f"剩余 {left} 个工作日"
    return f"- {task.merchant.name}（{task.merchant.uscc}）检查任务 #{task.id}，公示期限 {deadline}，{when}"


def digest(today: date | None = None) -> tuple[list[Task], list[Task], str]:
    """(overdue, due soon, mail body) for the administrators."""
    today = today or clock.today()
    overdue = list(db.session.scalars(overdue_stmt(today=today)))
    due_soon = list(db.session.scalars(due_soon_stmt(today=today)))
    base = settings().PUBLIC_BASE_URL.rstrip("/")
    parts = [
        f"截至 {today}，检查结果公示期限情况如下（{settings().PUBLISH_WORKING_DAYS} 个工作日内公示）。"
    ]
    if overdue:
        parts += ["", f"【已逾期未公示】{len(overdue)} 项：", *(_line(t, today) for t in overdue)]
    if due_soon:
        parts += ["", f"【即将到期】{len(due_soon)} 项：", *(_line(t, today) for t in due_soon)]
    parts += ["", f"请及时审核公示：{base}/admin/results"]
    return overdue, due_soon, "\n".join(parts)


def deadline_job() -> str:
    """Scheduler entry: warn about publication deadlines that are near, alarm about passed ones."""
    overdue, due_soon, body = digest()
    if not overdue and not due_soon:
        return "nothing to do"
    subject = f"检查结果公示期限提醒：逾期 {len(overdue)} 项，即将到期 {len(due_soon)} 项"
    sender = mail.mailer()
    sent, failed = 0, 0
    for address in _admin_addresses():
        try:
            sender.send(mail.Mail(to=address, subject=subject, body=body))
            sent += 1
        except OSError as err:  # the next run tries again; the dashboard shows the alarm meanwhile
            log.warning("publication digest to %s failed: %s", address, err)
            failed += 1
    db.session.commit()  # end the read transaction (jobs run outside any request)
    summary = f"overdue {len(overdue)}, due soon {len(due_soon)}, mailed {sent}"
    return summary + (f", failed {failed}" if failed else "")
