"""Right of reply (domain.md §6): a merchant's comment on its own published result, vetted by a regulator.

Rules:
- only the merchant's own PUBLISHED result; another merchant's result is answered exactly like one that does not
  exist (NotFound), so task ids cannot be probed;
- the text is 10–1000 characters;
- at most one PENDING reply per result: a new submission withdraws the pending one (WITHDRAWN);
- an approved reply stays shown while a newer one waits; when the newer one is approved it replaces it (the old one
  becomes WITHDRAWN), so a result has at most one APPROVED reply;
- a rejection needs a reason, which goes back to the merchant; nothing is published.

Approval publishes a "result_reply" record (id = task id; a later approved reply is a newer version of the same
record) in the same transaction. A reply is not a place to contest the finding: that is 行政复议/行政诉讼.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter import clock, events
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import ReplyStatus, ResultReply, Task, TaskStatus
from honestmeter.inspections.replies import records as reply_records
from honestmeter.ledger import services as ledger
from honestmeter.roles import Role
from honestmeter.tables import N_

MIN_BODY = 10
MAX_BODY = 1000
MAX_NOTE = 500  # result_replies.decision_note
# Also raised by repairs (on ReplyApproving) for a result taken off the record by credit repair.
NO_LONGER_PUBLIC = N_("该检查结果已不再公示，回复不能公开，请作不予公开处理")


# ---------------------------------------------------------------- reading


def get_reply(reply_id: int) -> ResultReply:
    reply = db.session.get(ResultReply, reply_id)
    if reply is None:
        raise NotFound(N_("没有该回复"))
    return reply


def own_published_task(task_id: int, merchant_id: int | None) -> Task:
    """The merchant's own published result; anything else (missing, another merchant's, unpublished) is NotFound."""
    task = db.session.get(Task, task_id)
    if task is None or merchant_id is None or task.merchant_id != merchant_id or task.status != TaskStatus.PUBLISHED:
        raise NotFound(N_("没有该检查结果"))
    return task


def history(task_id: int) -> list[ResultReply]:
    """Every reply to a result, newest first (the merchant's page and the regulator's)."""
    return list(
        db.session.scalars(
            sa.select(ResultReply)
            .where(ResultReply.task_id == task_id)
            .order_by(ResultReply.submitted_at.desc(), ResultReply.id.desc())
        )
    )


def approved_for(task_ids: Iterable[int]) -> dict[int, ResultReply]:
    """task id → the approved reply shown beside that result, in one query."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(ResultReply)
        .where(ResultReply.task_id.in_(ids), ResultReply.status == ReplyStatus.APPROVED)
        .order_by(ResultReply.decided_at, ResultReply.id)
    )
    return {reply.task_id: reply for reply in rows}  # newest last: it wins (there is only one by the rules)


def latest_for(task_ids: Iterable[int]) -> dict[int, ResultReply]:
    """task id → the newest reply of any status (the merchant's results list shows where each reply stands)."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(ResultReply)
        .where(ResultReply.task_id.in_(ids), ResultReply.status != ReplyStatus.WITHDRAWN)
        .order_by(ResultReply.submitted_at, ResultReply.id)
    )
    return {reply.task_id: reply for reply in rows}


def queue_stmt(status: str = "") -> sa.Select[tuple[ResultReply]]:
    """The regulator's list: pending first (oldest first, as they wait), then the rest newest first."""
    stmt = sa.select(ResultReply).options(
        selectinload(ResultReply.merchant), selectinload(ResultReply.task).selectinload(Task.finding)
    )  # the queue shows each reply's merchant and result: three queries a page, not three a row
    if status in {s.value for s in ReplyStatus}:
        stmt = stmt.where(ResultReply.status == ReplyStatus(status))
    pending_first = sa.case((ResultReply.status == ReplyStatus.PENDING, 0), else_=1)
    waiting = sa.case((ResultReply.status == ReplyStatus.PENDING, ResultReply.submitted_at), else_=None)
    return stmt.order_by(
        pending_first, waiting.asc().nulls_last(), ResultReply.submitted_at.desc(), ResultReply.id.desc()
    )


def pending_count() -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count(ResultReply.id)).where(ResultReply.status == ReplyStatus.PENDING))
        or 0
    )


def leaf_hashes(task_ids: Iterable[int]) -> dict[int, str]:
    """task id → leaf hash of its newest "result_reply" record (the verify link beside the reply)."""
    found = ledger.latest_leaf_hashes(reply_records.RECORD_TYPE, [str(t) for t in task_ids])
    return {int(task_id): leaf for task_id, leaf in found.items()}


# ---------------------------------------------------------------- the merchant


def _locked_task(task_id: int) -> Task:
    """Serialise every write about one result's replies (PostgreSQL row lock; SQLite holds the write lock already).

    Only the task row is locked (its eager joins to the merchant would make a plain FOR UPDATE fail on PostgreSQL).
    """
    db.session.scalar(sa.select(Task.id).where(Task.id == task_id).with_for_update())
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None:  # never: checked before
        raise NotFound(N_("没有该检查结果"))
    return task


def check_body(body: str) -> str:
    text = body.strip()
    if len(text) < MIN_BODY or len(text) > MAX_BODY:
        raise ValidationFailed(N_("说明须为 10 至 1000 个字"), field="body")  # MIN_BODY, MAX_BODY
    return text


def submit(task_id: int, merchant_user: User, body: str) -> ResultReply:
    """The merchant replies to its own published result; a reply still waiting for review is withdrawn."""
    if merchant_user.role != Role.MERCHANT:
        raise PermissionDenied(N_("只有经营者本人可以回复检查结果"))
    text = check_body(body)
    own_published_task(task_id, merchant_user.merchant_id)
    now = clock.utcnow()
    with unit_of_work(db.session):
        task = _locked_task(task_id)
        for waiting in db.session.scalars(
            sa.select(ResultReply).where(ResultReply.task_id == task.id, ResultReply.status == ReplyStatus.PENDING)
        ):
            waiting.status = ReplyStatus.WITHDRAWN
        reply = ResultReply(
            task_id=task.id,
            merchant_id=task.merchant_id,
            body=text,
            submitted_by_id=merchant_user.id,
            submitted_at=now,
            status=ReplyStatus.PENDING,
        )
        db.session.add(reply)
    return reply


# ---------------------------------------------------------------- the regulator


def _check_regulator(regulator: User) -> None:
    if regulator.role != Role.ADMIN:
        raise PermissionDenied(N_("只有监管部门可以审核回复"))


def _locked_pending(reply: ResultReply) -> ResultReply:
    _locked_task(reply.task_id)
    db.session.refresh(reply)
    if reply.status != ReplyStatus.PENDING:
        raise InvalidTransition(N_("该回复已处理或已被经营者更新"))
    return reply


def _decide(reply: ResultReply, regulator: User, status: ReplyStatus, note: str) -> None:
    reply.status = status
    reply.decided_by_id = regulator.id
    reply.decided_at = clock.utcnow()
    reply.decision_note = note or None


def _check_note(note: str, *, required: bool) -> str:
    text = note.strip()
    if required and not text:
        raise ValidationFailed(N_("请填写不予公开的理由"), field="note")
    if len(text) > MAX_NOTE:
        raise ValidationFailed(N_("审核意见不能超过 500 个字"), field="note")
    return text


def approve(reply: ResultReply, regulator: User, note: str = "") -> ResultReply:
    """Publish the reply beside its result: it replaces an earlier approved one; the ledger record is written in the
    same transaction."""
    _check_regulator(regulator)
    text = _check_note(note, required=False)
    with unit_of_work(db.session):
        _locked_pending(reply)
        if reply.task.status != TaskStatus.PUBLISHED:
            raise InvalidTransition(NO_LONGER_PUBLIC)
        events.emit(events.ReplyApproving(merchant_id=reply.merchant_id, task_id=reply.task_id))
        for earlier in db.session.scalars(
            sa.select(ResultReply).where(
                ResultReply.task_id == reply.task_id,
                ResultReply.status == ReplyStatus.APPROVED,
                ResultReply.id != reply.id,
            )
        ):
            earlier.status = ReplyStatus.WITHDRAWN
        _decide(reply, regulator, ReplyStatus.APPROVED, text)
        db.session.flush()
        ledger.publish(reply_records.reply_record(reply))
    return reply


def reject(reply: ResultReply, regulator: User, note: str) -> ResultReply:
    """Not published; the reason goes back to the merchant, and an approved earlier reply stays shown."""
    _check_regulator(regulator)
    text = _check_note(note, required=True)
    with unit_of_work(db.session):
        _locked_pending(reply)
        _decide(reply, regulator, ReplyStatus.REJECTED, text)
    return reply


def on_merchant_changed(event: events.MerchantChanged) -> None:
    """Approved replies carry the merchant's USCC: they follow a confirmed change."""
    query = sa.select(ResultReply).where(
        ResultReply.merchant_id == event.merchant_id, ResultReply.status == ReplyStatus.APPROVED
    )
    for reply in db.session.scalars(query.order_by(ResultReply.id)):
        ledger.publish(reply_records.reply_record(reply))
