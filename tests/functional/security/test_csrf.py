"""CSRF on every state-changing route, generated from the URL map.

Every rule accepting POST/PUT/PATCH/DELETE is requested without a token by a client allowed to use it (signed in
with a role the view accepts, or anonymous for public views): the answer must be 400, the view must never run (a
spy stands in for it) and no table may change. The same request with the session's token does reach the view, so
the refusal is the token's doing. The only exemption is listed, with its reason, and tested for what makes it safe.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from honestmeter.complaints.models import Complaint
from honestmeter.extensions import csrf as csrf_ext
from honestmeter.extensions import db
from honestmeter.roles import Role
from honestmeter.security import PUBLIC
from tests.functional.security.conftest import TOKEN, World, fingerprint, sign_in, text

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")

# Views that take a state-changing request without a CSRF token, and why that is safe.
EXEMPT = {
    "opendata.file_complaint": (
        "POST /api/v1/complaints: a JSON API for anonymous reporters. It reads no cookie and no session and acts "
        "for nobody signed in, and a browser cannot send it cross-site (a cross-site form cannot send "
        "application/json without a CORS preflight, which this server never grants); the per-address rate limit "
        "(COMPLAINT_RATE_LIMIT) is its guard."
    ),
}


def state_changing(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
        for method in STATE_CHANGING
        if method in rule.methods
    ]


def _is_exempt(app: Flask, endpoint: str) -> bool:
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf_ext._exempt_views or any(
        bp.name == endpoint.rpartition(".")[0] for bp in csrf_ext._exempt_blueprints
    )


def test_the_exemptions_are_exactly_the_listed_ones(app: Flask) -> None:
    exempt = {rule.endpoint for rule in app.url_map.iter_rules() if _is_exempt(app, rule.endpoint)}
    assert exempt == set(EXEMPT)


def _arguments(world: World) -> dict[str, Any]:
    """A value for every URL argument name in the map: real rows where a role's own object exists."""
    a, ia = world.a, world.ia
    return {
        "uscc": a.merchant.uscc,
        "merchant_id": a.merchant.id,
        "instrument_id": a.instrument.id,
        "verification_id": a.verification.id,
        "commitment_id": a.commitment.id,
        "task_id": ia.task.id,
        "photo_id": ia.photo_id,
        "complaint_id": ia.complaint.id,
        "sha256": "0" * 64,
        "user_id": 10**6,
        "inspector_id": ia.inspector.id,
        "type_id": a.instrument.type_id,
        "request_id": 10**6,
        "decision": "approve",
        "action": "activate",
        "item_id": 10**6,
        "plan_id": 10**6,
        "draw_id": 10**6,
        "order_id": 10**6,
        "recusal_id": 10**6,
        "entry_id": 10**6,
        "notice_id": 10**6,
        "penalty_id": 10**6,
        "repair_id": 10**6,
        "reply_id": 10**6,
        "version": 10**6,
        "kind": "abnormal",
        "code": "zh",
        "leaf_index": 0,
        "leaf_hash": "0" * 64,
    }


def _who(access: Any) -> str | None:
    """Anonymous for a public view; otherwise a role the view accepts."""
    if access == PUBLIC:
        return None
    return next(role.value for role in (Role.ADMIN, Role.INSPECTOR, Role.MERCHANT) if role in access)


@pytest.fixture
def spies(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Every view replaced by a counting wrapper (same name, so CSRF exemptions still apply)."""
    calls: dict[str, int] = {}
    for endpoint, view in list(app.view_functions.items()):

        def spy(*args: Any, __view: Any = view, __endpoint: str = endpoint, **kwargs: Any) -> Any:
            calls[__endpoint] = calls.get(__endpoint, 0) + 1
            return __view(*args, **kwargs)

        monkeypatch.setitem(app.view_functions, endpoint, functools.wraps(view)(spy))
    yield calls


def _token(client: FlaskClient, signed_in: bool) -> str:
    """The session's CSRF token, from a page's form (the sign-out form is on every signed-in page)."""
    page = client.get("/account/password" if signed_in else "/login")
    found = TOKEN.search(text(page))
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.usefixtures("csrf", "stub_pdfs")
def test_every_state_changing_route_refuses_a_request_without_a_token(
    app: Flask, world: World, spies: dict[str, int]
) -> None:
    args = _arguments(world)
    usernames = {"admin": world.admin.username, "inspector": world.ia.user.username, "merchant": world.a.user.username}
    clients: dict[str | None, FlaskClient] = {None: app.test_client()}
    clients.update({role: sign_in(app, name) for role, name in usernames.items()})
    routes = [(rule, method) for rule, method in state_changing(app) if rule.endpoint not in EXEMPT]
    assert len(routes) >= 60, "fewer state-changing routes than expected: is the URL map complete?"

    missing = sorted({a for rule, _ in routes for a in rule.arguments} - set(args))
    assert missing == [], f"no test value for URL arguments {missing}: add them to _arguments"

    before = fingerprint()
    spies.clear()
    refused = []
    for rule, method in routes:
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})
        who = _who(app.view_functions[rule.endpoint].access)
        response = clients[who].open(url, method=method, data={"reason": "x", "username": "x", "password": "x"})
        if response.status_code != 400 or spies:
            refused.append(f"{method} {url} as {who or 'anonymous'}: {response.status_code}, view ran: {dict(spies)}")
        spies.clear()
    assert refused == []
    assert fingerprint() == before, "a request without a CSRF token changed something"

    # With the session's own token the same requests get through to the view: the token made the difference.
    tokens = {who: _token(client, who is not None) for who, client in clients.items()}
    unreached = []
    for rule, method in routes:
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})
        who = _who(app.view_functions[rule.endpoint].access)
        if rule.endpoint == "auth.logout":
            continue  # would end the session the remaining requests use; done last below
        spies.clear()
        response = clients[who].open(url, method=method, data={"csrf_token": tokens[who]})
        if not spies.get(rule.endpoint):
            unreached.append(f"{method} {url} as {who or 'anonymous'}: {response.status_code}")
    spies.clear()
    clients["admin"].post("/logout", data={"csrf_token": tokens["admin"]})
    assert spies.get("auth.logout") == 1
    assert unreached == []


@pytest.mark.usefixtures("csrf")
def test_a_token_from_another_session_is_refused(app: Flask, world: World) -> None:
    attacker = sign_in(app, world.b.user.username)
    victim = sign_in(app, world.a.user.username)
    stolen = _token(attacker, signed_in=True)
    url = f"/portal/instruments/{world.a.instrument.id}/retire"
    before = fingerprint()
    assert victim.post(url, data={"csrf_token": stolen}).status_code == 400
    assert fingerprint() == before
    assert victim.post(url, data={"csrf_token": _token(victim, signed_in=True)}).status_code == 302
    assert fingerprint() != before


@pytest.mark.usefixtures("csrf")
def test_a_token_in_the_header_counts_like_one_in_the_form(app: Flask, world: World) -> None:
    client = sign_in(app, world.a.user.username)
    url = f"/portal/instruments/{world.a.instrument.id}/retire"
    assert client.post(url, headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post(url, headers={"X-CSRFToken": _token(client, signed_in=True)}).status_code == 302


@pytest.mark.usefixtures("csrf")
def test_over_https_a_cross_site_referer_is_refused_even_with_a_token(app: Flask, world: World) -> None:
    client = sign_in(app, world.a.user.username)
    token = _token(client, signed_in=True)
    url = f"https://localhost/portal/instruments/{world.a.instrument.id}/retire"
    evil = client.post(url, data={"csrf_token": token}, headers={"Referer": "https://evil.example/"})
    assert evil.status_code == 400
    none = client.post(url, data={"csrf_token": token})
    assert none.status_code == 400  # no Referer over HTTPS: refused too


# ---------------------------------------------------------------- the exemption: POST /api/v1/complaints

COMPLAINT = {"category": "short_weight", "description": "电子秤少称二两，店主拒绝复称。", "merchant": "某水果摊"}


def _complaints() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) or 0


@pytest.mark.usefixtures("csrf")
def test_the_json_complaint_api_needs_no_cookie_and_sets_none(app: Flask) -> None:
    bare = app.test_client(use_cookies=False)
    response = bare.post("/api/v1/complaints", json=COMPLAINT)
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers  # no session is started for it either


@pytest.mark.usefixtures("csrf")
def test_the_json_complaint_api_ignores_who_is_signed_in(app: Flask, world: World) -> None:
    """A signed-in browser's cookie gives the API nothing: the complaint is the same as an anonymous one."""
    signed_in = sign_in(app, world.a.user.username)
    response = signed_in.post("/api/v1/complaints", json=COMPLAINT)
    assert response.status_code == 201 and "Set-Cookie" not in response.headers
    complaint = db.session.scalar(sa.select(Complaint).order_by(Complaint.id.desc()).limit(1))
    assert complaint is not None and complaint.via_api
    by = [getattr(complaint, c.key) for c in sa.inspect(Complaint).column_attrs if c.key.endswith("_by_id")]
    assert by and all(v is None for v in by)
    assert (complaint.contact_name, complaint.contact_phone, complaint.contact_email) in {
        (None, None, None),
        ("", "", ""),
    }


@pytest.mark.usefixtures("csrf")
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_cross_site_form_cannot_file_through_the_api(app: Flask, content_type: str) -> None:
    """What an HTML form on another site can send (no preflight): never parsed as the JSON the API takes."""
    before = _complaints()
    body = re.sub(
        r"\s", "", '{"category":"short_weight","description":"电子秤少称二两，店主拒绝复称。","merchant":"x"}'
    )
    response = app.test_client().post("/api/v1/complaints", data=body.encode(), content_type=content_type)
    assert response.status_code in (400, 415, 422)
    assert _complaints() == before


def test_the_api_never_allows_cross_origin_callers(app: Flask) -> None:
    preflight = app.test_client().options(
        "/api/v1/complaints",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    post = app.test_client().post("/api/v1/complaints", json=COMPLAINT, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in post.headers
