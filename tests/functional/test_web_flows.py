"""HTML journeys through the real forms, and the web-security defaults."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.auth.models import AccountStatus
from honestmeter.merchants import services as merchant_services
from tests.conftest import Auth
from tests.factories import InstrumentFactory, MerchantFactory, UserFactory, merchant_facts

REGISTRATION = {
    "uscc": "91440300708461136T",
    "name": "深南加油站",
    "sector_code": "fuel",
    "region_code": "440305",
    "address": "深圳市南山区深南大道1号",
    "legal_representative": "刘六",
    "contact_phone": "0755-88888888",
    "display_name": "刘六",
    "username": "shennan",
    "password": "Station123",
    "password_confirm": "Station123",
}


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_register_approve_sign_in_and_see_the_portal(client: FlaskClient, auth: Auth) -> None:
    page = client.post("/register", data=REGISTRATION)
    assert page.status_code == 200 and "注册已提交" in text(page)
    assert "等待监管部门审核" in text(auth.login("shennan", "Station123"))

    UserFactory(username="chief")
    auth.login("chief")
    queue = client.get("/admin/accounts")
    assert "深南加油站" in text(queue) and "91440300708461136T" in text(queue)
    user_id = re.search(r"/admin/accounts/(\d+)/approve", text(queue)).group(1)  # type: ignore[union-attr]
    assert client.post(f"/admin/accounts/{user_id}/approve").status_code == 302
    assert "暂无待审核" in text(client.get("/admin/accounts"))
    auth.logout()

    response = auth.login("shennan", "Station123")
    assert response.headers["Location"] == "/portal/"
    portal = client.get("/portal/")
    assert "深南加油站" in text(portal) and "所有强检计量器具均在检定有效期内" in text(portal)


def test_wrong_check_character_is_shown_next_to_the_field(client: FlaskClient) -> None:
    page = client.post("/register", data={**REGISTRATION, "uscc": "91440300708461136A"})
    body = text(page)
    assert page.status_code == 200
    assert "第18位（校验码）应为“T”，实际为“A”" in body


def test_rejection_reason_reaches_the_applicant(client: FlaskClient, auth: Auth) -> None:
    client.post("/register", data=REGISTRATION)
    UserFactory(username="chief")
    auth.login("chief")
    user_id = re.search(r"/admin/accounts/(\d+)/reject", text(client.get("/admin/accounts"))).group(1)  # type: ignore[union-attr]
    client.post(f"/admin/accounts/{user_id}/reject", data={"reason": "地址与执照不符"})
    auth.logout()
    assert "地址与执照不符" in text(auth.login("shennan", "Station123"))


def test_merchant_sees_only_its_own_instruments(client: FlaskClient, auth: Auth) -> None:
    mine = UserFactory(username="mine", merchant_user=True)
    InstrumentFactory(merchant=mine.merchant, serial_number="MINE-001")
    InstrumentFactory(serial_number="THEIRS-001")
    auth.login("mine")
    page = text(client.get("/portal/instruments"))
    assert "MINE-001" in page and "THEIRS-001" not in page


def test_admin_edits_directory_entry(client: FlaskClient, auth: Auth) -> None:
    merchant = MerchantFactory(name="旧名称")
    UserFactory(username="chief")
    auth.login("chief")
    form = {
        "uscc": merchant.uscc,
        "name": "新名称",
        "sector_code": "retail",
        "region_code": "440305",
        "address": merchant.address,
        "legal_representative": "张三",
        "status": "suspended",
    }
    assert client.post(f"/admin/merchants/{merchant.id}/edit", data=form).status_code == 302
    assert merchant.name == "新名称" and merchant.status.value == "suspended"
    assert "新名称" in text(client.get("/admin/merchants?q=新名"))


def test_public_search_and_merchant_page(client: FlaskClient) -> None:
    merchant = MerchantFactory(name="公平秤超市")
    InstrumentFactory(merchant=merchant, serial_number="PUB-1")
    results = text(client.get("/?q=公平秤"))
    assert f"/merchants/{merchant.uscc}" in results
    page = text(client.get(f"/merchants/{merchant.uscc}"))
    assert "公平秤超市" in page and "PUB-1" in page
    assert client.get("/merchants/000000000000000000").status_code == 404


def test_search_treats_wildcards_literally(client: FlaskClient) -> None:
    MerchantFactory(name="百分之百超市")
    assert "没有找到" in text(client.get("/?q=%25"))
    assert "没有找到" in text(client.get("/?q=_"))


@pytest.mark.usefixtures("csrf")
@pytest.mark.parametrize("path", ["/login", "/register", "/logout", "/admin/accounts/1/approve"])
def test_forms_without_a_csrf_token_are_refused(client: FlaskClient, path: str) -> None:
    assert client.post(path, data={"username": "x", "password": "y"}).status_code == 400


@pytest.mark.usefixtures("csrf")
def test_login_works_with_the_token_from_the_page(client: FlaskClient) -> None:
    UserFactory(username="alice")
    page = text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "alice", "password": "Passw0rd!", "csrf_token": token})
    assert response.status_code == 302


def test_login_is_throttled_per_address(client: FlaskClient, app: Flask) -> None:
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [200] * limit
    assert codes[-1] == 429


def test_signing_in_issues_a_new_session(client: FlaskClient, auth: Auth) -> None:
    UserFactory(username="alice")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    auth.login("alice")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_ends_the_session(client: FlaskClient, auth: Auth) -> None:
    UserFactory(username="alice")
    auth.login("alice")
    assert client.get("/admin/").status_code == 200
    auth.logout()
    assert client.get("/admin/").status_code == 302


def test_disabled_account_cannot_use_an_existing_session(client: FlaskClient, auth: Auth) -> None:
    user = UserFactory(username="alice")
    auth.login("alice")
    user.status = AccountStatus.DISABLED
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_parameter_cannot_redirect_off_site(client: FlaskClient, target: str) -> None:
    UserFactory(username="alice")
    response = client.post("/login", query_string={"next": target}, data={"username": "alice", "password": "Passw0rd!"})
    assert response.headers["Location"] == "/admin/"
    assert client.get("/lang/en", query_string={"next": target}).headers["Location"] == "/"


def test_next_parameter_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    UserFactory(username="alice")
    response = client.post("/login?next=/admin/merchants", data={"username": "alice", "password": "Passw0rd!"})
    assert response.headers["Location"] == "/admin/merchants"


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_and_no_outside_assets(client: FlaskClient) -> None:
    body = text(client.get("/login"))
    assert re.search(r"<script(?![^>]*\ssrc=)", body) is None
    assert re.search(r'(src|href)="(https?:)?//', body) is None


def test_chinese_by_default_and_english_on_request(client: FlaskClient) -> None:
    assert "登录" in text(client.get("/login"))
    client.get("/lang/en")
    page = text(client.get("/login"))
    assert "Sign in" in page and 'lang="en"' in page
    client.get("/lang/zh")
    assert "登录" in text(client.get("/login"))


def test_errors_render_in_chinese(client: FlaskClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in text(page)


def test_uploads_over_the_size_limit_are_refused(client: FlaskClient, app: Flask) -> None:
    payload = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert client.post("/register", data=payload, content_type="application/octet-stream").status_code == 413


def test_public_merchant_page_links_its_ledger_record(client: FlaskClient) -> None:
    merchant = merchant_services.register_merchant(merchant_facts())
    page = text(client.get(f"/merchants/{merchant.uscc}"))
    assert re.search(r'href="/verify\?leaf=[0-9a-f]{64}"', page)
