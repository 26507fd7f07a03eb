"""The results pages: review queue with deadline badges, publish, orders, 09, list proposals, public page, portal."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.inspections.models import FollowUp, OrderStatus, TaskStatus
from honestmeter.inspections.results import followup
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists.models import EntryStatus
from tests.factories import PASSWORD, UserFactory, completed

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    UserFactory(username="reviewer")
    client.post("/login", data={"username": "reviewer", "password": PASSWORD})
    return client


def test_the_queue_sorts_by_deadline_with_badges(admin: FlaskClient) -> None:
    later = completed()  # deadline 2026-12-18
    late = completed(at=datetime(2026, 10, 20, 2, tzinfo=UTC))  # 2026-11-17, passed
    page = admin.get("/admin/results").get_data(as_text=True)
    assert page.index(late.merchant.name) < page.index(later.merchant.name)
    assert "已逾期" in page and "剩余 19 个工作日" in page
    overdue = admin.get("/admin/results?tab=overdue").get_data(as_text=True)
    assert late.merchant.name in overdue and later.merchant.name not in overdue


def test_review_and_publish_then_the_public_page_shows_only_published_rows(admin: FlaskClient) -> None:
    shown = completed(["09", "13"])
    hidden = completed(["01"], merchant=shown.merchant)
    review = admin.get(f"/admin/results/{shown.id}").get_data(as_text=True)
    assert "审核通过并公示" in review and "发现问题待后续处理" in review
    response = admin.post(f"/admin/results/{shown.id}/publish")
    assert response.status_code == 302 and shown.status == TaskStatus.PUBLISHED
    record = ledger.latest_record(result_records.RESULT_TYPE, str(shown.id))
    assert record is not None
    public = admin.get(f"/merchants/{shown.merchant.uscc}").get_data(as_text=True)
    section = public[public.index("抽查检查结果信息") :]
    assert "深圳市南山区市场监督管理局" in section and "定向检查" in section
    assert "发现问题待后续处理；未按规定公示应当公示的信息" in section
    assert f"/verify?leaf={record.leaf_hash.hex()}" in section
    assert len(re.findall(r"/verify\?leaf=", section)) == 1  # the unpublished check is not there
    assert hidden.status == TaskStatus.COMPLETED


def test_bulk_publication_from_the_queue(admin: FlaskClient) -> None:
    first, second, left = completed(), completed(), completed()
    response = admin.post("/admin/results/publish", data={"task_ids": [str(first.id), str(second.id)]})
    assert response.status_code == 302
    assert (first.status, second.status, left.status) == (
        TaskStatus.PUBLISHED,
        TaskStatus.PUBLISHED,
        TaskStatus.COMPLETED,
    )
    published = admin.get("/admin/results?tab=published").get_data(as_text=True)
    assert first.merchant.name in published and left.merchant.name not in published


def test_issuing_an_order_and_closing_a_follow_up_from_the_review_page(admin: FlaskClient) -> None:
    task = completed(["09"])
    bad = admin.post(f"/admin/results/{task.id}/order", data={"problems": "电子秤未检定", "deadline": "2026-11-01"})
    assert bad.status_code == 422 and "改正期限须晚于今天" in bad.get_data(as_text=True)
    ok = admin.post(
        f"/admin/results/{task.id}/order",
        data={"problems": "电子秤未检定", "requirements": "申请检定", "basis": "", "deadline": "2026-12-10"},
    )
    assert ok.status_code == 302
    [order] = followup.orders_for_task(task.id)
    assert order.status == OrderStatus.OPEN and order.number == "2026责改0001"
    assert "2026责改0001" in admin.get(f"/admin/results/{task.id}").get_data(as_text=True)
    assert admin.post(f"/admin/results/{task.id}/close", data={"note": ""}).status_code == 422
    assert task.follow_up == FollowUp.OPEN
    admin.post(f"/admin/results/{task.id}/close", data={"note": "已移交立案"})
    assert task.follow_up == FollowUp.CLOSED


def test_a_confirmed_abnormal_listing_appears_on_the_public_page(admin: FlaskClient) -> None:
    task = completed(["10"])
    [entry] = list_queries.proposals()
    assert task.merchant.name in admin.get("/admin/lists/proposals").get_data(as_text=True)
    before = admin.get(f"/merchants/{task.merchant.uscc}").get_data(as_text=True)
    assert "暂无列入经营异常名录信息" in before
    assert admin.post(f"/admin/lists/{entry.id}/approve", data={"note": ""}).status_code == 302
    assert entry.status == EntryStatus.LISTED
    after = admin.get(f"/merchants/{task.merchant.uscc}").get_data(as_text=True)
    listing = after[after.index("列入经营异常名录信息") :]
    assert "2026-11-23" in listing and "通过登记的住所（经营场所）无法联系" in listing and task.authority in listing


def test_rejecting_a_proposal_needs_a_reason(admin: FlaskClient) -> None:
    completed(["10"])
    [entry] = list_queries.proposals()
    admin.post(f"/admin/lists/{entry.id}/reject", data={"note": ""})
    assert entry.status == EntryStatus.PROPOSED
    admin.post(f"/admin/lists/{entry.id}/reject", data={"note": "已联系上"})
    assert entry.status == EntryStatus.REJECTED


def test_publishing_needs_a_csrf_token(admin: FlaskClient, csrf: None) -> None:
    task = completed()
    assert admin.post(f"/admin/results/{task.id}/publish").status_code in (302, 400)
    assert task.status == TaskStatus.COMPLETED


def test_an_inspector_or_merchant_cannot_publish(client: FlaskClient) -> None:
    task = completed()
    UserFactory(username="trader", merchant_user=True, merchant=task.merchant)
    client.post("/login", data={"username": "trader", "password": PASSWORD})
    assert client.post(f"/admin/results/{task.id}/publish").status_code == 403
    assert task.status == TaskStatus.COMPLETED


def test_a_deadline_in_a_year_without_holiday_data_is_flagged(admin: FlaskClient) -> None:
    known = completed()  # deadline 2026-12-18: chinese-calendar knows 2026
    unknown = completed()
    unknown.publish_deadline = date(2031, 1, 10)  # counted Monday–Friday
    page = admin.get("/admin/results").get_data(as_text=True)
    row = page[page.index(unknown.merchant.name) :]
    assert "未含节假日" in row.split("</tr>")[0]
    assert "未含节假日" not in page[page.index(known.merchant.name) :].split("</tr>")[0]
