"""The demo replies: approved (one replaced by a newer approved one), pending and rejected, on published demo results,
each approval in the ledger; a second run adds nothing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from honestmeter.auth import services as auth_services
from honestmeter.auth.models import User
from honestmeter.demo import replies as reply_demo
from honestmeter.demo.seed import MERCHANT_PASSWORD
from honestmeter.extensions import db
from honestmeter.inspections.models import ReplyStatus, ResultReply, TaskStatus
from honestmeter.inspections.replies import records as reply_records
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger


def test_the_demo_has_replies_in_every_state(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo-data", "--merchants", "60", "--seed", "7"])
    assert result.exit_code == 0, result.output
    reply_demo.generate(seed=7)  # the CLI may already have run it: then this adds nothing

    found = list(db.session.scalars(sa.select(ResultReply).order_by(ResultReply.id)))
    by_status = {status: [r for r in found if r.status == status] for status in ReplyStatus}
    assert len(by_status[ReplyStatus.APPROVED]) == 2
    assert len(by_status[ReplyStatus.PENDING]) == 2
    assert len(by_status[ReplyStatus.REJECTED]) == 1 and by_status[ReplyStatus.REJECTED][0].decision_note
    assert len(by_status[ReplyStatus.WITHDRAWN]) == 1  # the approved reply a newer approved one replaced
    assert all(r.task.status == TaskStatus.PUBLISHED and r.task.merchant_id == r.merchant_id for r in found)
    for reply in by_status[ReplyStatus.APPROVED]:
        record = ledger.latest_record(reply_records.RECORD_TYPE, str(reply.task_id))
        assert record is not None
    replaced = by_status[ReplyStatus.WITHDRAWN][0]
    record = ledger.latest_record(reply_records.RECORD_TYPE, str(replaced.task_id))
    assert record is not None and record.version == 2
    assert [p for p in audit.check_rows() if p.startswith(reply_records.RECORD_TYPE)] == []
    # the merchants can sign in and see their replies
    for reply in found:
        user = db.session.get(User, reply.submitted_by_id)
        assert user is not None
        assert auth_services.authenticate(user.username, MERCHANT_PASSWORD).merchant_id == reply.merchant_id

    assert reply_demo.generate(seed=7) == {"replies": 0}
