"""Issue 4's journey in Chromium on a phone: register → approval → import instruments → sign the
commitment → download the PDF → the public page shows the commitment."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from honestmeter.demo import seed as demo
from tests.browser.conftest import Live, register, shot

pytestmark = pytest.mark.browser

USCC = "91350200776049653A"
CSV = "器具类型代码,出厂编号,制造商,型号,安装位置,用途,最近检定日期,检定证书编号\n" + "\n".join(
    f"price_scale,JOURNEY-{n},上海友声衡器有限公司,TCS-{n},{n}号摊位,贸易结算,2026-06-0{n},JD2026060{n}"
    for n in (1, 2, 3)
)


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_register_import_sign_download_and_show(browser: Browser, live: Live, tmp_path: Path) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    register(
        phone,
        live.url,
        uscc=USCC,
        name="鹭江公平秤超市",
        sector="商店超市",
        region="350203",
        address="厦门市思明区中山路8号",
        person="林八",
        username="lujiang",
        password="Lujiang123",
    )
    expect(phone.get_by_role("heading", name="注册已提交")).to_be_visible()

    admin = browser.new_context().new_page()
    sign_in(admin, live.url, *demo.ADMIN)
    admin.goto(f"{live.url}/admin/accounts")
    card = admin.locator("article.card", has_text="鹭江公平秤超市")
    card.get_by_role("button", name="通过").click()
    expect(admin.locator(".flash-success")).to_contain_text("已通过")

    sign_in(phone, live.url, "lujiang", "Lujiang123")
    phone.goto(f"{live.url}/portal/instruments/import")
    upload = tmp_path / "instruments.csv"
    upload.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    phone.get_by_label("台账文件（.xlsx 或 .csv）").set_input_files(str(upload))
    phone.get_by_role("button", name="校验并导入").click()
    expect(phone.locator(".flash-success")).to_contain_text("已导入 3 台计量器具")

    phone.goto(f"{live.url}/portal/commitment")
    for box in phone.locator("ol.points input[type=checkbox]").all():
        box.check()
    phone.get_by_label("签署人职务").fill("总经理")
    phone.get_by_label("登录密码（确认签署）").fill("Lujiang123")
    phone.get_by_role("button", name="确认签署").click()
    shot(phone, "journey-after-sign-phone")
    expect(phone.locator(".flash-success")).to_contain_text("已签署诚信计量承诺书")
    shot(phone, "journey-signed-phone")

    pdf = phone.request.get(f"{live.url}/merchants/{USCC}/commitment.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "诚信计量承诺书" in text and "鹭江公平秤超市" in text and "林八" in text

    visitor = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    visitor.goto(f"{live.url}/merchants/{USCC}")
    expect(visitor.get_by_text("有效期至")).to_be_visible()
    expect(visitor.get_by_role("cell", name="JOURNEY-2")).to_be_visible()
    shot(visitor, "journey-public-page-phone")
