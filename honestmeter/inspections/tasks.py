"""Tasks and findings: what inspectors record on site, confirmed by every assigned inspector."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from honestmeter.auth.models import User
from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Decision, Inspector, Recusal, Task, TaskInspector, TaskKind


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
