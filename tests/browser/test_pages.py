"""Journeys in headless Chromium against a real server: public search, registration, approval."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from honestmeter.demo import seed as demo
from tests.browser.conftest import Live, register, shot

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_public_search_on_a_phone(phone: Page, live_server: str) -> None:
    phone.goto(live_server)
    expect(phone.get_by_role("heading", level=1)).to_have_text("诚信计量，明明白白消费")
    phone.get_by_role("searchbox").fill("店")
    phone.get_by_role("button", name="查询").click()
    first = phone.locator(".results li a").first
    expect(first).to_be_visible()
    first.click()
    expect(phone.get_by_role("heading", name="计量器具检定情况")).to_be_visible()
    expect(phone.locator("dd.mono")).to_have_text(re.compile(r"^[0-9A-Z]{18}$"))
    shot(phone, "public-merchant-phone")
    # Nothing scrolls sideways on a phone except the tables, which scroll inside their own box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_phone_menu_opens(phone: Page, live_server: str) -> None:
    phone.goto(live_server)
    nav = phone.locator("#mainnav")
    expect(nav).to_be_hidden()
    phone.get_by_role("button", name="菜单").click()
    expect(nav).to_be_visible()
    expect(phone.get_by_role("link", name="经营者注册")).to_be_visible()


def test_registration_shows_the_wrong_check_character_then_succeeds(phone: Page, live_server: str) -> None:
    register(
        phone,
        live_server,
        uscc="91330100716105852A",
        name="西湖眼镜店",
        sector="眼镜制配",
        region="330106",
        address="杭州市西湖区文三路1号",
        person="钱七",
        username="xihu_optical",
        password="Optical123",
    )
    expect(phone.get_by_role("alert")).to_contain_text("第18位（校验码）应为“F”，实际为“A”")
    shot(phone, "register-error-phone")
    phone.get_by_label("统一社会信用代码").fill("91330100716105852F")
    phone.get_by_label("密码", exact=True).fill("Optical123")
    phone.get_by_label("确认密码").fill("Optical123")
    phone.get_by_role("button", name="提交注册").click()
    expect(phone.get_by_role("heading", name="注册已提交")).to_be_visible()


def test_admin_approves_a_registration(desktop: Page, live_server: str) -> None:
    sign_in(desktop, live_server, *demo.ADMIN)
    expect(desktop.get_by_role("heading", name="监管首页")).to_be_visible()
    shot(desktop, "admin-dashboard")
    desktop.get_by_role("link", name="注册审核").click()
    card = desktop.locator("article.card").first
    name = card.locator("h2").inner_text()
    card.get_by_role("button", name="通过").click()
    expect(desktop.locator(".flash-success")).to_contain_text(re.compile("已通过"))
    expect(desktop.locator("article.card h2", has_text=name)).to_have_count(0)
    desktop.get_by_role("button", name=re.compile("退出")).click()
    expect(desktop.locator(".flash-info")).to_contain_text("已退出登录")


def test_merchant_sees_its_portal_and_instruments(desktop: Page, live_server: str) -> None:
    sign_in(desktop, live_server, "merchant01", demo.MERCHANT_PASSWORD)
    expect(desktop.get_by_role("heading", name="需要关注的计量器具")).to_be_visible()
    desktop.get_by_role("link", name="计量器具台账").first.click()
    expect(desktop.get_by_role("heading", name="计量器具台账")).to_be_visible()
    shot(desktop, "merchant-instruments")


def test_english_on_request(desktop: Page, live_server: str) -> None:
    desktop.goto(f"{live_server}/login")
    desktop.get_by_role("link", name="English").click()
    expect(desktop.get_by_role("heading", name="Sign in")).to_be_visible()
    desktop.get_by_role("link", name="中文").click()
    expect(desktop.get_by_role("heading", name="登录")).to_be_visible()


def test_verify_page_checks_an_anchored_record_in_the_browser(desktop: Page, live_server: str) -> None:
    entry = desktop.request.get(f"{live_server}/api/v1/ledger/entries/3").json()
    desktop.goto(f"{live_server}/verify?leaf={entry['leaf_hash']}")
    result = desktop.locator("#result")
    expect(result).to_have_attribute("data-valid", "true")
    expect(desktop.get_by_role("heading", name="验证通过")).to_be_visible()
    expect(result.locator("li.pass")).to_have_count(5)
    expect(result.locator("li.pass").last).to_contain_text("已锚定在链 31337")
    shot(desktop, "verify-valid")


def test_verify_page_rejects_a_tampered_bundle(desktop: Page, live_server: str) -> None:
    entry = desktop.request.get(f"{live_server}/api/v1/ledger/entries/5").json()
    bundle = desktop.request.get(f"{live_server}/api/v1/ledger/bundle/{entry['leaf_hash']}").json()
    bundle["audit_path"][0] = "00" * 32
    desktop.goto(f"{live_server}/verify")
    desktop.get_by_label("记录证明包（JSON）").fill(json.dumps(bundle))
    desktop.get_by_role("button", name="验证", exact=True).click()
    result = desktop.locator("#result")
    expect(result).to_have_attribute("data-valid", "false")
    expect(result.locator("li.fail")).to_contain_text("默克尔包含证明")
    shot(desktop, "verify-tampered")


def test_verify_page_accepts_a_bundle_file(desktop: Page, live_server: str, tmp_path: Path) -> None:
    entry = desktop.request.get(f"{live_server}/api/v1/ledger/entries/0").json()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(desktop.request.get(f"{live_server}/api/v1/ledger/bundle/{entry['leaf_hash']}").json()))
    desktop.goto(f"{live_server}/verify")
    desktop.locator("#bundle-file").set_input_files(str(path))
    expect(desktop.locator("#result")).to_have_attribute("data-valid", "true")


RECORD_FILE = """
import sys, hashlib
from honestmeter.app import create_app
from honestmeter.extensions import db
from honestmeter.ledger import services
data = open(sys.argv[1], "rb").read()
app = create_app()
with app.app_context():
    digest = hashlib.sha256(data).digest()
    services.append(services.Record("notice", "browser-test", {"sha256": digest.hex()}, file_sha256=digest))
    db.session.commit()
"""


def test_verify_page_finds_a_dropped_pdf_by_its_hash(desktop: Page, live: Live, tmp_path: Path) -> None:
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% honestmeter browser test notice\n%%EOF\n")
    subprocess.run([sys.executable, "-c", RECORD_FILE, str(pdf)], env=live.env, check=True)
    live.cli("ledger", "anchor")
    desktop.goto(f"{live.url}/verify")
    desktop.locator("#bundle-file").set_input_files(str(pdf))
    expect(desktop.locator("#result")).to_have_attribute("data-valid", "true")
    expect(desktop.locator("#result-record")).to_contain_text('"type": "notice"')
    other = tmp_path / "unknown.pdf"
    other.write_bytes(b"%PDF-1.7\n% never published\n%%EOF\n")
    desktop.locator("#bundle-file").set_input_files(str(other))
    expect(desktop.locator("#result")).to_have_attribute("data-valid", "false")
    expect(desktop.locator("#result li.fail")).to_contain_text("未找到对应的账本记录")
