"""Public ledger projections of 一公开: published results, the per-plan results and rectification orders.

Each builder takes rows and returns only what may be public; the matching `*_projection()` re-derives the same
data from the rows for `honestmeter ledger audit` (b). Registered when the results blueprint is registered
(see result_routes.py), so no other module has to know these record types.

- "inspection_result" (id = task id): one published result in the GSXT columns (检查实施机关, 类型, 日期, 结果),
  with the publication deadline and whether it was met (a late publication is allowed and recorded as such).
- "plan_results" (id = plan id): how many of a plan's results are published, by code; the 抽查结果公示 PDF lists
  the results published up to that record.
- "rectification_order" (id = order id): that an order was issued, its deadline and outcome; the text of the
  order (problems, requirements, basis) is not public, only its SHA-256, which binds the PDF to the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter.chinatime import china_date
from honestmeter.extensions import db
from honestmeter.inspections import codes as result_codes
from honestmeter.inspections.models import Finding, Plan, RectificationOrder, Task, TaskKind, TaskStatus
from honestmeter.labels import TASK_KIND as KIND_LABELS
from honestmeter.ledger.canonical import canonical_bytes
from honestmeter.ledger.services import Record

RESULT_TYPE = "inspection_result"
PLAN_RESULTS_TYPE = "plan_results"
ORDER_TYPE = "rectification_order"

# 类型 column of GSXT's 抽查检查结果信息, as published (Chinese: the record is the public text).


def codes_of(task: Task) -> tuple[str, ...]:
    return result_codes.validate_codes(task.finding.result_codes) if task.finding else ()


def result_data(task: Task) -> dict[str, Any]:
    """The public facts of one published result."""
    if task.finding is None or task.completed_at is None or task.published_at is None:
        raise ValueError(f"task {task.id} has no published result")
    codes = codes_of(task)
    published_on = china_date(task.published_at)
    deadline = task.publish_deadline
    return {
        "uscc": task.merchant.uscc,
        "merchant_name": task.merchant.name,
        "authority": task.authority,
        "type": KIND_LABELS[task.kind],
        "date": task.finding.checked_on.isoformat(),
        "codes": list(codes),
        "results": [result_codes.RESULT_CODES[c] for c in codes],
        "plan_id": None if task.plan_id is None else str(task.plan_id),
        "draw_id": None if task.draw_id is None else str(task.draw_id),
        "completed_on": china_date(task.completed_at).isoformat(),
        "published_on": published_on.isoformat(),
        "deadline": None if deadline is None else deadline.isoformat(),
        "on_time": deadline is None or published_on <= deadline,
    }


def result_record(task: Task) -> Record:
    return Record(RESULT_TYPE, str(task.id), result_data(task))


def _published_tasks() -> sa.Select[tuple[Task]]:
    return (
        sa.select(Task).where(Task.status == TaskStatus.PUBLISHED).options(selectinload(Task.finding)).order_by(Task.id)
    )


def result_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for task in db.session.scalars(_published_tasks().execution_options(yield_per=1000)):
        yield str(task.id), result_data(task)


def plan_results_data(plan: Plan) -> dict[str, Any]:
    """How many of a plan's results are published, and how many carry each code.

    The record stays the same size however many results a plan has: it is republished with every
    publication, and each result is its own record. The 抽查结果公示 lists the results published up to
    this record's time.
    """
    codes = db.session.scalars(
        sa.select(Finding.result_codes)
        .join(Task, Task.id == Finding.task_id)
        .where(Task.plan_id == plan.id, Task.kind == TaskKind.RANDOM, Task.status == TaskStatus.PUBLISHED)
    ).all()
    counts: dict[str, int] = {}
    for found in codes:
        for code in result_codes.validate_codes(found):
            counts[code] = counts.get(code, 0) + 1
    return {
        "plan_id": str(plan.id),
        "name": plan.name,
        "year": plan.year,
        "batch": plan.batch,
        "authority": plan.authority,
        "published": len(codes),
        "counts": dict(sorted(counts.items())),
    }


def plan_results_record(plan: Plan) -> Record:
    return Record(PLAN_RESULTS_TYPE, str(plan.id), plan_results_data(plan))


def plan_results_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    with_results = sa.select(Task.plan_id).where(
        Task.status == TaskStatus.PUBLISHED, Task.kind == TaskKind.RANDOM, Task.plan_id.is_not(None)
    )
    for plan in db.session.scalars(sa.select(Plan).where(Plan.id.in_(with_results)).order_by(Plan.id)):
        yield str(plan.id), plan_results_data(plan)


def order_text_sha256(order: RectificationOrder) -> str:
    """SHA-256 of the order's wording: printed on the 责令改正通知书, recorded without the text itself."""
    text = {
        "number": order.number,
        "problems": order.problems,
        "requirements": order.requirements,
        "basis": order.basis,
        "deadline": order.deadline.isoformat(),
    }
    return hashlib.sha256(canonical_bytes(text)).hexdigest()


def order_data(order: RectificationOrder) -> dict[str, Any]:
    return {
        "number": order.number,
        "uscc": order.merchant.uscc,
        "authority": order.task.authority,
        "task_id": str(order.task_id),
        "reinspection_task_id": None if order.reinspection_task_id is None else str(order.reinspection_task_id),
        "issued_on": china_date(order.issued_at).isoformat(),
        "deadline": order.deadline.isoformat(),
        "status": str(order.status),
        "closed_on": None if order.closed_at is None else china_date(order.closed_at).isoformat(),
        "text_sha256": order_text_sha256(order),
    }


def order_record(order: RectificationOrder) -> Record:
    return Record(ORDER_TYPE, str(order.id), order_data(order))


def order_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for order in db.session.scalars(sa.select(RectificationOrder).order_by(RectificationOrder.id)):
        yield str(order.id), order_data(order)


PROJECTIONS = {
    RESULT_TYPE: result_projection,
    PLAN_RESULTS_TYPE: plan_results_projection,
    ORDER_TYPE: order_projection,
}
