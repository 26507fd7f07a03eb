"""A confirmed change of a merchant's USCC reaches every public record that embeds it (issue 15): each domain
subscribes to MerchantChanged and republishes, so `ledger audit` stays clean instead of reporting tampering."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.extensions import db
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import publication
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.lists.models import ListEntry
from honestmeter.merchants import services as merchants
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.penalties import services as penalties
from tests.factories import UserFactory, approved_result_repair, completed, merchant_facts
from tests.integration.lists.helpers import serious

NEW_USCC = uscc_rules.random_code(random.Random(15), "440305")


def _change_uscc(merchant: Merchant, new: str, admin: User) -> None:
    owner = UserFactory(merchant_user=True, merchant=merchant)
    request = merchants.request_change(owner, changes={"uscc": new}, reason="统一社会信用代码更正")
    merchants.decide_change(request.id, by=admin, approve=True)


def _newest_by_record(merchant_id: int, old: str) -> dict[tuple[str, str], dict[str, object]]:
    """The newest version of every record that ever named the merchant's old USCC (or is about its rows)."""
    rows = db.session.execute(sa.select(LedgerEntry.record_type, LedgerEntry.record_id, LedgerEntry.canonical))
    named = {(t, i) for t, i, raw in rows if json.loads(raw)["data"].get("uscc") == old}
    newest = {}
    for record_type, record_id in named:
        entry = ledger.latest_record(record_type, record_id)
        assert entry is not None
        newest[(record_type, record_id)] = json.loads(entry.canonical)["data"]
    return newest


def test_a_uscc_change_republishes_every_record_that_embeds_it() -> None:
    admin = UserFactory()
    merchant = merchants.register_merchant(merchant_facts())
    old = merchant.uscc
    listing = serious(merchant, admin)
    penalty = penalties.record_penalty(
        penalties.PenaltyFacts(
            uscc=old,
            decision_no="深南市监罚〔2026〕1号",
            violation_type="使用未经检定的计量器具",
            content="警告，并处罚款5000元",
            fine_amount=Decimal(5000),
            other_measures=False,
            special_domain=False,
            authority="深圳市南山区市场监督管理局",
            decided_on=clock.today(),
        ),
        admin,
    )
    replied = completed(("09",), merchant=merchant)
    publication.publish(replied, admin)
    reply = replies.submit(
        replied.id, UserFactory(merchant_user=True, merchant=merchant), "已按要求整改完毕，现场计量器具均已重新检定。"
    )
    replies.approve(reply, admin, "属实")
    repaired = completed(("13",), merchant=merchant)
    publication.publish(repaired, admin)
    repair = approved_result_repair(repaired, admin, replied.published_at)  # type: ignore[arg-type]
    assert merchant.grade is not None and ledger.latest_record("credit_grade", old) is not None
    assert audit.check_rows() == []

    _change_uscc(merchant, NEW_USCC, admin)

    assert merchant.uscc == NEW_USCC
    assert audit.check_rows() == []
    expected = {
        ("merchant", str(merchant.id)),
        ("list_entry", str(listing.id)),
        ("penalty", str(penalty.id)),
        ("inspection_result", str(replied.id)),
        ("inspection_result", str(repaired.id)),
        ("result_reply", str(replied.id)),
        ("credit_repair", str(repair.id)),
    }
    newest = _newest_by_record(merchant.id, old)
    assert expected <= set(newest)
    for key, data in newest.items():
        if key == ("credit_grade", old):
            continue  # keyed by the code itself: the grade is published afresh under the new one
        assert data["uscc"] == NEW_USCC, key
    grade = ledger.latest_record("credit_grade", NEW_USCC)
    assert grade is not None and json.loads(grade.canonical)["data"]["grade"] == merchant.grade


def test_a_name_change_republishes_results() -> None:
    admin = UserFactory()
    merchant = merchants.register_merchant(merchant_facts())
    task = completed(("01",), merchant=merchant)
    publication.publish(task, admin)
    merchants.update_merchant(
        merchant.id, merchant_facts(name="西湖视光中心"), status=merchant.status, override_reason=None
    )
    assert audit.check_rows() == []
    entry = ledger.latest_record("inspection_result", str(task.id))
    assert entry is not None and json.loads(entry.canonical)["data"]["merchant_name"] == "西湖视光中心"


def test_the_reported_demo_case_audits_clean(app: Flask) -> None:
    """The report: 120 demo merchants, a USCC change approved for one with a list entry; the audit stays clean."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--merchants", "120", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert audit.check_rows() == []
    listed = db.session.scalars(sa.select(ListEntry).order_by(ListEntry.id)).first()
    assert listed is not None
    _change_uscc(listed.merchant, NEW_USCC, UserFactory())
    assert audit.check_rows() == []
