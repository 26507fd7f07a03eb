"""The published reply's ledger record and its projection for `ledger audit`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter.extensions import db
from honestmeter.inspections.models import ReplyStatus, ResultReply
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger.services import Record

RECORD_TYPE = "result_reply"


def reply_data(reply: ResultReply) -> dict[str, Any]:
    """The public facts of an approved reply (no names of people: the merchant speaks as the business)."""
    if reply.status != ReplyStatus.APPROVED or reply.decided_at is None:
        raise ValueError(f"reply {reply.id} is not approved")
    return {
        "uscc": reply.merchant.uscc,
        "task_id": str(reply.task_id),
        "result_ref": f"{result_records.RESULT_TYPE}/{reply.task_id}",
        "reply_id": str(reply.id),
        "body": reply.body,
        "approved_on": result_records.china_date(reply.decided_at).isoformat(),
        "authority": reply.task.authority,
    }


def reply_record(reply: ResultReply) -> Record:
    return Record(RECORD_TYPE, str(reply.task_id), reply_data(reply))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = (
        sa.select(ResultReply)
        .where(ResultReply.status == ReplyStatus.APPROVED)
        .options(selectinload(ResultReply.merchant), selectinload(ResultReply.task))
        .order_by(ResultReply.id)
    )
    for reply in db.session.scalars(query):
        yield str(reply.task_id), reply_data(reply)


PROJECTIONS = {RECORD_TYPE: projection}
