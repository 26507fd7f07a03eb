"""Sign-in throttling and lock-out, session fixation and sign-out, end to end through HTTP.

test_web_flows.py has the basic per-address 429 and a planted session key; tests/integration/test_accounts.py the
lock-out rules at the service level. These follow a real browser's cookies: what an attacker who has a copy of a
cookie (planted before sign-in, or captured before sign-out) can do with it afterwards.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.auth.services import LOCKOUT_THRESHOLD
from tests.factories import PASSWORD, UserFactory
from tests.functional.security.conftest import TOKEN, text

LOCKED = "登录失败次数过多，账号已临时锁定"
WRONG = "用户名或密码错误"


def _address(n: int | None) -> dict[str, str]:
    """The client's address: 127.0.0.1 by default. Sessions are bound to address and browser (Flask-Login's
    "strong" protection), so a test that follows one browser keeps one address."""
    return {} if n is None else {"REMOTE_ADDR": f"198.51.100.{n}"}


def _login(client: FlaskClient, username: str, password: str, n: int | None = None, **extra: str) -> object:
    return client.post("/login", data={"username": username, "password": password, **extra}, environ_base=_address(n))


def _signed_in(client: FlaskClient, n: int | None = None) -> bool:
    """Whether the client's cookies open a page behind the login (the sign-in page answers anonymous visitors)."""
    return client.get("/account/password", environ_base=_address(n)).status_code == 200


def _cookie(client: FlaskClient, name: str = "session") -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app: Flask, value: str, name: str = "session") -> FlaskClient:
    """A different browser holding a copy of a cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value, domain="localhost")
    return thief


# ---------------------------------------------------------------- throttling and lock-out


def test_the_address_limit_answers_429_and_only_for_that_address(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="alice")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    codes = [_login(client, f"nobody{i}", "wrong", n=7).status_code for i in range(limit)]  # type: ignore[attr-defined]
    assert codes == [200] * limit
    blocked = _login(client, "alice", PASSWORD, n=7)
    assert blocked.status_code == 429 and not _signed_in(client, n=7)  # type: ignore[attr-defined]
    assert _login(client, "alice", PASSWORD, n=8).status_code == 302  # type: ignore[attr-defined]
    assert _signed_in(client, n=8)


def test_the_account_locks_after_five_failures_from_five_addresses(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="alice")
    for n in range(LOCKOUT_THRESHOLD):
        page = _login(client, "alice", "wrong", n=10 + n)
        assert page.status_code == 200 and WRONG in text(page)  # type: ignore[attr-defined]
    refused = _login(client, "alice", PASSWORD, n=99)  # the right password, from a sixth address
    assert refused.status_code == 200 and LOCKED in text(refused)  # type: ignore[attr-defined]
    assert not _signed_in(client, n=99)


def _message(page: object, username: str) -> str:
    """The page without what legitimately differs between two requests: the name typed, the CSRF token."""
    body = text(page).replace(username, "NAME")
    return re.sub(r'value="[^"]*"', 'value=""', body)


def test_messages_do_not_tell_whether_an_account_exists(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="alice")
    pages: dict[str, list[str]] = {"alice": [], "nobody": []}
    codes: dict[str, list[int]] = {"alice": [], "nobody": []}
    for name in ("alice", "nobody"):
        for n in range(LOCKOUT_THRESHOLD + 2):  # five failures, then what the sixth and seventh attempts see
            page = _login(client, name, "wrong", n=20 + n)
            pages[name].append(_message(page, name))
            codes[name].append(page.status_code)  # type: ignore[attr-defined]
    assert codes["alice"] == codes["nobody"]
    assert pages["alice"] == pages["nobody"]
    assert WRONG in pages["alice"][0] and LOCKED in pages["alice"][-1]


# ---------------------------------------------------------------- session fixation


@pytest.mark.usefixtures("csrf")  # the sign-in page then starts a session (for its token) before anyone signs in
def test_signing_in_replaces_the_session_cookie(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="alice")
    token = TOKEN.search(text(client.get("/login")))
    assert token is not None
    before = _cookie(client)  # e.g. planted in the victim's browser by an attacker who fetched it first
    assert _login(client, "alice", PASSWORD, csrf_token=token.group(1)).status_code == 302  # type: ignore[attr-defined]
    after = _cookie(client)
    assert after != before
    assert _signed_in(client)
    assert not _signed_in(_replay(app, before))  # the pre-sign-in cookie is still nobody


def test_a_session_made_for_someone_else_does_not_carry_over(app: Flask) -> None:
    """An attacker signs in, hands the victim that cookie, the victim signs in: each keeps its own account."""
    UserFactory(username="mallory", merchant_user=True)
    UserFactory(username="alice")
    attacker = app.test_client()
    assert _login(attacker, "mallory", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    victim = _replay(app, _cookie(attacker))
    assert _login(victim, "alice", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert victim.get("/admin/").status_code == 200  # alice is an admin
    assert attacker.get("/admin/").status_code == 403  # mallory still only mallory


# ---------------------------------------------------------------- sign-out and revocation


@pytest.mark.parametrize("remember", [False, True])
def test_a_cookie_captured_before_sign_out_is_anonymous_after_it(
    app: Flask, client: FlaskClient, remember: bool
) -> None:
    UserFactory(username="alice")
    extra = {"remember": "y"} if remember else {}
    assert _login(client, "alice", PASSWORD, **extra).status_code == 302  # type: ignore[attr-defined]
    captured = _cookie(client)
    remembered = _cookie(client, "remember_token") if remember else None
    assert _signed_in(_replay(app, captured))  # the copy works while the owner is signed in
    client.post("/logout")
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, captured))
    if remembered is not None:
        assert not _signed_in(_replay(app, remembered, "remember_token"))
    assert _login(client, "alice", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert _signed_in(client)  # signing in again works as before


def test_changing_the_password_signs_out_every_other_browser(app: Flask) -> None:
    UserFactory(username="alice")
    desk, phone = app.test_client(), app.test_client()
    for browser in (desk, phone):
        assert _login(browser, "alice", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    changed = desk.post(
        "/account/password", data={"current": PASSWORD, "new": "N3w-Passw0rd!", "confirm": "N3w-Passw0rd!"}
    )
    assert changed.status_code == 302, text(changed)[:500]
    assert _signed_in(desk) and not _signed_in(phone)


def test_guessing_the_current_password_locks_the_account_like_sign_in(app: Flask) -> None:
    # Issue 16 §15: a borrowed session could try the current password without limit.
    user = UserFactory(username="bob")
    client = app.test_client()
    assert _login(client, "bob", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    for n in range(LOCKOUT_THRESHOLD):
        wrong = client.post(
            "/account/password", data={"current": f"guess-{n}", "new": "N3w-Passw0rd!", "confirm": "N3w-Passw0rd!"}
        )
        assert wrong.status_code != 302
    # Locked now: even the right password changes nothing, and sign-in is refused too.
    right = client.post(
        "/account/password", data={"current": PASSWORD, "new": "N3w-Passw0rd!", "confirm": "N3w-Passw0rd!"}
    )
    assert right.status_code != 302 and "锁定" in text(right)
    assert user.locked_until is not None
    assert _login(app.test_client(), "bob", PASSWORD).status_code != 302  # type: ignore[attr-defined]
