"""GET /api/v1/merchants (search, pagination, CSV) and GET /api/v1/merchants/<uscc> (detail: only public facts,
each with its ledger leaf, the same as the public merchant page)."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.inspections.replies import records as reply_records
from honestmeter.ratings.grades import services as grades
from tests.factories import MerchantFactory
from tests.functional.api.conftest import Rich, leaf_of
from tests.functional.public.grading import grade_a


def get_json(client: FlaskClient, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


# ---------------------------------------------------------------- search


def test_search_by_name_uscc_prefix_and_initials_matches_the_home_page(client: FlaskClient) -> None:
    wanted = MerchantFactory(name="接口检索鲜果店")
    MerchantFactory(name="另一家商行")
    for q in ("接口检索", wanted.uscc[:10], "jkjs"):
        body = get_json(client, f"/api/v1/merchants?q={q}")
        assert [m["uscc"] for m in body["items"]] == [wanted.uscc], q
        assert wanted.uscc in client.get(f"/?q={q}").get_data(as_text=True)
    item = get_json(client, "/api/v1/merchants?q=接口检索")["items"][0]
    assert item == {
        "uscc": wanted.uscc,
        "name": "接口检索鲜果店",
        "sector_code": "retail",
        "sector_name": wanted.sector.name,
        "region_code": "440305",
        "region_name": wanted.region.name,
        "address": wanted.address,
        "status": "active",
        "grade": None,
        "url": f"/api/v1/merchants/{wanted.uscc}",
        "page_url": f"/merchants/{wanted.uscc}",
    }


def test_filters_by_sector_region_and_grade(client: FlaskClient) -> None:
    graded = MerchantFactory(name="筛选测试甲")
    grade_a(graded)
    MerchantFactory(name="筛选测试乙", sector_code="optical")
    assert len(get_json(client, "/api/v1/merchants?q=筛选测试")["items"]) == 2
    assert [m["name"] for m in get_json(client, "/api/v1/merchants?q=筛选测试&sector=optical")["items"]] == [
        "筛选测试乙"
    ]
    assert len(get_json(client, "/api/v1/merchants?q=筛选测试&region=440000")["items"]) == 2  # the province
    assert get_json(client, "/api/v1/merchants?q=筛选测试&region=110000")["items"] == []
    found = get_json(client, "/api/v1/merchants?q=筛选测试&grade=A")["items"]
    assert [(m["name"], m["grade"]) for m in found] == [("筛选测试甲", "A")]


def test_no_grade_field_or_filter_while_grades_are_not_public(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    grade_a(MerchantFactory(name="等级不公开商行"))
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    item = get_json(client, "/api/v1/merchants?q=等级不公开")["items"][0]
    assert "grade" not in item
    error = get_json(client, "/api/v1/merchants?q=等级不公开&grade=A", 400)
    assert error["status"] == 400 and "等级" in error["error"]
    header = client.get("/api/v1/merchants?q=等级不公开&format=csv").get_data(as_text=True).splitlines()[0]
    assert "grade" not in header


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("region=44", "region"),
        ("grade=E", "grade"),
        ("format=xml", "format"),
        ("q=%00", "q"),
        ("q=" + "长" * 201, "q"),
    ],
)
def test_bad_arguments_are_422_naming_the_argument(client: FlaskClient, query: str, argument: str) -> None:
    body = get_json(client, f"/api/v1/merchants?{query}", 422)
    assert body["status"] == 422
    assert argument in body["errors"]["query"]


def test_pagination_in_the_body_and_link_headers(client: FlaskClient) -> None:
    for n in range(5):
        MerchantFactory(name=f"分页测试{n}号店")
    first = client.get("/api/v1/merchants?q=分页测试&per_page=2")
    body = first.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"], body["has_next"]) == (1, 2, 5, 3, True)
    assert [m["name"] for m in body["items"]] == ["分页测试0号店", "分页测试1号店"]
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    last = client.get("/api/v1/merchants?q=分页测试&per_page=2&page=3")
    assert [m["name"] for m in last.get_json()["items"]] == ["分页测试4号店"]
    assert last.get_json()["has_next"] is False
    assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]


def test_a_broad_search_has_a_capped_count(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from honestmeter.merchants import search

    monkeypatch.setattr(search, "COUNT_CAP", 4)
    for n in range(6):
        MerchantFactory(name=f"封顶测试{n}号店")
    body = get_json(client, "/api/v1/merchants?q=封顶测试&per_page=2&page=2")
    assert body["total"] is None  # more than the cap
    assert body["pages"] == 2 and body["has_next"] is False


def test_csv_has_a_header_row_and_one_row_per_merchant(client: FlaskClient) -> None:
    a = MerchantFactory(name='逗号,引号"测试店')
    response = client.get("/api/v1/merchants?q=逗号&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "uscc",
        "name",
        "sector_code",
        "sector_name",
        "region_code",
        "region_name",
        "address",
        "status",
        "grade",
    ]
    assert rows[1][:2] == [a.uscc, '逗号,引号"测试店']
    assert len(rows) == 2
    assert response.headers["X-Total-Count"] == "1"


# ---------------------------------------------------------------- detail


def test_detail_has_every_public_fact_with_its_ledger_leaf(client: FlaskClient, rich: Rich) -> None:
    body = get_json(client, f"/api/v1/merchants/{rich.merchant.uscc}")
    assert body["uscc"] == rich.merchant.uscc and body["name"] == "开放数据测试超市"
    assert body["leaf_hash"] == leaf_of("merchant", rich.merchant.id)
    assert body["verify_url"] == f"/verify?leaf={body['leaf_hash']}"
    assert body["bundle_url"] == f"/api/v1/ledger/bundle/{body['leaf_hash']}"

    grade = body["credit_grade"]
    assert (grade["grade"], body["grade"]) == ("A", "A")
    assert grade["leaf_hash"] == leaf_of(grades.RECORD_TYPE, rich.merchant.uscc)
    assert {r["rule"] for r in grade["reasons"]} >= {"model_unit", "check_clean"}

    commitment = body["commitment"]
    assert commitment["in_force"] is True and commitment["signer_name"] == "王五"
    assert commitment["leaf_hash"] == leaf_of("commitment", rich.commitment.id)
    assert commitment["points"] and commitment["valid_until"] == rich.commitment.valid_until.isoformat()

    [instrument] = body["instruments"]
    assert instrument["state"] == "ok" and instrument["leaf_hash"] == leaf_of("instrument", instrument["id"])

    [result] = body["results"]  # the repaired one is not public
    assert result["id"] == rich.shown.id
    assert result["leaf_hash"] == leaf_of("inspection_result", rich.shown.id)
    assert result["codes"] == ["01"] and result["authority"] == "深圳市南山区市场监督管理局"
    assert result["reply"]["body"].startswith("检查后已完成自查")
    assert result["reply"]["leaf_hash"] == leaf_of(reply_records.RECORD_TYPE, rich.shown.id)
    assert body["repaired_results"] == 1
    assert [r["target"] for r in body["repairs"]] == ["inspection_result"]

    [listing] = body["listings"]  # the removed listing is not public
    assert listing["id"] == rich.listing.id and listing["leaf_hash"] == leaf_of("list_entry", rich.listing.id)
    [penalty] = body["penalties"]
    assert penalty["decision_no"] == "深南市监罚〔2026〕88号" and penalty["fine_amount"] == "50000.00"
    assert penalty["leaf_hash"] == leaf_of("penalty", rich.penalty.id)
    assert body["freshness"]["inspection_stale"] is False and body["freshness"]["commitment_stale"] is False


def test_detail_exposes_no_private_data(client: FlaskClient, rich: Rich) -> None:
    text = client.get(f"/api/v1/merchants/{rich.merchant.uscc}").get_data(as_text=True)
    assert "13800138000" not in text  # contact phone
    for private in ("contact_phone", "contact", "password", "signed_from", "statement", "pledge", "evidence", "email"):
        assert f'"{private}"' not in text, private


def test_detail_agrees_with_the_public_page(client: FlaskClient, rich: Rich) -> None:
    body = get_json(client, f"/api/v1/merchants/{rich.merchant.uscc}")
    page = client.get(f"/merchants/{rich.merchant.uscc}").get_data(as_text=True)
    for fact in (body, body["credit_grade"], body["commitment"], *body["instruments"], *body["results"]):
        assert f"/verify?leaf={fact['leaf_hash']}" in page
    results = page[page.index("抽查检查结果信息") : page.index("列入经营异常名录信息")]
    repaired = leaf_of("inspection_result", rich.repaired.id)
    assert repaired not in results and repaired not in [r["leaf_hash"] for r in body["results"]]
    removed = leaf_of("list_entry", rich.removed.id)
    assert removed not in page and removed not in str(body)


def test_detail_without_grades(client: FlaskClient, app: Flask, rich: Rich, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    body = get_json(client, f"/api/v1/merchants/{rich.merchant.uscc}")
    assert "credit_grade" not in body and "grade" not in body


def test_a_lower_case_uscc_finds_the_merchant_and_an_unknown_one_is_404(client: FlaskClient, rich: Rich) -> None:
    assert get_json(client, f"/api/v1/merchants/{rich.merchant.uscc.lower()}")["uscc"] == rich.merchant.uscc
    body = get_json(client, "/api/v1/merchants/91110000000000000X", 404)
    assert body["status"] == 404
    assert get_json(client, "/api/v1/merchants/" + "9" * 300, 404)["status"] == 404


def test_csv_cells_never_start_a_spreadsheet_formula(client: FlaskClient) -> None:
    MerchantFactory(name="公式测试店", address='=HYPERLINK("http://evil.example","点我")')
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/merchants?q=公式测试&format=csv").get_data(as_text=True))))
    address = rows[1][rows[0].index("address")]
    assert address.startswith("'=HYPERLINK")
