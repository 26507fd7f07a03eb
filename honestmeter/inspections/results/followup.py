"""Follow-up of completed tasks: 责令改正 and re-inspection, 09 open until closed, 10 → abnormal list.

The rules, as implemented:
- 09 发现问题待后续处理: the task's follow-up is OPEN from completion until a regulator closes it with a note (a
  finding sent back and confirmed again without 09 drops the open follow-up).
- 10 无法联系: a *proposal* to list the merchant on 经营异常名录 (domain.md §4.4); a regulator confirms or rejects it
  (honestmeter.lists.services). No second proposal while one is pending or the merchant is already listed.
- 责令改正: a regulator issues a numbered order on a completed or published task whose finding found a problem
  (results.problem_found); the order gets a re-inspection task (复查) for the same inspectors, due a few days
  after the order's deadline. When that task completes, the order is CORRECTED if the re-inspection's result is
  only 01 (nothing found) or only 02 (发现问题经责令已改正), else NOT_CORRECTED.
- The original result is never rewritten: its confirmed codes stay as published. The re-inspection is a result of
  its own (类型 复查), published like any other; that is where "02" (or "01") appears on the public page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import clock, events
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import (
    FollowUp,
    OrderStatus,
    RectificationOrder,
    Task,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.results import records as result_records
from honestmeter.inspections.results.publication import deadline_for
from honestmeter.inspections.tasks import services as tasks  # imports this module too: use it by attribute
from honestmeter.ledger import services as ledger
from honestmeter.lists import services as lists
from honestmeter.lists.models import ListKind

REINSPECTION_GRACE_DAYS = 5  # the re-inspection is due this many days after the order's deadline
CORRECTED_CODES = frozenset({("01",), ("02",)})
ORDER_NUMBER = "{year}责改{seq:04d}"


def on_task_completed(event: events.TaskCompleted) -> None:
    """A task was completed (tasks emit TaskCompleted): its publication deadline starts, then its follow-up."""
    task = db.session.get(Task, event.task_id)
    if task is None:
        return
    task.publish_deadline = deadline_for(task)
    on_completed(task)


def on_completed(task: Task) -> None:
    """Called inside the transaction in which a task's finding becomes confirmed by all inspectors."""
    if task.publish_deadline is None and task.completed_at is not None:
        task.publish_deadline = deadline_for(task)
    if task.finding is None:
        return
    codes = results.validate_codes(task.finding.result_codes)
    if results.FOLLOW_UP in codes and task.follow_up == FollowUp.NONE:
        task.follow_up = FollowUp.OPEN
    elif results.FOLLOW_UP not in codes and task.follow_up == FollowUp.OPEN:
        task.follow_up = FollowUp.NONE  # sent back and confirmed again without 09: nothing left to follow up
    if results.ABNORMAL_LISTING in codes:
        lists.propose(
            merchant_id=task.merchant_id,
            kind=ListKind.ABNORMAL,
            reason=lists.ABNORMAL_UNREACHABLE,
            authority=task.authority,
            source_task_id=task.id,
        )
    if task.kind == TaskKind.REINSPECTION:
        order = db.session.scalar(
            sa.select(RectificationOrder).where(
                RectificationOrder.reinspection_task_id == task.id, RectificationOrder.status == OrderStatus.OPEN
            )
        )
        if order is not None:
            order.status = OrderStatus.CORRECTED if codes in CORRECTED_CODES else OrderStatus.NOT_CORRECTED
            order.closed_at = clock.utcnow()
            db.session.flush()
            ledger.publish(result_records.order_record(order))
    db.session.flush()


# ---------------------------------------------------------------- 责令改正


def get_order(order_id: int) -> RectificationOrder:
    order = db.session.get(RectificationOrder, order_id)
    if order is None:
        raise NotFound("没有该责令改正通知书")
    return order


def orders_for_task(task_id: int) -> list[RectificationOrder]:
    return list(
        db.session.scalars(
            sa.select(RectificationOrder).where(RectificationOrder.task_id == task_id).order_by(RectificationOrder.id)
        )
    )


def next_order_number(year: int) -> str:
    prefix = f"{year}责改"
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = db.session.scalars(
        sa.select(RectificationOrder.number).where(RectificationOrder.number.startswith(prefix, autoescape=True))
    ).all()
    last = max((int(m.group(1)) for n in numbers if (m := pattern.fullmatch(n))), default=0)
    return ORDER_NUMBER.format(year=year, seq=last + 1)


def issue_order(
    task: Task, by: User, problems: str, requirements: str, basis: str, deadline: date | None
) -> RectificationOrder:
    """责令改正: a numbered order with a deadline, and its re-inspection task for the same inspectors."""
    if task.status not in (TaskStatus.COMPLETED, TaskStatus.PUBLISHED):
        raise InvalidTransition("检查尚未完成，不能责令改正")
    if task.finding is None or not results.problem_found(task.finding.result_codes):
        raise ValidationFailed("该检查未发现问题，无需责令改正")
    if not problems.strip():
        raise ValidationFailed("请填写发现的问题", field="problems")
    today = clock.today()
    if deadline is None or deadline <= today:
        raise ValidationFailed("改正期限须晚于今天", field="deadline")
    if any(o.status == OrderStatus.OPEN for o in orders_for_task(task.id)):
        raise InvalidTransition("该检查已有尚未复查的责令改正通知书")
    with unit_of_work(db.session):
        order = RectificationOrder(
            number=next_order_number(today.year),
            task_id=task.id,
            merchant_id=task.merchant_id,
            problems=problems.strip(),
            requirements=requirements.strip(),
            basis=basis.strip(),
            deadline=deadline,
            status=OrderStatus.OPEN,
            issued_at=clock.utcnow(),
            issued_by_id=by.id,
        )
        db.session.add(order)
        db.session.flush()
        reinspection = tasks.create_task(
            kind=TaskKind.REINSPECTION,
            merchant_id=task.merchant_id,
            inspector_ids=[a.inspector_id for a in task.assignments],
            item_codes=list(task.item_codes),
            authority=task.authority,
            reason=f"复查：责令改正通知书 {order.number}",
            due_date=deadline + timedelta(days=REINSPECTION_GRACE_DAYS),
            created_by=by,
            parent_task_id=task.id,
        )
        order.reinspection_task_id = reinspection.id
        db.session.flush()
        ledger.publish(result_records.order_record(order))
    return order


def open_orders_past_deadline_count() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(RectificationOrder.id)).where(
                RectificationOrder.status == OrderStatus.OPEN, RectificationOrder.deadline < clock.today()
            )
        )
        or 0
    )


def open_orders_for_merchant(merchant_id: int) -> list[RectificationOrder]:
    return list(
        db.session.scalars(
            sa.select(RectificationOrder)
            .where(RectificationOrder.merchant_id == merchant_id, RectificationOrder.status == OrderStatus.OPEN)
            .order_by(RectificationOrder.deadline)
        )
    )


def orders_for_merchant(merchant_id: int) -> list[RectificationOrder]:
    return list(
        db.session.scalars(
            sa.select(RectificationOrder)
            .where(RectificationOrder.merchant_id == merchant_id)
            .order_by(RectificationOrder.issued_at.desc())
        )
    )


# ---------------------------------------------------------------- 09 待后续处理


def close_follow_up(task: Task, by: User, note: str) -> Task:
    """Close the follow-up case of a 09 result, saying how it was handled."""
    if task.follow_up != FollowUp.OPEN:
        raise InvalidTransition("该检查没有待处理的后续事项")
    if not note.strip():
        raise ValidationFailed("请填写后续处理情况", field="note")
    with unit_of_work(db.session):
        task.follow_up = FollowUp.CLOSED
        task.follow_up_note = f"{note.strip()}（{by.display_name}）"[:1000]
        task.follow_up_closed_at = clock.utcnow()
        # The 09 deduction counts "until closed" (DESIGN §6): it stops today, and the grade follows at once.
        ref = f"{result_records.RESULT_TYPE}/{task.id}"
        events.emit(events.FollowUpClosed(task.merchant_id, task.id, clock.today(), ref))
    return task


def open_follow_up_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.follow_up == FollowUp.OPEN)) or 0)
