"""Every route × every role (and anonymous), generated from the URL map.

A view without an access declaration fails the first test, so a new route cannot escape the matrix.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import Rule

from honestmeter.auth.models import AccountStatus
from honestmeter.extensions import limiter
from honestmeter.ledger import services as ledger
from honestmeter.roles import Role
from honestmeter.security import PUBLIC
from tests.factories import InspectorFactory, InstrumentFactory, MerchantFactory, UserFactory, instrument_type

ROLES: list[str | None] = [None, "admin", "inspector", "merchant"]


def app_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_view_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [r.rule for r in app_rules(app) if not hasattr(app.view_functions[r.endpoint], "access")]
    assert undeclared == []


@pytest.fixture
def world() -> dict[str, Any]:
    merchant = MerchantFactory()
    users = {
        "admin": UserFactory(username="matrix_admin"),
        "inspector": InspectorFactory(user__username="matrix_inspector").user,
        "merchant": UserFactory(username="matrix_merchant", merchant_user=True, merchant=merchant),
    }
    pending = UserFactory(username="matrix_pending", merchant_user=True, status=AccountStatus.PENDING)
    pdf = b"%PDF-1.7 matrix"
    leaf = ledger.append(ledger.Record("notice", "matrix", {}, file_sha256=ledger.sha256(pdf)))
    ledger.sign_checkpoint()
    return {
        "users": users,
        "args": {
            "merchant_id": merchant.id,
            "uscc": merchant.uscc,
            "user_id": pending.id,
            "inspector_id": InspectorFactory().id,
            "type_id": instrument_type("price_scale").id,
            "code": "zh",
            "action": "activate",
            "leaf_index": leaf.leaf_index,
            "leaf_hash": leaf.leaf_hash.hex(),
            "sha256": ledger.sha256(pdf).hex(),
            # No such rows: the view still runs its own lookup (404), which is past the access rules.
            "commitment_id": 10**6,
            "request_id": 10**6,
            "decision": "approve",
            "instrument_id": InstrumentFactory(merchant=merchant).id,  # the matrix merchant's own
            "verification_id": 10**6,
            "plan_id": 10**6,
            "draw_id": 10**6,
            "task_id": 10**6,
            "photo_id": 10**6,
            "order_id": 10**6,
            "item_id": 10**6,
            "recusal_id": 10**6,
            "entry_id": 10**6,
            "notice_id": 10**6,
            "penalty_id": 10**6,
            "repair_id": 10**6,
            "reply_id": 10**6,
            "complaint_id": 10**6,
            "version": 10**6,  # rule table version
            "kind": "abnormal",  # list kind: abnormal | serious | model_unit
        },
    }


def _expected(access: Any, role: str | None) -> str:
    if access == PUBLIC:
        return "allowed"
    if role is None:
        return "login"
    return "allowed" if Role(role) in access else "forbidden"


def test_role_matrix(app: Flask, world: dict[str, Any]) -> None:
    failures = []
    for rule in app_rules(app):
        access = app.view_functions[rule.endpoint].access
        method = "GET" if "GET" in rule.methods else "POST"
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: world["args"][k] for k in rule.arguments})
        for role in ROLES:
            client = app.test_client()
            if role is not None:
                limiter.reset()  # the matrix signs in far more often than the login limit allows
                login = client.post("/login", data={"username": world["users"][role].username, "password": "Passw0rd!"})
                assert login.status_code == 302, f"{role} could not sign in"
            response = client.open(url, method=method)
            expected = _expected(access, role)
            location = response.headers.get("Location", "")
            # Access is what is under test: a 4xx from the view itself (a missing query parameter)
            # still means the request got past the access rules; a 5xx is always a failure.
            outcome = (
                "login"
                if response.status_code == 302 and "/login" in location
                else "forbidden"
                if response.status_code in (401, 403)
                else "allowed"
                if response.status_code < 500
                else f"HTTP {response.status_code}"
            )
            if outcome != expected:
                failures.append(f"{method} {url} as {role or 'anonymous'}: expected {expected}, got {outcome}")
    assert not failures, "\n".join(failures)


# The open data API v1 (honestmeter/api): public, read-only; walked by test_role_matrix like every route.
OPEN_DATA_API = (
    "api-docs.openapi_json",  # /api/v1/openapi.json
    "opendata.merchants",  # /api/v1/merchants
    "opendata.merchant",  # /api/v1/merchants/<uscc>
    "opendata.results",  # /api/v1/results
    "opendata.lists",  # /api/v1/lists
)


def test_open_data_api_routes_are_public(app: Flask) -> None:
    for endpoint in OPEN_DATA_API:
        assert app.view_functions[endpoint].access == PUBLIC, endpoint
