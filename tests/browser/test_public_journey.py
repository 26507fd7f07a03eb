"""Issue 7's journey on a phone: a shopper scans the premises QR, reads the merchant page, verifies a published
result against the ledger, files a complaint about the shop, and follows it with the tracking code."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from honestmeter.notices.documents import merchant_url
from tests.browser.conftest import Live, shot

pytestmark = pytest.mark.browser

DESCRIPTION = "在这家店买了两斤橘子，用市场公平秤复称只有一斤八两，怀疑电子秤有问题。"


@pytest.fixture
def shopper(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    yield context.new_page()
    context.close()


def merchant_with_a_published_result(live: Live) -> tuple[str, str]:
    engine = sa.create_engine(live.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT m.uscc, m.name FROM tasks t JOIN merchants m ON m.id = t.merchant_id "
                    "WHERE t.status = 'published' ORDER BY t.id LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return str(row[0]), str(row[1])


def test_scan_verify_complain_and_follow(shopper: Page, live: Live) -> None:
    uscc, name = merchant_with_a_published_result(live)
    live.cli("ledger", "anchor")  # so /verify can show the result as anchored

    # The QR on the premises sticker opens the merchant page.
    shopper.goto(merchant_url(live.url, uscc))
    expect(shopper.get_by_role("heading", level=1)).to_contain_text(name)
    expect(shopper.get_by_role("heading", name="抽查检查结果信息")).to_be_visible()
    no_horizontal_scroll(shopper)
    shot(shopper, "public-merchant-phone")

    # Verify a published result: the proof checks out in the browser against the ledger.
    result = shopper.locator("table.results-table tbody tr", has_text="双随机抽查").first
    result.get_by_role("link", name="验证").click()
    expect(shopper).to_have_url(re.compile(r"/verify\?leaf=[0-9a-f]{64}"))
    expect(shopper.locator("#result")).to_have_attribute("data-valid", "true")
    expect(shopper.locator("#result-record")).to_contain_text('"type": "inspection_result"')
    shot(shopper, "public-result-verified-phone")

    # Report a problem from the merchant page: the form knows which shop.
    shopper.go_back()
    shopper.locator("#report-merchant").click()
    expect(shopper.get_by_label("被投诉的经营者（名称或统一社会信用代码）")).to_have_value(uscc)
    shopper.get_by_label("短斤少两").check()
    shopper.get_by_label("问题描述").fill(DESCRIPTION)
    shopper.get_by_label("联系电话（可选）").fill("13700137000")
    no_horizontal_scroll(shopper)
    shot(shopper, "public-complaint-form-phone")
    shopper.get_by_role("button", name="提交投诉举报").click()
    expect(shopper.get_by_role("heading", name="投诉举报已提交")).to_be_visible()
    code = shopper.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"TS(-[0-9A-Z]{4}){3}", code), code
    shot(shopper, "public-complaint-code-phone")

    # Later, the shopper types the code to follow the complaint.
    shopper.goto(f"{live.url}/complaints/track")
    shopper.get_by_label("查询码").fill(code.lower())
    shopper.get_by_role("button", name="查询").click()
    status = shopper.locator("#complaint-status")
    expect(status).to_contain_text("已受理")
    expect(status).to_contain_text("短斤少两")
    expect(status).not_to_contain_text("13700137000")
    shot(shopper, "public-complaint-tracked-phone")


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page is {width}px wide on a 390px phone"
