"""The admin dashboard's charts: the numbers in each canvas's data-chart attribute (what charts.js draws) and in
its fallback table, and the chart library served from /static, never from a CDN."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.inspections.models import Task, TaskStatus
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import GradeChange
from tests.factories import PASSWORD, MerchantFactory, UserFactory, completed
from tests.functional.public.grading import NOW

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    UserFactory(username="dashboard_admin")
    assert client.post("/login", data={"username": "dashboard_admin", "password": PASSWORD}).status_code == 302
    return client


def charts(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r"<canvas id=\"([\w-]+)\"[^>]*data-chart='([^']*)'", page)
    return {name: json.loads(html.unescape(raw)) for name, raw in found}


def series(chart: dict[str, Any]) -> dict[str, list[int]]:
    return {s["key"]: s["data"] for s in chart["series"]}


def test_grade_distribution(admin: FlaskClient) -> None:
    before = db.session.scalar(sa.select(sa.func.count(Merchant.id)).where(Merchant.grade.is_(None)))
    for grade in ("A", "A", "B", "D"):
        MerchantFactory(grade=grade, score=80)
    MerchantFactory.create_batch(3)
    chart = charts(admin.get("/admin/").get_data(as_text=True))["chart-grades"]
    assert chart["labels"] == ["A", "B", "C", "D", "未评级"]
    assert chart["keys"] == ["A", "B", "C", "D", "none"]
    assert chart["series"][0]["data"] == [2, 1, 0, 1, before + 3]


def _change(merchant: Merchant, previous: str | None, grade: str, on: date) -> None:
    db.session.add(
        GradeChange(
            merchant_id=merchant.id,
            grade=grade,
            score=80,
            previous_grade=previous,
            previous_score=None if previous is None else 70,
            rule_version=1,
            reasons=[],
            overrides=[],
            graded_on=on,
            at=datetime(on.year, on.month, on.day, 2, tzinfo=UTC),
            cause="test",
        )
    )


def test_grade_changes_per_month_up_and_down(admin: FlaskClient) -> None:
    merchant = MerchantFactory()
    _change(merchant, None, "B", date(2026, 11, 1))  # a first grade: neither
    _change(merchant, "B", "A", date(2026, 11, 5))  # up
    _change(merchant, "A", "C", date(2026, 11, 10))  # down
    _change(merchant, "C", "C", date(2026, 11, 12))  # a score change within C: neither
    _change(merchant, "B", "D", date(2026, 3, 15))  # down
    _change(merchant, "C", "A", date(2025, 12, 1))  # up, the oldest month shown
    _change(merchant, "C", "B", date(2025, 11, 30))  # before the twelve months
    db.session.flush()
    chart = charts(admin.get("/admin/").get_data(as_text=True))["chart-grade-changes"]
    assert chart["labels"] == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert series(chart) == {
        "up": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "down": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    }


def _result(merchant: Merchant, codes: list[str], *, published: bool = True, checked_on: date | None = None) -> Task:
    task = completed(codes, merchant=merchant)
    if published:
        task.status, task.published_at = TaskStatus.PUBLISHED, NOW
    if checked_on is not None:
        assert task.finding is not None
        task.finding.checked_on = checked_on
    db.session.flush()
    return task


def test_findings_by_sector_and_region(admin: FlaskClient) -> None:
    station = MerchantFactory(sector_code="fuel", region_code="440305")  # 加油站, 南山区
    shop = MerchantFactory(sector_code="retail", region_code="440304")  # 商店超市, 福田区
    _result(station, ["02", "13"])
    _result(station, ["09"])
    _result(shop, ["04"])
    _result(shop, ["01"])  # clean: not a finding
    _result(shop, ["14"], published=False)  # not published
    _result(shop, ["02"], checked_on=date(2025, 11, 30))  # before the twelve months
    page = admin.get("/admin/").get_data(as_text=True)
    found = charts(page)
    by_sector, by_region = found["chart-findings-sector"], found["chart-findings-region"]
    assert by_sector["labels"] == ["加油站", "商店超市"]
    assert by_region["labels"] == ["南山区", "福田区"]
    expected = {"02": [1, 0], "04": [0, 1], "09": [1, 0], "13": [1, 0], "14": [0, 0]}
    assert series(by_sector) == expected and series(by_region) == expected
    assert by_sector["totals"] == by_region["totals"] == [2, 1]  # results with any problem, each counted once
    table = page[page.index('id="chart-findings-sector"') :]
    table = table[table.index("<table") : table.index("</table>")]
    assert re.search(r"加油站</th>\s*<td>1</td><td>0</td><td>1</td><td>1</td><td>0</td>\s*<td>2</td>", table)


def test_an_empty_chart_says_so_and_draws_nothing(admin: FlaskClient) -> None:
    page = admin.get("/admin/").get_data(as_text=True)
    assert "chart-grade-changes" not in charts(page)
    assert "暂无数据" in page


def test_the_chart_library_is_served_locally(admin: FlaskClient) -> None:
    page = admin.get("/admin/").get_data(as_text=True)
    assert '<script src="/static/vendor/chart.umd.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert re.search(r"<script(?![^>]*\ssrc=)", page) is None and " style=" not in page
    assert re.search(r'(src|href)="(https?:)?//', page) is None
    for path in ("/static/vendor/chart.umd.min.js", "/static/js/charts.js"):
        response = admin.get(path)
        assert response.status_code == 200
        response.close()


def test_the_vendored_chart_js_is_the_pinned_release() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["chart.js"]
    vendored = ROOT / "honestmeter/static/vendor/chart.umd.min.js"
    assert f"Chart.js v{pinned}\n" in vendored.read_text()[:200]
    assert (ROOT / "honestmeter/static/vendor/chart.js.LICENSE.md").exists()
    installed = ROOT / "node_modules/chart.js/dist/chart.umd.min.js"
    if installed.exists():  # `make install` ran: the copy is byte for byte the package's
        assert installed.read_bytes() == vendored.read_bytes()
