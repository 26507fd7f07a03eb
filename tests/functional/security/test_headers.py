"""Security headers on every page type, error pages and the JSON API; no-store behind a login; no inline code.

Every GET route of the URL map is requested as anonymous (public views) and as each role that may use it: every
answer carries the CSP (no 'unsafe-inline', frame-ancestors 'none'), X-Frame-Options, nosniff and the referrer
policy; every answer to a signed-in browser is Cache-Control: no-store; and no HTML page holds an inline script,
an event-handler attribute, a style attribute or a javascript: link, which that CSP would block.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from honestmeter.config import Config
from honestmeter.roles import Role
from honestmeter.security import PUBLIC, secure_cookie_defaults
from tests.factories import PASSWORD, UserFactory
from tests.functional.security.conftest import World, sign_in
from tests.functional.security.test_csrf import _arguments

pytestmark = pytest.mark.usefixtures("stub_pdfs")

INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I), "javascript: URL"),
]


def header_problems(response: Any) -> list[str]:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    found = []
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        found.append(f"CSP allows inline code: {csp}")
    if directives.get("frame-ancestors") != "'none'":
        found.append(f"frame-ancestors: {directives.get('frame-ancestors')}")
    if not (directives.get("script-src") in ("'self'",) or directives.get("default-src") == "'none'"):
        found.append(f"script-src: {directives.get('script-src')}")
    if directives.get("object-src", directives.get("default-src")) != "'none'":
        found.append(f"object-src: {directives.get('object-src')}")
    if h.get("X-Frame-Options") != "DENY":
        found.append(f"X-Frame-Options: {h.get('X-Frame-Options')}")
    if h.get("X-Content-Type-Options") != "nosniff":
        found.append("no nosniff")
    if h.get("Referrer-Policy") not in ("strict-origin-when-cross-origin", "no-referrer", "same-origin"):
        found.append(f"Referrer-Policy: {h.get('Referrer-Policy')}")
    return found


def inline_problems(response: Any) -> list[str]:
    if response.mimetype != "text/html":
        return []
    body = response.get_data(as_text=True)
    return [what for pattern, what in INLINE if pattern.search(body)]


def _sweep(app: Flask, client: FlaskClient, role: Role | None, args: dict[str, Any]) -> tuple[list[str], int]:
    problems, count = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        access = getattr(app.view_functions[rule.endpoint], "access", PUBLIC)
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if (role is None) != (access == PUBLIC) or (role is not None and role not in access):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})
        with client.get(url) as response:
            found = header_problems(response) + inline_problems(response)
            if role is not None and "no-store" not in response.headers.get("Cache-Control", ""):
                found.append(f"Cache-Control: {response.headers.get('Cache-Control')}")
            problems += [f"{url} ({response.status_code}): {p}" for p in found]
            count += 1
    return problems, count


@pytest.mark.parametrize("role", [None, Role.ADMIN, Role.INSPECTOR, Role.MERCHANT], ids=lambda r: r or "public")
def test_every_page_carries_the_headers(app: Flask, world: World, role: Role | None) -> None:
    names = {Role.ADMIN: world.admin.username, Role.INSPECTOR: world.ia.user.username, Role.MERCHANT: "shop_A"}
    client = sign_in(app, names[role]) if role else app.test_client()
    problems, count = _sweep(app, client, role, _arguments(world))
    assert problems == []
    assert count >= {None: 30, Role.ADMIN: 60, Role.INSPECTOR: 5, Role.MERCHANT: 15}[role]


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom: a bug in a view")


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_error_answers_carry_the_headers_and_no_detail(app: Flask, monkeypatch: pytest.MonkeyPatch, api: bool) -> None:
    base = "/api/v1/merchants" if api else "/transparency"
    endpoint = "opendata.merchants" if api else "transparency.statistics"
    client = app.test_client()
    answers = {
        404: client.get(base + "/no/such/thing"),
        405: client.delete(base),
        413: client.post("/register", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="text/plain"),
    }
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, endpoint, _broken)
    answers[500] = client.get(base)
    for status, response in answers.items():
        assert response.status_code == status
        assert header_problems(response) == [], status
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "boom" not in body and "RuntimeError" not in body
    assert answers[500].is_json is api and answers[404].is_json is api


@pytest.mark.usefixtures("csrf")
def test_a_csrf_refusal_and_a_rate_limit_carry_the_headers(app: Flask) -> None:
    client = app.test_client()
    refused = client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 400 and header_problems(refused) == []
    app.config["WTF_CSRF_ENABLED"] = False
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        client.post("/login", data={"username": "x", "password": "y"})
    limited = client.post("/login", data={"username": "x", "password": "y"})
    assert limited.status_code == 429 and header_problems(limited) == []


def test_the_json_api_carries_the_headers(app: Flask) -> None:
    for url in ("/api/v1/merchants", "/api/v1/ledger/checkpoint", "/api/v1/openapi.json", "/api/v1/merchants/x"):
        response = app.test_client().get(url)
        assert response.is_json, url
        assert header_problems(response) == [], url


def test_a_signed_in_browser_never_gets_a_cacheable_answer_from_the_api(app: Flask, client: FlaskClient) -> None:
    assert "public" in app.test_client().get("/api/v1/merchants").headers["Cache-Control"]
    UserFactory(username="alice")
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert client.get("/api/v1/merchants").headers["Cache-Control"] == "no-store"


def test_cookies_are_http_only_same_site_and_secure_behind_tls(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserFactory(username="alice")
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"session", "remember_token"}
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie, cookie


def test_the_remember_cookie_follows_the_session_cookie() -> None:
    for secure in (True, False):
        config: dict[str, Any] = {"SESSION_COOKIE_SECURE": secure}
        secure_cookie_defaults(config)
        assert config["REMEMBER_COOKIE_SECURE"] is secure
    config = {"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": False}
    secure_cookie_defaults(config)
    assert config["REMEMBER_COOKIE_SECURE"] is False  # an explicit setting stands


def test_production_defaults_to_secure_cookies() -> None:
    assert Config.from_env({"HONESTMETER_ENV": "production"}).SESSION_COOKIE_SECURE is True
    assert Config.from_env({}).SESSION_COOKIE_SECURE is False  # the embedded default serves HTTP on loopback
    assert (
        Config.from_env({"HONESTMETER_ENV": "production", "SESSION_COOKIE_SECURE": "0"}).SESSION_COOKIE_SECURE is False
    )
