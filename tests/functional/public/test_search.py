"""The public merchant search on the home page: name fragment, USCC prefix, pinyin initials, the region, sector
and grade filters (grade only while grades are public), paging with a capped count, hostile input taken as text."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.merchants import queries, search
from honestmeter.merchants.models import Merchant
from tests.factories import MerchantFactory

USCC_LINK = re.compile(r'href="/merchants/([0-9A-Z]{18})"')


def page_of(client: FlaskClient, **params: str) -> str:
    response = client.get("/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def found(client: FlaskClient, **params: str) -> set[str]:
    return set(USCC_LINK.findall(page_of(client, **params)))


def codes(*merchants: Merchant) -> set[str]:
    return {m.uscc for m in merchants}


@pytest.fixture
def shops() -> dict[str, Merchant]:
    return {
        "xinzhou": MerchantFactory(name="新洲超市", sector_code="retail", region_code="440305", grade="A"),
        "xinzhou_food": MerchantFactory(name="新洲餐厅", sector_code="catering", region_code="440303", grade="B"),
        "hualian": MerchantFactory(name="华联超市", sector_code="retail", region_code="330106", grade="A"),
        "kfc": MerchantFactory(name="KFC肯德基（王府井店）", sector_code="catering", region_code="440305"),
    }


def test_the_home_page_without_a_query_lists_nothing(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert found(client) == set()


@pytest.mark.parametrize("q", ["新洲", "新洲超", "洲超市", " 新洲超市 "])  # LIKE below three characters, FTS5 above
def test_a_name_fragment(client: FlaskClient, shops: dict[str, Merchant], q: str) -> None:
    expected = {"新洲": codes(shops["xinzhou"], shops["xinzhou_food"])}.get(q, codes(shops["xinzhou"]))
    assert found(client, q=q) == expected


def test_latin_letters_in_a_name_match_in_any_case(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert found(client, q="kfc") == found(client, q="KFC") == codes(shops["kfc"])


def test_a_uscc_prefix_in_any_case(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    merchant = shops["hualian"]
    assert merchant.uscc in found(client, q=merchant.uscc[:12].lower())
    assert found(client, q=merchant.uscc) == codes(merchant)
    assert found(client, q=merchant.uscc[1:]) == set()  # a prefix, not any fragment


@pytest.mark.parametrize(
    ("q", "names"),
    [("xzcs", {"xinzhou"}), ("XZ", {"xinzhou", "xinzhou_food"}), ("zcs", {"xinzhou"}), ("kdj", {"kfc"}), ("cs", None)],
)
def test_pinyin_initials(client: FlaskClient, shops: dict[str, Merchant], q: str, names: set[str] | None) -> None:
    # 超市 → "cs": both supermarkets.
    wanted = {"xinzhou", "hualian"} if names is None else names
    assert found(client, q=q) == {shops[n].uscc for n in wanted}


def test_sector_filter(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert found(client, q="新洲", sector="catering") == codes(shops["xinzhou_food"])
    assert found(client, sector="catering") >= codes(shops["xinzhou_food"], shops["kfc"])
    assert shops["xinzhou"].uscc not in found(client, sector="catering")


def test_region_filter_by_county_and_by_prefecture(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert found(client, q="新洲", region="440305") == codes(shops["xinzhou"])
    assert found(client, q="新洲", region="440300") == codes(shops["xinzhou"], shops["xinzhou_food"])
    assert found(client, q="超市", region="330106") == codes(shops["hualian"])
    assert found(client, q="新洲", region="4403' OR '1'='1") == codes(shops["xinzhou"], shops["xinzhou_food"])


def test_the_form_offers_regions_grouped_by_prefecture_and_keeps_choices(
    client: FlaskClient, shops: dict[str, Merchant]
) -> None:
    page = page_of(client, q="新洲", region="440305", sector="retail", grade="A")
    assert '<optgroup label="深圳市">' in page
    assert '<option value="440305" selected>' in page
    assert '<option value="retail" selected>' in page
    assert '<option value="A" selected>' in page
    assert 'value="新洲"' in page


def test_grade_filter_while_grades_are_public(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert found(client, q="新洲", grade="A") == codes(shops["xinzhou"])
    assert found(client, q="新洲", grade="B") == codes(shops["xinzhou_food"])
    assert found(client, grade="A") >= codes(shops["xinzhou"], shops["hualian"])
    assert found(client, q="新洲", grade="Z") == codes(shops["xinzhou"], shops["xinzhou_food"])  # unknown: ignored


def test_grade_filter_is_ignored_while_grades_are_private(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch, shops: dict[str, Merchant]
) -> None:
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    page = page_of(client, q="新洲", grade="B")
    assert set(USCC_LINK.findall(page)) == codes(shops["xinzhou"], shops["xinzhou_food"])
    assert 'name="grade"' not in page and "信用等级" not in page
    assert found(client, grade="A") == set()  # a grade alone is no search at all


def test_pages_keep_the_filters(client: FlaskClient) -> None:
    shops = [MerchantFactory(name=f"分页测试店{n:02d}", region_code="440305") for n in range(25)]
    MerchantFactory(name="分页测试店99", region_code="330106")  # filtered out by region
    first = page_of(client, q="分页测试", region="440305")
    assert "第 1 / 2 页，共 25 条" in first
    assert USCC_LINK.findall(first) == [m.uscc for m in shops[:20]]  # name order
    next_link = re.search(r'href="(/\?[^"]*)" rel="next"', first)
    assert next_link is not None
    href = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in href and "region=440305" in href
    second = client.get(href).get_data(as_text=True)
    assert USCC_LINK.findall(second) == [m.uscc for m in shops[20:]]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "第 2 / 2 页，共 25 条" in second


def test_a_single_page_has_no_pager(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    assert 'class="pager"' not in page_of(client, q="新洲")


def test_the_count_stops_at_the_cap(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", 12)
    names = [f"封顶计数店{n:02d}" for n in range(25)]
    for name in names:
        MerchantFactory(name=name)
    stmt = queries.search_stmt("封顶计数")
    pages = [search.page_of(stmt, n, per_page=5) for n in (1, 2, 3)]
    assert [(len(p.items), p.total, p.capped, p.has_next, p.pages) for p in pages] == [
        (5, None, True, True, 3),
        (5, None, True, True, 3),
        (2, None, True, False, 3),  # the 13th result and beyond are not reachable: refine the query
    ]
    shown = [m.name for p in pages for m in p.items]
    assert shown == sorted(shown) and len(set(shown)) == 12 and set(shown) <= set(names)
    assert search.page_of(stmt, 99, per_page=5).page == 3
    assert search.page_of(stmt, -4, per_page=5).page == 1
    exact = search.page_of(queries.search_stmt("封顶计数店0"), 2, per_page=5)  # 10 matches: all, in name order
    assert (exact.total, exact.capped, exact.pages, exact.has_next) == (10, False, 2, False)
    assert [m.name for m in exact.items] == names[5:10]


def test_the_capped_count_is_shown(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", 30)
    for n in range(35):
        MerchantFactory(name=f"封顶显示店{n:02d}")
    page = page_of(client, q="封顶显示")
    assert "超过 30 条" in page and 'rel="next"' in page
    assert 'rel="next"' not in page_of(client, q="封顶显示", page="2")


@pytest.mark.parametrize(
    "q", ["' OR 1=1 --", "%", "_", "\\", '"', '" OR "', '超市" OR "\'', "NEAR(超市 新洲)", "新*", "name : 超市"]
)
def test_hostile_queries_are_just_text(client: FlaskClient, shops: dict[str, Merchant], q: str) -> None:
    assert found(client, q=q) == set()


@pytest.mark.parametrize(
    ("q", "name"), [("%", "百分百%纯"), ("_", "A_B便利店"), ("\\", "反斜杠\\店"), ("折%店", "九折%店")]
)
def test_wildcards_match_themselves(client: FlaskClient, shops: dict[str, Merchant], q: str, name: str) -> None:
    merchant = MerchantFactory(name=name)
    MerchantFactory(name="百分百纯")  # would match a % or _ taken as a wildcard
    assert found(client, q=q) == codes(merchant)


def test_results_show_sector_region_and_grade(client: FlaskClient, shops: dict[str, Merchant]) -> None:
    page = page_of(client, q="华联超市")
    assert "商店超市 · 西湖区" in page
    assert "诚信计量 A 级" in page
    assert f'href="/merchants/{shops["hualian"].uscc}"' in page
