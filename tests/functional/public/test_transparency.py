"""The public transparency statistics page (/transparency) and its CSV: what an anonymous visitor sees, in the
sentences, the numbers in each canvas's data-chart attribute (what charts.js draws) and in the tables."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.commitments.models import CommitmentStatus
from honestmeter.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from honestmeter.extensions import db
from honestmeter.inspections.models import DrawStatus, PlanStatus, TaskKind, TaskStatus
from honestmeter.merchants.models import Merchant
from honestmeter.public import stats
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory, UserFactory
from tests.integration.public.test_stats import (
    NOW,
    add_commitment,
    add_complaint,
    add_draw,
    add_random_tasks,
    china,
    publish,
)


@pytest.fixture(autouse=True)
def _tmp_complaints_table() -> None:  # TEMP until the complaints migration lands
    Complaint.__table__.create(db.session.connection(), checkfirst=True)


@pytest.fixture(autouse=True)
def _frozen(_tmp_complaints_table: None) -> Iterator[None]:
    stats.clear_cache()
    with clock.frozen(NOW):
        yield
    stats.clear_cache()


def page_of(client: FlaskClient, path: str = "/transparency") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def charts(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r"<canvas id=\"([\w-]+)\"[^>]*data-chart='([^']*)'", page)
    return {name: json.loads(html.unescape(raw)) for name, raw in found}


def series(chart: dict[str, Any]) -> dict[str, list[int]]:
    return {s["key"]: s["data"] for s in chart["series"]}


def text_of(page: str, element_id: str) -> str:
    """The text of the element with this id, tags and repeated spaces removed."""
    start = page.index(f'id="{element_id}"')
    chunk = page[page.index(">", start) + 1 : page.index("</p>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(chunk))).strip()


@pytest.fixture
def world() -> dict[str, Any]:
    """A year of supervision: commitments, a plan with its draw and tasks, published results, complaints."""
    inspectors = [InspectorFactory(), InspectorFactory()]
    for n in range(4):
        merchant = MerchantFactory()
        if n < 3:  # three of four in business have a commitment in force
            add_commitment(merchant, date(2026, 11, 2), signed_at=china(date(2026, 11, 2)))
    add_commitment(MerchantFactory(), date(2025, 6, 1), status=CommitmentStatus.EXPIRED)  # a fifth, lapsed
    plan = PlanFactory(year=2026, status=PlanStatus.RUNNING)
    draw = add_draw(plan)
    add_draw(plan, 2, status=DrawStatus.ANNOUNCED)
    add_random_tasks(draw, [TaskStatus.OPEN, TaskStatus.COMPLETED, TaskStatus.PUBLISHED], inspectors)
    publish(["01"], published_at=china(date(2026, 10, 9)), kind=TaskKind.RANDOM, inspectors=inspectors)
    publish(
        ["02", "13"],
        published_at=china(date(2026, 11, 20)),
        deadline=date(2026, 11, 19),
        kind=TaskKind.RANDOM,
        inspectors=inspectors,
    )
    publish(["09"], published_at=china(date(2026, 11, 10)), kind=TaskKind.COMPLAINT, inspectors=inspectors)
    publish(["01"], published_at=china(date(2025, 5, 6)), inspectors=inspectors)  # last year: outside 12 months
    submitted = china(date(2026, 9, 1), 9)
    add_complaint(
        ComplaintCategory.SHORT_WEIGHT, submitted, ComplaintStatus.SUBSTANTIATED, submitted + timedelta(days=4)
    )
    add_complaint(
        ComplaintCategory.SHORT_WEIGHT, submitted, ComplaintStatus.UNSUBSTANTIATED, submitted + timedelta(days=8)
    )
    add_complaint(ComplaintCategory.CHEATING_DEVICE, submitted, ComplaintStatus.ASSIGNED)
    return {"plan": plan}


def test_an_anonymous_visitor_sees_the_figures_of_the_last_twelve_months(client: FlaskClient, world: Any) -> None:
    page = page_of(client)
    assert "诚信计量监管统计" in page
    assert text_of(page, "commitments-summary") == (
        # the five above and the seven merchants the tasks checked
        "目前在营的 12 户经营者中，3 户的诚信计量承诺在有效期内（25.0%）。"
        " 近12个月共签署承诺书 3 份，其中首次签署 3 份、到期续签 0 份。"
    )
    assert text_of(page, "checks-summary").startswith(
        "2026年共制定抽查计划 1 个，公开摇号 1 次，随机抽取检查任务 3 项；已完成检查 2 项，已公示结果 1 项。"
    )
    assert text_of(page, "results-summary") == (
        "近12个月共公示检查结果 3 条，其中双随机抽查 2 条，定向检查、投诉举报核查和复查 1 条；"
        "发现问题（结果代码 02、04、09、13、14）的 2 条。"
    )
    timeliness = text_of(page, "timeliness-summary")
    assert "检查完成后 20 个工作日内公示" in timeliness
    assert "近12个月公示的 3 条结果中，2 条按期公示（66.7%），1 条逾期公示。" in timeliness
    assert "目前没有超过公示期限仍未公示的检查结果。" in timeliness
    assert text_of(page, "complaints-summary").startswith(
        "近12个月共受理投诉举报 3 件，已办结 2 件（属实 1 件、不属实 1 件），1 件正在核查。"
        "已办结的投诉举报平均用时 6.0 天。"
    )

    found = charts(page)
    assert set(found) == {
        "chart-commitments",
        "chart-checks",
        "chart-results",
        "chart-timeliness",
        "chart-complaints",
        "chart-grades",
    }
    months = ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert found["chart-commitments"]["labels"] == months
    assert series(found["chart-commitments"]) == {"first": [0] * 11 + [3], "renewal": [0] * 12}
    assert found["chart-checks"]["labels"] == ["2026年"]
    assert series(found["chart-checks"]) == {"drawn": [3], "done": [2], "published": [1]}
    results = found["chart-results"]
    assert results["labels"][0] == "01 未发现问题" and len(results["labels"]) == 14
    # a long label is drawn on two lines (a phone's label column is narrow); the table keeps it on one
    assert results["labels"][9] == ["10 通过登记的住所", "（经营场所）无法联系"]
    assert '<th scope="row">10 通过登记的住所（经营场所）无法联系</th>' in page
    by_kind = series(results)
    assert by_kind["random"][:3] == [1, 1, 0] and by_kind["random"][12] == 1  # 01, 02, 13
    assert by_kind["complaint"][8] == 1 and sum(by_kind["directed"]) == 0  # 09
    assert series(found["chart-timeliness"]) == {
        "on_time": [0] * 10 + [1, 1],
        "late": [0] * 11 + [1],
    }
    assert found["chart-complaints"]["labels"][:2] == ["短斤少两", "使用作弊计量器具"]
    assert series(found["chart-complaints"]) == {
        "substantiated": [1, 0, 0, 0, 0],
        "unsubstantiated": [1, 0, 0, 0, 0],
        "open": [0, 1, 0, 0, 0],
    }
    assert series(found["chart-grades"]) == {"merchants": [0, 0, 0, 0, 12]}  # none graded yet

    # the fallback table under a chart has the same numbers
    table = page[page.index('id="chart-complaints"') :]
    table = table[table.index("<table") : table.index("</table>")]
    assert re.search(r"短斤少两</th><td>1</td><td>1</td><td>0</td>", table)


def test_a_year_shows_that_year_only(client: FlaskClient, world: Any) -> None:
    page = page_of(client, "/transparency?year=2025")
    assert '<option value="2025" selected>2025年</option>' in page
    assert text_of(page, "results-summary").startswith("2025年共公示检查结果 1 条")
    assert text_of(page, "checks-summary").startswith("2025年共制定抽查计划 0 个，公开摇号 0 次，随机抽取检查任务 0 项")
    assert text_of(page, "complaints-summary").startswith("2025年没有受理投诉举报。")
    assert charts(page)["chart-timeliness"]["labels"] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert "chart-checks" not in charts(page)  # nothing to draw: says so
    assert "暂无数据" in page


@pytest.mark.parametrize("year", ["abc", "1999", "2027", ""])
def test_a_year_out_of_range_means_the_last_twelve_months(client: FlaskClient, world: Any, year: str) -> None:
    page = page_of(client, f"/transparency?year={year}")
    assert text_of(page, "results-summary").startswith("近12个月共公示检查结果 3 条")


def test_only_counts_no_complainant_and_no_merchant_named(client: FlaskClient, world: Any) -> None:
    page = page_of(client)
    assert "李四" not in page and "13800000000" not in page and "秤不准" not in page
    merchants = db.session.execute(sa.select(Merchant.name, Merchant.uscc)).all()
    assert len(merchants) > 5
    assert not [m for m in merchants if m.name in page or m.uscc in page]


def test_the_grades_are_left_out_while_not_public(
    client: FlaskClient, world: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    page = page_of(client)
    assert "chart-grades" not in charts(page) and "计量信用等级分布" not in page


def test_an_empty_platform_renders_with_dashes(client: FlaskClient) -> None:
    page = page_of(client)
    assert text_of(page, "commitments-summary").startswith(
        "目前在营的 0 户经营者中，0 户的诚信计量承诺在有效期内（—）。"
    )
    assert "近12个月没有公示检查结果。" in text_of(page, "timeliness-summary")


def test_signed_in_users_see_the_same_page(client: FlaskClient, world: Any) -> None:
    UserFactory(username="stats_admin")
    assert client.post("/login", data={"username": "stats_admin", "password": "Passw0rd!"}).status_code == 302
    assert text_of(page_of(client), "results-summary").startswith("近12个月共公示检查结果 3 条")


def test_the_page_loads_only_local_scripts_and_has_no_inline_code(client: FlaskClient) -> None:
    page = page_of(client)
    assert '<script src="/static/vendor/chart.umd.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert re.search(r"<script(?![^>]*\ssrc=)", page) is None and " style=" not in page
    assert re.search(r'(src|href)="(https?:)?//', page) is None


def test_the_csv_has_the_figures(client: FlaskClient, world: Any) -> None:
    response = client.get("/transparency.csv?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "2026.csv" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "统计项目,分类,指标,数值"
    assert "统计期间,,,2026" in lines
    assert "诚信计量承诺签署,,承诺在有效期内的经营者,3" in lines
    assert "双随机抽查,2026年,抽查计划,1" in lines
    assert "结果公示及时情况,,逾期公示,1" in lines
    assert "投诉举报办理,短斤少两,属实,1" in lines
    assert "李四" not in text


def test_the_page_links_its_csv_with_the_year(client: FlaskClient) -> None:
    page = page_of(client, "/transparency?year=2026")
    assert 'href="/transparency.csv?year=2026"' in page
    assert 'href="/transparency.csv"' in page_of(client)


def test_published_at_a_china_month_boundary_lands_in_the_china_month(client: FlaskClient) -> None:
    inspectors = [InspectorFactory(), InspectorFactory()]
    publish(["01"], published_at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC), inspectors=inspectors)  # 11-01 00:30
    chart = charts(page_of(client))["chart-timeliness"]
    assert series(chart)["on_time"][-2:] == [0, 1]
