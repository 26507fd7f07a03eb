"""In headless Chromium: the dashboard's charts drawn by the vendored Chart.js under the real CSP with no errors,
and the merchant's grade page on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from honestmeter.demo import seed as demo
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_the_charts_are_drawn_under_the_csp(desktop: Page, live_server: str) -> None:
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    desktop.on("console", watch)
    desktop.on("pageerror", lambda err: problems.append(str(err)))
    desktop.emulate_media(reduced_motion="reduce")  # charts.js then draws without animation: a still screenshot
    desktop.goto(f"{live_server}/login")
    desktop.get_by_label("用户名").fill(demo.ADMIN[0])
    desktop.get_by_label("密码").fill(demo.ADMIN[1])
    desktop.get_by_role("button", name="登录").click()
    expect(desktop.get_by_role("heading", name="计量信用等级分布")).to_be_visible()
    canvases = desktop.locator("canvas[data-chart]")
    assert canvases.count() >= 1  # the demo's merchants: at least the grade distribution has numbers
    drawn = desktop.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => window.Chart && !!window.Chart.getChart(c) && c.width > 0 && c.height > 0)"
    )
    assert drawn and all(drawn), drawn
    shot(desktop, "admin-dashboard-charts")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert problems == []


def test_the_merchant_grade_page_on_a_phone(phone: Page, live_server: str) -> None:
    phone.goto(f"{live_server}/login")
    phone.get_by_label("用户名").fill("merchant01")
    phone.get_by_label("密码").fill(demo.MERCHANT_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.goto(f"{live_server}/portal/grade")
    expect(phone.get_by_role("heading", name="如何提升信用等级")).to_be_visible()
    shot(phone, "portal-grade-phone")
    # Nothing scrolls sideways on a phone except the tables, which scroll inside their own box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_transparency_statistics_on_a_phone(phone: Page, live_server: str) -> None:
    """The public statistics draw their charts under the CSP and count the demo's complaints, nothing personal."""
    problems: list[str] = []
    phone.on("pageerror", lambda err: problems.append(str(err)))
    phone.goto(f"{live_server}/transparency")
    expect(phone.get_by_role("heading", name="投诉举报办理", exact=True)).to_be_visible()
    expect(phone.locator("#complaints-summary")).to_contain_text("已办结")
    drawn = phone.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => window.Chart && !!window.Chart.getChart(c) && c.width > 0)"
    )
    assert drawn and all(drawn), drawn
    assert "13900139000" not in phone.content()  # the demo reporter's phone
    shot(phone, "transparency-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
