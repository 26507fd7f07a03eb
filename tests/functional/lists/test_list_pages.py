"""The credit-list pages: regulators list, decide and remove; merchants apply for 示范单位 and see only their own;
the public sees listings in force and a valid title's certificate."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.lists import queries as list_queries
from honestmeter.lists import services as lists
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind, RemovalKind
from honestmeter.merchants.models import Merchant
from honestmeter.public import queries as public_queries
from tests.factories import PASSWORD, MerchantFactory, UserFactory, completed
from tests.integration.lists.helpers import NOW, PDF, PNG, TODAY, abnormal, applied, at, model_unit, serious

APPLICATION = "设置公平秤，计量器具台账完整，强制检定器具均按期检定。"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    UserFactory(username="lists_admin")
    return login(app, "lists_admin")


def merchant_client(app: Flask, merchant: Merchant, username: str) -> FlaskClient:
    UserFactory(username=username, merchant_user=True, merchant=merchant)
    return login(app, username)


def apply(client: FlaskClient, *files: tuple[bytes, str], application: str = APPLICATION) -> object:
    return client.post(
        "/portal/model-unit",
        data={"application": application, "evidence": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


# ---------------------------------------------------------------- 示范单位: apply, review, certificate


def test_a_merchant_applies_and_the_regulator_grants_the_title(app: Flask, admin: FlaskClient) -> None:
    merchant = MerchantFactory(name="南山诚信粮油店")
    shop = merchant_client(app, merchant, "shop_a")
    assert apply(shop, (b"<html>", "证书.pdf")).status_code == 422  # not a scan
    assert list_queries.for_merchant(merchant.id) == []
    assert apply(shop, (PDF, "检定证书.pdf"), (PNG, "公平秤.png")).status_code == 302
    [entry] = list_queries.for_merchant(merchant.id)
    assert entry.status == EntryStatus.PROPOSED and entry.application == APPLICATION
    page = text(shop.get("/portal/model-unit"))
    assert "审核中" in page and "已有正在审核的示范单位申请" in page and "检定证书.pdf" in page
    assert apply(shop, (PDF, "again.pdf")).status_code == 422  # one open application at a time
    assert len(list_queries.for_merchant(merchant.id)) == 1

    queue = text(admin.get("/admin/lists/model_unit?status=proposed"))
    assert "南山诚信粮油店" in queue
    detail = text(admin.get(f"/admin/lists/entries/{entry.id}"))
    assert APPLICATION in detail and "公平秤.png" in detail
    sha = entry.evidence[1]["sha256"]
    download = admin.get(f"/admin/lists/entries/{entry.id}/evidence/{sha}")
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
    assert shop.get(f"/portal/model-unit/{entry.id}/evidence/{sha}").data == PNG
    assert shop.get(f"/portal/model-unit/{entry.id}/certificate.pdf").status_code == 404  # not granted yet

    response = admin.post(f"/admin/lists/{entry.id}/approve", data={"note": "", "authority": "南山区市场监管局"})
    assert response.status_code == 302 and "/admin/lists/model_unit" in response.headers["Location"]
    assert entry.status == EntryStatus.LISTED and entry.authority == "南山区市场监管局"
    assert entry.valid_until == date(2027, 11, 22)
    assert merchant.grade == "A"
    certificate = shop.get(f"/portal/model-unit/{entry.id}/certificate.pdf")
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    public = app.test_client().get(f"/merchants/{merchant.uscc}/model-unit.pdf")
    assert public.status_code == 200 and public.data == certificate.data
    assert "南山诚信粮油店" in text(app.test_client().get("/model-units"))
    assert "有效期 2026-11-23 至 2027-11-22" in text(shop.get("/portal/model-unit"))

    revoke = admin.post(
        f"/admin/lists/entries/{entry.id}/remove",
        data={"reason": "使用未经检定的电子秤", "authority": "南山区市场监管局", "removed_on": "2026-11-23"},
    )
    assert revoke.status_code == 302
    assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.REVOKED
    assert app.test_client().get(f"/merchants/{merchant.uscc}/model-unit.pdf").status_code == 404
    assert shop.get(f"/portal/model-unit/{entry.id}/certificate.pdf").status_code == 404


def test_the_public_certificate_ends_with_the_title(app: Flask) -> None:
    merchant = MerchantFactory()
    model_unit(merchant)
    client = app.test_client()
    with clock.frozen(at(date(2027, 11, 22))):
        assert client.get(f"/merchants/{merchant.uscc}/model-unit.pdf").status_code == 200
    with clock.frozen(at(date(2027, 11, 23))):
        assert client.get(f"/merchants/{merchant.uscc}/model-unit.pdf").status_code == 404
    assert client.get("/merchants/91440300MA5XXXXXX0/model-unit.pdf").status_code == 404


def test_a_rejected_application_shows_the_reason_to_the_merchant(app: Flask, admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    shop = merchant_client(app, merchant, "shop_r")
    entry = applied(merchant)
    admin.post(f"/admin/lists/{entry.id}/reject", data={"note": ""})
    assert entry.status == EntryStatus.PROPOSED  # a rejection needs its reason
    admin.post(f"/admin/lists/{entry.id}/reject", data={"note": "强制检定器具台账不完整"})
    assert entry.status == EntryStatus.REJECTED
    page = text(shop.get("/portal/model-unit"))
    assert "不予认定" in page and "强制检定器具台账不完整" in page and 'name="application"' in page


# ---------------------------------------------------------------- IDOR and roles


def test_a_merchant_never_sees_another_merchants_application(app: Flask) -> None:
    a, b = MerchantFactory(), MerchantFactory()
    entry = applied(a)
    sha = entry.evidence[0]["sha256"]
    title = model_unit(MerchantFactory())
    other = merchant_client(app, b, "shop_b")
    assert other.get(f"/portal/model-unit/{entry.id}/evidence/{sha}").status_code == 404
    assert other.get(f"/portal/model-unit/{title.id}/certificate.pdf").status_code == 404
    assert other.get(f"/portal/model-unit/{entry.id}/evidence/{'0' * 64}").status_code == 404
    page = text(other.get("/portal/model-unit"))
    assert "设置公平秤" not in page and a.name not in page
    for url in (f"/admin/lists/entries/{entry.id}", f"/admin/lists/entries/{entry.id}/evidence/{sha}"):
        assert other.get(url).status_code == 403
    assert other.post(f"/admin/lists/{entry.id}/approve", data={"note": ""}).status_code == 403
    assert entry.status == EntryStatus.PROPOSED


def test_a_merchant_sees_its_listings_but_not_internal_proposals(app: Flask) -> None:
    task = completed(["10"])
    shop = merchant_client(app, task.merchant, "shop_10")
    listing = abnormal(task.merchant)
    page = text(shop.get("/portal/model-unit"))
    assert "未按照规定的期限公示年度报告" in page
    assert "通过登记的住所（经营场所）无法联系" not in page  # the pending proposal is internal
    assert "列入经营异常名录或严重违法失信名单期间不能申请" in page
    [proposal] = list_queries.proposals()
    assert shop.get(f"/portal/model-unit/{proposal.id}/certificate.pdf").status_code == 404
    assert listing.status == EntryStatus.LISTED


# ---------------------------------------------------------------- CSRF


def test_every_list_form_needs_a_csrf_token(app: Flask, admin: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = MerchantFactory()
    shop = merchant_client(app, merchant, "shop_csrf")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # after signing in: the login form has one too
    assert apply(shop, (PDF, "a.pdf")).status_code in (400, 422)
    assert list_queries.for_merchant(merchant.id) == []
    entry = applied(merchant)
    admin.post(f"/admin/lists/{entry.id}/approve", data={"note": ""})
    assert entry.status == EntryStatus.PROPOSED
    listing = abnormal(MerchantFactory())
    admin.post(
        f"/admin/lists/entries/{listing.id}/remove",
        data={"reason": "已补报", "authority": "南山局", "removed_on": "2026-11-23"},
    )
    assert listing.status == EntryStatus.LISTED
    target = MerchantFactory()
    for url, data in (
        ("/admin/lists/abnormal/new", {"uscc": target.uscc, "ground": "unreachable", "authority": "x"}),
        ("/admin/lists/serious/new", {"uscc": target.uscc, "decision_no": "X1", "reason": "y", "authority": "x"}),
    ):
        admin.post(url, data={**data, "listed_on": "2026-11-23"})
    assert list_queries.listed_for(target.id) == []
    form = text(admin.get(f"/admin/lists/entries/{listing.id}"))
    assert 'name="csrf_token"' in form


# ---------------------------------------------------------------- regulator: lists, forms, export


def test_listing_directly_and_removing_through_the_pages(admin: FlaskClient) -> None:
    merchant = MerchantFactory(name="无法联系商行")
    form = text(admin.get("/admin/lists/abnormal/new"))
    assert "未按照规定的期限公示年度报告" in form and "通过登记的住所（经营场所）无法联系" in form
    bad = admin.post(
        "/admin/lists/abnormal/new",
        data={"uscc": merchant.uscc, "ground": "annual_report", "authority": "南山局", "listed_on": "2026-11-24"},
    )
    assert bad.status_code == 422 and "日期不能晚于今天" in text(bad)
    ok = admin.post(
        "/admin/lists/abnormal/new",
        data={
            "uscc": merchant.uscc,
            "ground": "false_info",
            "note": "年报资产数据不实",
            "authority": "南山局",
            "listed_on": "2026-11-20",
        },
    )
    assert ok.status_code == 302
    [entry] = list_queries.listed_for(merchant.id)
    assert entry.reason == "公示企业信息隐瞒真实情况、弄虚作假" and entry.listed_on == date(2026, 11, 20)
    detail = text(admin.get(f"/admin/lists/entries/{entry.id}"))
    assert "账本记录第 1 版" in detail and "/verify?leaf=" in detail and "年报资产数据不实" in detail
    missing = admin.post(
        f"/admin/lists/entries/{entry.id}/remove",
        data={"reason": "", "authority": "南山局", "removed_on": "2026-11-23"},
    )
    assert missing.status_code == 422 and entry.status == EntryStatus.LISTED
    admin.post(
        f"/admin/lists/entries/{entry.id}/remove",
        data={"reason": "已更正公示信息", "authority": "南山局", "removed_on": "2026-11-23"},
    )
    assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.DECISION
    assert "账本记录第 2 版" in text(admin.get(f"/admin/lists/entries/{entry.id}"))


def test_listing_on_the_serious_list_through_the_page(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    response = admin.post(
        "/admin/lists/serious/new",
        data={
            "uscc": merchant.uscc,
            "decision_no": "深南市监信列〔2026〕3号",
            "reason": "计量作弊情节严重",
            "authority": "南山局",
            "listed_on": "2026-11-23",
        },
    )
    assert response.status_code == 302
    [entry] = list_queries.listed_for(merchant.id)
    assert entry.kind == ListKind.SERIOUS and entry.valid_until == date(2029, 11, 23)
    assert merchant.grade == "D"
    detail = text(admin.get(f"/admin/lists/entries/{entry.id}"))
    assert "2027-11-23" in detail and "2029-11-23" in detail  # repair from, automatic removal on
    again = admin.post(
        "/admin/lists/serious/new",
        data={
            "uscc": merchant.uscc,
            "decision_no": "深南市监信列〔2026〕3号",
            "reason": "x",
            "authority": "南山局",
            "listed_on": "2026-11-23",
        },
    )
    assert again.status_code == 422 and "该决定书文号已登记" in text(again)


def test_the_list_pages_filter_and_export(admin: FlaskClient) -> None:
    kept = abnormal(MerchantFactory(name="甲商行"))
    gone = abnormal(MerchantFactory(name="乙商行"))
    lists.remove_abnormal(gone, reason="已补报", authority="南山局", removed_on=TODAY, by=UserFactory())
    serious(MerchantFactory(name="丙商行"))
    page = text(admin.get("/admin/lists/abnormal"))
    assert "甲商行" in page and "乙商行" in page and "丙商行" not in page
    listed = text(admin.get("/admin/lists/abnormal?status=listed"))
    assert "甲商行" in listed and "乙商行" not in listed
    assert "甲商行" not in text(admin.get("/admin/lists/abnormal?q=乙商行"))
    export = admin.get("/admin/lists/abnormal/export.csv?status=removed")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.data.decode("utf-8")
    assert body.startswith("\ufeff名录,统一社会信用代码") and "乙商行" in body and "甲商行" not in body
    assert "决定移出" in body and "已补报" in body
    assert "丙商行" in text(admin.get("/admin/lists/serious"))
    assert kept.status == EntryStatus.LISTED


def test_the_moved_proposal_queue_keeps_its_url(app: Flask, admin: FlaskClient) -> None:
    task = completed(["10"])
    assert task.merchant.name in text(admin.get("/admin/lists/proposals"))
    with app.test_request_context():
        assert url_for("lists.proposals") == url_for("results.list_proposals") == "/admin/lists/proposals"
    [entry] = list_queries.proposals()
    assert (
        admin.post(f"/admin/lists/{entry.id}/approve", data={"note": ""})
        .headers["Location"]
        .endswith("/admin/lists/proposals")
    )
    assert entry.status == EntryStatus.LISTED


# ---------------------------------------------------------------- public partial


def render_public(app: Flask, merchant: Merchant) -> str:
    with app.test_request_context():
        return render_template_string('{% include "lists/_public.html" %}', **public_queries.merchant_page(merchant))


def test_the_public_partial_shows_exactly_what_is_in_force(app: Flask) -> None:
    merchant = MerchantFactory()
    empty = render_public(app, merchant)
    assert "暂无列入经营异常名录信息" in empty and "暂无列入严重违法失信名单信息" in empty
    assert "诚信计量示范单位" not in empty
    title = model_unit(merchant)
    listing = abnormal(merchant, on=date(2026, 11, 2))
    page = render_public(app, merchant)
    section = page[page.index("列入经营异常名录信息") :]
    assert (
        "2026-11-02" in section
        and "未按照规定的期限公示年度报告" in section
        and "深圳市南山区市场监督管理局" in section
    )
    assert "有效期至 2027-11-22" in page and f"/merchants/{merchant.uscc}/model-unit.pdf" in page
    assert page.count("/verify?leaf=") == 2
    lists.remove_abnormal(listing, reason="已补报", authority="南山局", removed_on=TODAY, by=UserFactory())
    entry = serious(merchant)
    page = render_public(app, merchant)
    assert "未按照规定的期限公示年度报告" not in page  # removed: no longer shown
    assert "2029-11-23 期满移出" in page and entry.decision_no in page
    lists.remove_entry(entry, kind=RemovalKind.REPAIR, reason="信用修复", authority="南山局", by=None)
    page = render_public(app, merchant)
    assert entry.decision_no not in page and "信用修复" not in page  # repaired: neither listing nor removal
    assert title in list_queries.listed_for(merchant.id)


def test_unlisted_entries_are_not_in_the_public_model_unit_list(app: Flask) -> None:
    applied(MerchantFactory(name="申请中商行"))
    shown = model_unit(MerchantFactory(name="示范商行"))
    page = text(app.test_client().get("/model-units"))
    assert "示范商行" in page and "申请中商行" not in page
    assert isinstance(shown, ListEntry)
