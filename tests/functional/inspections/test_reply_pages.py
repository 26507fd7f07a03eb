"""Right of reply pages: the merchant replies from its results, the regulator vets, the public sees approved replies
beside the result, with a verify link; another merchant's result is a 404 whatever the method."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.inspections.models import ReplyStatus, ResultReply, Task
from honestmeter.inspections.replies import records as reply_records
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import publication
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant
from tests.factories import PASSWORD, MerchantFactory, UserFactory, approved_result_repair, completed

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
TEXT = "检查后已立即停用涉事电子计价秤，送检合格后重新使用。"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    UserFactory(username="replies_admin")
    return login(app, "replies_admin")


def published(merchant: Merchant | None = None, codes: tuple[str, ...] = ("09",)) -> Task:
    task = completed(codes, **({"merchant": merchant} if merchant else {}))
    publication.publish(task, UserFactory())
    return task


def shop_of(app: Flask, merchant: Merchant, username: str) -> FlaskClient:
    UserFactory(username=username, merchant_user=True, merchant=merchant)
    return login(app, username)


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def reply_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(ResultReply.id))) or 0)


def test_the_merchant_replies_from_its_results_and_sees_the_status(app: Flask) -> None:
    task = published()
    shop = shop_of(app, task.merchant, "reply_shop")
    listing = text(shop.get("/portal/results"))
    assert f"/portal/results/{task.id}/reply" in listing and "回复/说明" in listing

    form = text(shop.get(f"/portal/results/{task.id}/reply"))
    assert "提交回复/说明" in form and 'name="body"' in form
    short = shop.post(f"/portal/results/{task.id}/reply", data={"body": "太短"})
    assert short.status_code == 422 and "说明须为 10 至 1000 个字" in text(short)
    assert reply_count() == 0

    response = shop.post(f"/portal/results/{task.id}/reply", data={"body": TEXT})
    assert response.status_code == 302
    page = text(shop.get(f"/portal/results/{task.id}/reply"))
    assert "待审核" in page and TEXT in page and "正在审核" in page
    assert "待审核" in text(shop.get("/portal/results"))


def test_a_merchant_can_never_reply_to_or_see_another_merchants_result(app: Flask) -> None:
    theirs = published()
    replies.submit(theirs.id, UserFactory(merchant_user=True, merchant=theirs.merchant), "他人的说明内容，不应被看到。")
    mine = published()
    unpublished = completed(["01"], merchant=mine.merchant)
    shop = shop_of(app, mine.merchant, "reply_idor")
    before = reply_count()
    for task_id in (theirs.id, unpublished.id, 10**6):
        assert shop.get(f"/portal/results/{task_id}/reply").status_code == 404
        assert shop.post(f"/portal/results/{task_id}/reply", data={"body": TEXT}).status_code == 404
    assert reply_count() == before
    assert "他人的说明内容" not in text(shop.get("/portal/results"))


def test_the_reply_form_needs_a_csrf_token(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    task = published()
    shop = shop_of(app, task.merchant, "reply_csrf")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # after signing in: the login form has one too
    page = text(shop.get(f"/portal/results/{task.id}/reply"))
    assert 'name="csrf_token"' in page
    assert shop.post(f"/portal/results/{task.id}/reply", data={"body": TEXT}).status_code in (400, 422)
    assert reply_count() == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    ok = shop.post(f"/portal/results/{task.id}/reply", data={"body": TEXT, "csrf_token": token.group(1)})
    assert ok.status_code == 302 and reply_count() == 1


def test_the_regulator_approves_and_the_public_sees_the_reply_beside_the_result(
    app: Flask, admin: FlaskClient, client: FlaskClient
) -> None:
    task = published()
    shop_user = UserFactory(merchant_user=True, merchant=task.merchant)
    reply = replies.submit(task.id, shop_user, TEXT)
    queue = text(admin.get("/admin/replies"))
    assert task.merchant.name in queue and f"/admin/replies/{reply.id}" in queue and "待审核" in queue
    review = text(admin.get(f"/admin/replies/{reply.id}"))
    assert TEXT in review and "同意公开" in review and "不予公开" in review

    assert admin.post(f"/admin/replies/{reply.id}/approve", data={"note": ""}).status_code == 302
    assert reply.status == ReplyStatus.APPROVED
    record = ledger.latest_record(reply_records.RECORD_TYPE, str(task.id))
    assert record is not None

    page = text(client.get(f"/merchants/{task.merchant.uscc}"))
    results = page[page.index("抽查检查结果信息") :]
    assert "商户说明" in results and TEXT in results
    assert f"/verify?leaf={record.leaf_hash.hex()}" in results
    assert "2026-11-23" in results  # the day it was approved


def test_pending_and_rejected_replies_are_not_public(admin: FlaskClient, client: FlaskClient, app: Flask) -> None:
    task = published()
    user = UserFactory(merchant_user=True, merchant=task.merchant)
    rejected = replies.submit(task.id, user, "这条说明将被驳回，含有无关内容。")
    missing_note = admin.post(f"/admin/replies/{rejected.id}/reject", data={"note": ""})
    assert missing_note.status_code == 422 and rejected.status == ReplyStatus.PENDING
    assert (
        admin.post(f"/admin/replies/{rejected.id}/reject", data={"note": "含有与检查结果无关的内容"}).status_code == 302
    )
    assert rejected.status == ReplyStatus.REJECTED
    replies.submit(task.id, user, "这条说明仍在审核之中，尚未公开。")

    page = text(client.get(f"/merchants/{task.merchant.uscc}"))
    assert "商户说明" not in page
    assert "将被驳回" not in page and "仍在审核" not in page
    assert ledger.latest_record(reply_records.RECORD_TYPE, str(task.id)) is None

    shop = login(app, user.username)
    mine = text(shop.get(f"/portal/results/{task.id}/reply"))
    assert "未通过" in mine and "含有与检查结果无关的内容" in mine and "待审核" in mine


def test_a_repaired_result_hides_its_reply_too(client: FlaskClient) -> None:
    task = published()
    user = UserFactory(merchant_user=True, merchant=task.merchant)
    replies.approve(replies.submit(task.id, user, TEXT), UserFactory())
    approved_result_repair(task, user, NOW)
    assert TEXT not in text(client.get(f"/merchants/{task.merchant.uscc}"))


def test_the_queue_is_paginated_with_pending_first(admin: FlaskClient) -> None:
    merchant = MerchantFactory(name="分页回复商行")
    user = UserFactory(merchant_user=True, merchant=merchant)
    tasks = [published(merchant) for _ in range(3)]
    decided = replies.approve(replies.submit(tasks[0].id, user, TEXT), UserFactory())
    waiting = replies.submit(tasks[1].id, user, TEXT)
    page = text(admin.get("/admin/replies"))
    assert page.index(f'/admin/replies/{waiting.id}"') < page.index(f'/admin/replies/{decided.id}"')
    pending_tab = text(admin.get("/admin/replies?status=pending"))
    assert f'/admin/replies/{waiting.id}"' in pending_tab and f'/admin/replies/{decided.id}"' not in pending_tab
    assert admin.get("/admin/replies?page=99").status_code == 200
    assert admin.get("/admin/replies/999999").status_code == 404
