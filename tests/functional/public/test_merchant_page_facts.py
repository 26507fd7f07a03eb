"""The public merchant page: a verify link on every public fact, and the stale-data notice (no inspection for
STALE_INSPECTION_MONTHS, no commitment in force)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.inspections.models import Task
from honestmeter.inspections.replies import records as reply_records
from honestmeter.inspections.replies import services as replies
from honestmeter.instruments import records as instrument_records
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant
from honestmeter.repairs import services as repairs
from tests.factories import (
    InstrumentFactory,
    MerchantFactory,
    UserFactory,
    approved_result_repair,
    published,
    signed_commitment,
)

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
TODAY = date(2026, 11, 23)
STALE = "信息可能已不是最新"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def page_of(client: FlaskClient, merchant: Merchant) -> str:
    response = client.get(f"/merchants/{merchant.uscc}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def notice(page: str) -> str:
    """The stale-data notice, or "" when there is none."""
    if "stale-notice" not in page:
        return ""
    start = page.index("stale-notice")
    return page[start : page.index("</div>", start)]


def commitment(merchant: Merchant, valid_until: date, status: CommitmentStatus = CommitmentStatus.ACTIVE) -> Commitment:
    return signed_commitment(merchant, valid_until, signed_at=NOW - timedelta(days=200), status=status)


def published_on(merchant: Merchant, checked_on: date) -> Task:
    return published(checked_on=checked_on, merchant=merchant)


def leaf_of(record_type: str, record_id: str) -> str:
    entry = ledger.latest_record(record_type, record_id)
    assert entry is not None
    return entry.leaf_hash.hex()


# ---------------------------------------------------------------- verify links


def test_instruments_an_expired_commitment_replies_and_repairs_each_have_a_verify_link(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    instrument = InstrumentFactory(merchant=merchant)
    ledger.append(ledger.Record(instrument_records.RECORD_TYPE, str(instrument.id), {"serial_number": "S1"}))
    old = commitment(merchant, TODAY - timedelta(days=10), CommitmentStatus.EXPIRED)
    ledger.append(ledger.Record("commitment", str(old.id), {"status": "expired"}))
    user = UserFactory(merchant_user=True, merchant=merchant)
    shown = published_on(merchant, TODAY - timedelta(days=3))
    replies.approve(replies.submit(shown.id, user, "检查后已完成自查，器具均在检定有效期内。"), UserFactory())
    repaired = published_on(merchant, TODAY - timedelta(days=400))
    repair = approved_result_repair(repaired, user, NOW)

    page = page_of(client, merchant)
    for record_type, record_id in (
        (instrument_records.RECORD_TYPE, str(instrument.id)),
        ("commitment", str(old.id)),
        ("inspection_result", str(shown.id)),
        (reply_records.RECORD_TYPE, str(shown.id)),
        (repairs.RECORD_TYPE, str(repair.id)),
    ):
        assert f"/verify?leaf={leaf_of(record_type, record_id)}" in page, record_type
    results = page[page.index("抽查检查结果信息") : page.index("列入经营异常名录信息")]
    assert f"/verify?leaf={leaf_of('inspection_result', str(repaired.id))}" not in results  # repaired: not shown
    assert "信用修复信息" in page


def test_the_page_fits_a_phone(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    InstrumentFactory(merchant=merchant)
    page = page_of(client, merchant)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    # every table is a results-table (stacked rows with labels under 640 px) inside a scrolling wrapper
    assert page.count('<table class="table') == page.count("results-table")
    assert page.count('<table class="table') == page.count('class="table-wrap"')


# ---------------------------------------------------------------- stale data


def test_a_merchant_never_inspected_and_without_a_commitment_is_flagged(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    shown = notice(page_of(client, merchant))
    assert STALE in shown
    assert "近 24 个月内没有已公示的抽查检查结果" in shown
    assert "尚未签署诚信承诺" in shown


def test_a_recent_inspection_and_a_valid_commitment_raise_no_flag(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    published_on(merchant, date(2025, 1, 10))  # 22 months ago
    commitment(merchant, TODAY + timedelta(days=100))
    assert notice(page_of(client, merchant)) == ""


def test_an_inspection_older_than_24_months_is_flagged_with_its_date(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    published_on(merchant, date(2024, 11, 22))  # 24 months and a day
    commitment(merchant, TODAY + timedelta(days=100))
    shown = notice(page_of(client, merchant))
    assert "最近一次公示的抽查检查是 2024-11-22，已超过 24 个月" in shown
    assert "诚信承诺" not in shown


def test_the_threshold_is_configurable(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = MerchantFactory()
    published_on(merchant, date(2025, 1, 10))
    commitment(merchant, TODAY + timedelta(days=100))
    monkeypatch.setitem(app.config, "STALE_INSPECTION_MONTHS", 12)
    assert "已超过 12 个月" in notice(page_of(client, merchant))


def test_an_expired_commitment_is_flagged_even_before_the_nightly_job(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    published_on(merchant, TODAY - timedelta(days=30))
    commitment(merchant, TODAY - timedelta(days=1))  # still ACTIVE: commitments.expire has not run yet
    page = page_of(client, merchant)
    shown = notice(page)
    assert "目前没有有效的诚信承诺：最近一次承诺已于 2026-11-22 到期或终止" in shown
    assert "抽查检查" not in shown
    assert "已过期" in page[page.index("<h2>诚信计量承诺</h2>") :]
