"""Right of reply: the merchant's own published result only, one pending reply, supersession, vetting, the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import ReplyStatus, ResultReply, Task
from honestmeter.inspections.replies import records as reply_records
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import publication
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from tests.factories import UserFactory, approved_result_repair, completed, newest_data

NOW = datetime(2026, 11, 23, 17, tzinfo=UTC)  # 2026-11-24 01:00 in Shanghai: the record carries the China date
TEXT = "已于检查次日更换电子计价秤，并经检定合格后使用。"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin() -> User:
    return UserFactory()


def published(admin: User, codes: tuple[str, ...] = ("09",), **task: object) -> Task:
    found = completed(codes, **task)
    publication.publish(found, admin)
    return found


def owner_of(task: Task) -> User:
    return UserFactory(merchant_user=True, merchant=task.merchant)


def reply_problems() -> list[str]:
    """`ledger audit` (b) for the reply records (factories write no records for the merchants themselves)."""
    return [p for p in audit.check_rows() if p.startswith(reply_records.RECORD_TYPE)]


def statuses(task: Task) -> list[ReplyStatus]:
    return list(
        db.session.scalars(sa.select(ResultReply.status).where(ResultReply.task_id == task.id).order_by(ResultReply.id))
    )


def test_approval_publishes_the_reply_record_in_the_same_transaction(admin: User) -> None:
    task = published(admin)
    reply = replies.submit(task.id, owner_of(task), f"  {TEXT}  ")
    assert reply.status == ReplyStatus.PENDING and reply.body == TEXT
    assert ledger.latest_record(reply_records.RECORD_TYPE, str(task.id)) is None  # nothing public before vetting

    replies.approve(reply, admin, "属实")
    assert reply.status == ReplyStatus.APPROVED and reply.decided_by_id == admin.id
    data = newest_data(reply_records.RECORD_TYPE, str(task.id))
    assert data == {
        "uscc": task.merchant.uscc,
        "task_id": str(task.id),
        "result_ref": f"inspection_result/{task.id}",
        "reply_id": str(reply.id),
        "body": TEXT,
        "approved_on": "2026-11-24",
        "authority": task.authority,
    }
    assert dict(ledger.projections()[reply_records.RECORD_TYPE]())[str(task.id)] == data
    assert reply_problems() == []
    assert replies.approved_for([task.id]) == {task.id: reply}
    # a reply edited behind the application's back no longer re-derives to its record
    db.session.execute(sa.update(ResultReply).where(ResultReply.id == reply.id).values(body=TEXT + "（已改）"))
    db.session.expire_all()
    assert reply_problems() == [
        f"{reply_records.RECORD_TYPE} {task.id}：业务数据与最新账本记录不符（数据被绕过系统改动）"
    ]


def test_only_the_merchants_own_published_result_can_be_replied_to(admin: User) -> None:
    mine = published(admin)
    other = published(admin)
    unpublished = completed(["01"], merchant=mine.merchant)
    user = owner_of(mine)
    for task_id in (other.id, unpublished.id, 10**6):
        with pytest.raises(NotFound):
            replies.submit(task_id, user, TEXT)
    with pytest.raises(PermissionDenied):
        replies.submit(mine.id, admin, TEXT)  # staff cannot speak for the merchant
    assert db.session.scalar(sa.select(sa.func.count(ResultReply.id))) == 0


@pytest.mark.parametrize("body", ["", "太短了", "字" * 1001])
def test_the_text_must_be_10_to_1000_characters(admin: User, body: str) -> None:
    task = published(admin)
    with pytest.raises(ValidationFailed) as err:
        replies.submit(task.id, owner_of(task), body)
    assert err.value.field == "body"


def test_a_new_submission_withdraws_the_pending_one(admin: User) -> None:
    task = published(admin)
    user = owner_of(task)
    first = replies.submit(task.id, user, TEXT)
    second = replies.submit(task.id, user, TEXT + "补充。")
    assert (first.status, second.status) == (ReplyStatus.WITHDRAWN, ReplyStatus.PENDING)
    assert statuses(task).count(ReplyStatus.PENDING) == 1
    with pytest.raises(InvalidTransition):
        replies.approve(first, admin)  # a withdrawn reply cannot be published any more


def test_an_approved_reply_is_replaced_only_when_the_new_one_is_approved(admin: User) -> None:
    task = published(admin)
    user = owner_of(task)
    old = replies.approve(replies.submit(task.id, user, TEXT), admin)
    first_leaf = ledger.latest_record(reply_records.RECORD_TYPE, str(task.id))
    newer = replies.submit(task.id, user, "补充说明：已更换为新购置并经首次检定合格的器具。")
    assert replies.approved_for([task.id]) == {task.id: old}  # still shown while the new one waits

    replies.reject(newer, admin, "请勿重复提交")
    assert replies.approved_for([task.id]) == {task.id: old}  # a rejection changes nothing public

    newest = replies.approve(replies.submit(task.id, user, "补充说明：检定证书可在店内查看。"), admin)
    assert old.status == ReplyStatus.WITHDRAWN
    assert replies.approved_for([task.id]) == {task.id: newest}
    record = ledger.latest_record(reply_records.RECORD_TYPE, str(task.id))
    assert record is not None and first_leaf is not None
    assert record.version == first_leaf.version + 1  # a newer record for the same id
    assert newest_data(reply_records.RECORD_TYPE, str(task.id))["body"] == "补充说明：检定证书可在店内查看。"
    assert statuses(task).count(ReplyStatus.APPROVED) == 1
    assert reply_problems() == []


def test_rejection_needs_a_reason_and_publishes_nothing(admin: User) -> None:
    task = published(admin)
    reply = replies.submit(task.id, owner_of(task), TEXT)
    with pytest.raises(ValidationFailed) as err:
        replies.reject(reply, admin, "   ")
    assert err.value.field == "note" and reply.status == ReplyStatus.PENDING
    replies.reject(reply, admin, "含有与检查结果无关的内容")
    assert reply.status == ReplyStatus.REJECTED and reply.decision_note == "含有与检查结果无关的内容"
    assert ledger.latest_record(reply_records.RECORD_TYPE, str(task.id)) is None
    with pytest.raises(InvalidTransition):
        replies.approve(reply, admin)  # decided once


def test_only_a_regulator_decides(admin: User) -> None:
    task = published(admin)
    user = owner_of(task)
    reply = replies.submit(task.id, user, TEXT)
    with pytest.raises(PermissionDenied):
        replies.approve(reply, user)
    with pytest.raises(PermissionDenied):
        replies.reject(reply, user, "不行")
    assert reply.status == ReplyStatus.PENDING


def test_approved_for_is_one_query_over_many_results(admin: User) -> None:
    tasks = [published(admin) for _ in range(3)]
    shown = {t.id: replies.approve(replies.submit(t.id, owner_of(t), TEXT), admin) for t in tasks[:2]}
    replies.submit(tasks[2].id, owner_of(tasks[2]), TEXT)  # pending: not shown
    statements: list[str] = []
    engine = db.session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        found = replies.approved_for(t.id for t in tasks)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert found == shown
    assert len([s for s in statements if "result_replies" in s]) == 1
    assert replies.approved_for([]) == {}


def test_the_queue_lists_pending_replies_first(admin: User) -> None:
    a, b = published(admin), published(admin)
    decided = replies.approve(replies.submit(a.id, owner_of(a), TEXT), admin)
    with clock.frozen(datetime(2026, 11, 23, 18, tzinfo=UTC)):
        waiting = replies.submit(b.id, owner_of(b), TEXT)
    order = list(db.session.scalars(replies.queue_stmt()))
    assert order.index(waiting) < order.index(decided)
    assert list(db.session.scalars(replies.queue_stmt("pending"))) == [waiting]
    assert replies.pending_count() == 1


def test_a_reply_to_a_result_repaired_meanwhile_cannot_be_published(admin: User) -> None:
    task = published(admin)
    owner = owner_of(task)
    reply = replies.submit(task.id, owner, TEXT)
    approved_result_repair(task, owner, NOW)  # the result stops being shown while the reply waits
    with pytest.raises(InvalidTransition):
        replies.approve(reply, admin)
    assert reply.status == ReplyStatus.PENDING
    assert ledger.latest_record(reply_records.RECORD_TYPE, str(task.id)) is None
    replies.reject(reply, admin, "检查结果已信用修复，不再公示")
    assert reply.status == ReplyStatus.REJECTED


def test_the_queue_ignores_an_unknown_status(admin: User) -> None:
    task = published(admin)
    replies.submit(task.id, owner_of(task), TEXT)
    assert len(db.session.scalars(replies.queue_stmt("bogus")).all()) == 1
