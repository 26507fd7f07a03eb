"""The 行政处罚 pages: record, list with filters, export, import, detail, the public partial, who may use them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant
from honestmeter.public import queries as public_queries
from honestmeter.ratings.models import Penalty, PenaltyKind
from honestmeter.ratings.penalties import importing as penalty_import
from honestmeter.ratings.penalties import services as penalties
from tests.factories import PASSWORD, InspectorFactory, MerchantFactory, UserFactory

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    UserFactory(username="regulator")
    client.post("/login", data={"username": "regulator", "password": PASSWORD})
    return client


def form(merchant: Merchant, **changes: str) -> dict[str, str]:
    return {
        "uscc": merchant.uscc,
        "decision_no": "深南市监罚〔2026〕88号",
        "violation_type": "使用未经检定的计量器具",
        "content": "没收违法所得，并处罚款 20000 元",
        "fine_amount": "20000",
        "authority": "深圳市南山区市场监督管理局",
        "decided_on": "2026-11-02",
        **changes,
    }


def test_recording_a_penalty_from_the_form(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    response = admin.post("/admin/penalties/new", data=form(merchant))
    penalty = db.session.scalar(sa.select(Penalty))
    assert penalty is not None and response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/penalties/{penalty.id}")
    assert penalty.kind == PenaltyKind.OTHER and penalty.public_until == date(2029, 11, 2)
    page = admin.get(f"/admin/penalties/{penalty.id}").get_data(as_text=True)
    assert "深南市监罚〔2026〕88号" in page and "20000.00" in page and "2029-11-01" in page
    record = ledger.latest_record("penalty", str(penalty.id))
    assert record is not None and f"/verify?leaf={record.leaf_hash.hex()}" in page


def test_form_errors_are_shown_next_to_the_field(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    response = admin.post("/admin/penalties/new", data=form(merchant, content="责令改正", fine_amount=""))
    assert response.status_code == 422
    assert "无法判断处罚种类" in response.get_data(as_text=True)
    unknown = admin.post("/admin/penalties/new", data=form(merchant, uscc="91440300MA5FFFFFF0"))
    assert unknown.status_code == 422 and "检查对象名录中没有" in unknown.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0


def test_the_other_measures_box_makes_a_small_fine_a_three_year_penalty(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    admin.post(
        "/admin/penalties/new", data=form(merchant, content="罚款 500 元", fine_amount="500", other_measures="y")
    )
    penalty = db.session.scalar(sa.select(Penalty))
    assert penalty is not None and penalty.kind == PenaltyKind.OTHER


def test_the_list_filters_and_exports(admin: FlaskClient) -> None:
    merchant = MerchantFactory(name="过滤商行")
    admin.post("/admin/penalties/new", data=form(merchant))
    admin.post("/admin/penalties/new", data=form(merchant, decision_no="W-1", content="警告", fine_amount=""))
    page = admin.get("/admin/penalties").get_data(as_text=True)
    assert "深南市监罚〔2026〕88号" in page and "W-1" in page and "不公示（警告）" in page
    warnings = admin.get("/admin/penalties?kind=warning").get_data(as_text=True)
    assert "W-1" in warnings and "88号" not in warnings
    public = admin.get("/admin/penalties?state=public&q=过滤").get_data(as_text=True)
    assert "88号" in public and "W-1" not in public
    export = admin.get("/admin/penalties/export.csv?kind=warning")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.data.decode("utf-8-sig")
    assert "W-1" in text and "88号" not in text and "不公示" in text


def test_import_reports_row_and_column_and_imports_nothing(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    header = ",".join(penalty_import.HEADERS)
    rows = [
        f"{merchant.uscc},I-1,类型,警告,,否,否,南山局,2026-11-01",
        f"{merchant.uscc},I-2,类型,警告,,否,否,南山局,明天",
    ]
    bad = "\n".join([header, *rows]) + "\n"
    response = admin.post(
        "/admin/penalties/import",
        data={"file": (io.BytesIO(bad.encode()), "处罚.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "未导入任何行政处罚" in page
    assert "第3行“决定日期”：“明天”不是有效的日期" in page
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0
    good = bad.replace("明天", "2026-11-02")
    done = admin.post(
        "/admin/penalties/import",
        data={"file": (io.BytesIO(good.encode()), "处罚.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302 and db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 2
    template = admin.get("/admin/penalties/import/template.csv")
    assert template.status_code == 200 and template.data.decode("utf-8-sig").startswith(header)


def test_the_public_partial_lists_the_summary_with_a_verify_link(app: Flask) -> None:
    merchant = MerchantFactory()
    shown = penalties.record_penalty(
        penalties.PenaltyFacts(
            merchant.uscc, "公示-1", "计量作弊", "没收作弊装置", None, False, False, "南山局", date(2026, 11, 2)
        ),
        None,
    )
    penalties.record_penalty(
        penalties.PenaltyFacts(
            merchant.uscc, "警告-1", "类型", "警告", None, False, False, "南山局", date(2026, 11, 2)
        ),
        None,
    )
    record = ledger.latest_record("penalty", str(shown.id))
    assert record is not None
    with app.test_request_context():
        html = render_template("ratings/_public_penalties.html", **public_queries.merchant_page(merchant))
    assert "公示-1" in html and "计量作弊" in html and "没收作弊装置" in html and "2029-11-01" in html
    assert "警告-1" not in html
    assert f"/verify?leaf={record.leaf_hash.hex()}" in html
    with app.test_request_context():
        empty = render_template("ratings/_public_penalties.html", penalties=[], penalty_leaves={})
    assert "暂无公示中的行政处罚信息" in empty


@pytest.mark.parametrize("role", ["merchant", "inspector", None])
def test_only_regulators_use_the_penalty_pages(client: FlaskClient, role: str | None) -> None:
    if role == "merchant":
        UserFactory(username="shop", merchant_user=True)
    elif role == "inspector":
        InspectorFactory(user__username="shop")
    if role:
        client.post("/login", data={"username": "shop", "password": PASSWORD})
    merchant = MerchantFactory()
    for url in ("/admin/penalties", "/admin/penalties/new", "/admin/penalties/export.csv", "/admin/penalties/import"):
        response = client.get(url)
        assert response.status_code == (403 if role else 302), url
    response = client.post("/admin/penalties/new", data=form(merchant))
    assert response.status_code == (403 if role else 302)
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0


def test_the_form_needs_its_csrf_token(admin: FlaskClient, csrf: None) -> None:
    merchant = MerchantFactory()
    response = admin.post("/admin/penalties/new", data=form(merchant))
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0
