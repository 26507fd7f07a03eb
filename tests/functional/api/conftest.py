"""Data for the open data API tests: one merchant with a fact of every public kind, built through the services
(so every fact has its ledger record), plus a few plain merchants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from honestmeter import clock
from honestmeter.commitments.models import Commitment
from honestmeter.extensions import db
from honestmeter.inspections.models import Task
from honestmeter.inspections.replies import services as replies
from honestmeter.instruments import records as instrument_records
from honestmeter.ledger import services as ledger
from honestmeter.lists import records as list_records
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants import records as merchant_records
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import Penalty, PenaltyKind
from honestmeter.ratings.penalties import records as penalty_records
from tests import factories
from tests.factories import InstrumentFactory, MerchantFactory, UserFactory, approved_result_repair
from tests.functional.public.grading import grade_a

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 11, 23)
EXAMPLE_USCC = "91330100716105852F"  # the example in the OpenAPI document (api/routes.py)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@dataclass
class Rich:
    merchant: Merchant
    shown: Task  # published result with an approved reply
    repaired: Task  # published, then credit-repaired: no longer public
    listing: ListEntry
    removed: ListEntry  # removed 经营异常名录 listing: no longer public
    penalty: Penalty
    commitment: Commitment


def published(merchant: Merchant, checked_on: date, codes: tuple[str, ...] = ("01",)) -> Task:
    return factories.published(codes, checked_on=checked_on, merchant=merchant)


def commitment(merchant: Merchant, valid_until: date) -> Commitment:
    row = factories.signed_commitment(
        merchant, valid_until, signed_at=NOW - timedelta(days=30), signer=("王五", "店长")
    )
    ledger.append(ledger.Record("commitment", str(row.id), {"status": "active"}))
    return row


def _listing(merchant: Merchant, status: EntryStatus, reason: str) -> ListEntry:
    entry = ListEntry(
        kind=ListKind.ABNORMAL,
        merchant_id=merchant.id,
        status=status,
        reason=reason,
        authority="深圳市南山区市场监督管理局",
        proposed_at=NOW,
        listed_on=date(2026, 11, 2),
        removed_on=date(2026, 11, 10) if status == EntryStatus.REMOVED else None,
    )
    db.session.add(entry)
    db.session.flush()
    ledger.publish(list_records.entry_record(entry))
    return entry


@pytest.fixture
def rich() -> Rich:
    merchant = MerchantFactory(uscc=EXAMPLE_USCC, name="开放数据测试超市", contact_phone="13800138000")
    ledger.publish(merchant_records.record_of(merchant))
    grade_a(merchant)
    instrument = InstrumentFactory(merchant=merchant)
    ledger.publish(instrument_records.record_of(instrument))
    user = UserFactory(merchant_user=True, merchant=merchant)
    shown = published(merchant, TODAY - timedelta(days=3))
    replies.approve(replies.submit(shown.id, user, "检查后已完成自查，器具均在检定有效期内。"), UserFactory())
    repaired = published(merchant, TODAY - timedelta(days=200), ("02",))
    approved_result_repair(repaired, user, NOW)
    listing = _listing(merchant, EntryStatus.LISTED, "通过登记的住所（经营场所）无法联系")
    removed = _listing(merchant, EntryStatus.REMOVED, "未按照规定的期限公示年度报告")
    penalty = Penalty(
        merchant_id=merchant.id,
        decision_no="深南市监罚〔2026〕88号",
        violation_type="使用未经检定的计量器具",
        content="罚款人民币五万元",
        fine_amount=Decimal("50000.00"),
        kind=PenaltyKind.OTHER,
        authority="深圳市南山区市场监督管理局",
        decided_on=date(2026, 10, 9),
        public_until=date(2029, 10, 9),
    )
    db.session.add(penalty)
    db.session.flush()
    ledger.publish(penalty_records.penalty_record(penalty))
    signed = commitment(merchant, TODAY + timedelta(days=300))
    ledger.sign_checkpoint()
    return Rich(merchant, shown, repaired, listing, removed, penalty, signed)


def leaf_of(record_type: str, record_id: object) -> str:
    entry = ledger.latest_record(record_type, str(record_id))
    assert entry is not None
    return entry.leaf_hash.hex()
