"""Open redirects: every parameter that chooses where a response sends the browser stays on this site.

Two views take one (`next` on sign-in and on the language switch); a source scan fails when another appears. The
sweep of every GET route in test_injection.py also sets every usual redirect parameter to another site and checks
that no response sends the browser there.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.extensions import limiter
from tests.factories import PASSWORD, UserFactory

PACKAGE = Path(__file__).resolve().parents[3] / "honestmeter"
REDIRECT_PARAMS = (
    "next",
    "return",
    "return_to",
    "returnTo",
    "redirect",
    "redirect_to",
    "url",
    "goto",
    "continue",
    "dest",
)
# The views that read one of them, and the parameter: a new one must be added here (and so to these tests).
READERS = {"auth/routes.py": {"next"}, "public/routes.py": {"next"}}

EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "HTTPS://evil.example",
    "%2F%2Fevil.example",  # sent raw: arrives as //evil.example
    "%2f%5cevil.example",  # sent raw: arrives as /\evil.example
    "/%09/evil.example",  # sent raw: arrives as /<TAB>/evil.example, which browsers read as //evil.example
    "/%0a/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",  # header injection: must neither inject nor crash (was a 500)
    "%20//evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java%0ascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//localhost@evil.example",
    "https://localhost@evil.example/",
    "/%00//evil.example",
]


def _query(payload: str, raw: bool) -> str:
    """The payload as the query value: raw (the server decodes it once) or encoded (the server sees it as typed)."""
    return payload if raw else quote(payload, safe="")


def _on_site(location: str) -> bool:
    """Whether a browser following this Location stays on this site."""
    if any(ch in location for ch in "\\\t\r\n"):
        return False
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and parts.netloc == "localhost"
    return location.startswith("/") and not location.startswith("//")


def test_only_the_known_views_read_a_redirect_parameter() -> None:
    pattern = re.compile(r"""request\.(?:args|form|values)(?:\.get\(|\[)\s*["'](\w+)["']""")
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        names = {m for m in pattern.findall(path.read_text()) if m in REDIRECT_PARAMS}
        if names:
            found[path.relative_to(PACKAGE).as_posix()] = names
    assert found == READERS


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "encoded"])
def test_sign_in_never_sends_the_browser_off_site(app: Flask, raw: bool) -> None:
    UserFactory(username="alice")
    for target in EVIL:
        limiter.reset()  # more sign-ins than the per-address limit allows
        client = app.test_client()
        response = client.post(f"/login?next={_query(target, raw)}", data={"username": "alice", "password": PASSWORD})
        _check(response, target, raw, home="/admin/")


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "encoded"])
def test_the_language_switch_never_sends_the_browser_off_site(client: FlaskClient, raw: bool) -> None:
    for target in EVIL:
        _check(client.get(f"/lang/en?next={_query(target, raw)}"), target, raw, home="/")


def _check(response: object, target: str, raw: bool, *, home: str) -> None:
    """Sent raw, every payload arrives as something off-site or malformed: refused, so the default page (or a
    400 for a NUL). Encoded, it arrives as typed ("/%09/evil.example" is a path here): anywhere on this site."""
    status, headers = response.status_code, response.headers  # type: ignore[attr-defined]
    if raw and "%00" in target:
        assert status == 400, target
        return
    assert status == 302, target
    location = headers["Location"]
    assert _on_site(location), f"{target} → {location}"
    if raw:
        assert location == home, f"{target} → {location}"
    assert "x=1" not in headers.get("Set-Cookie", ""), target


@pytest.mark.parametrize("target", ["/admin/merchants?q=%E8%B6%85%E5%B8%82&page=2", "/portal/", "/verify?leaf=ab"])
def test_a_path_on_this_site_is_kept(client: FlaskClient, target: str) -> None:
    UserFactory(username="alice")
    response = client.post(f"/login?next={quote(target, safe='')}", data={"username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == target
    assert client.get(f"/lang/zh?next={quote(target, safe='')}").headers["Location"] == target
