"""IDOR: merchant B asking for merchant A's objects, inspector team 乙 asking for team 甲's, by id.

The candidate routes come from the URL map: every view a merchant or an inspector may use whose rule takes an
`…_id` argument. Each one must have a case below (a new id-taking route fails `test_every_id_route_has_a_case`
until it gets one). Every case asks, as the intruder, with GET and with POST (whichever the rule accepts, a POST
carrying form data that works for the owner), for the owner's object, and for routes with several ids also for the
intruder's own object with one id swapped for the owner's. Each must be 403 or 404 and leave every table as it was.
Then the owner makes the same requests and succeeds (a POST changes something): the case is able to fail.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from honestmeter.roles import Role
from honestmeter.security import PUBLIC
from tests.functional.security.conftest import PNG, Shop, Team, World, fingerprint, sign_in, text

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
pytestmark = pytest.mark.usefixtures("stub_pdfs")


@dataclass(frozen=True)
class Case:
    args: Callable[[Any], dict[str, Any]]  # the owner (Shop or Team) → the URL arguments naming its object
    post: Callable[[Any], dict[str, Any]] | None = None  # form data that works for the owner (fresh files each call)


def _instrument(s: Shop) -> dict[str, Any]:
    return {"instrument_id": s.instrument.id}


def _task(t: Team) -> dict[str, Any]:
    return {"task_id": t.task.id}


def _finding_form(t: Team) -> dict[str, Any]:
    return {
        "checked_on": "2026-11-23",
        "items-0-code": "JL-04",
        "items-0-verdict": "pass",
        "items-0-note": "承诺书已张贴",
        "result_codes": ["01"],
        "notes": "改动：补记现场情况",
        "save": "保存检查记录",
    }


MERCHANT_CASES: dict[str, Case] = {
    "commitments.revoke_mine": Case(lambda s: {"commitment_id": s.commitment.id}, lambda s: {"reason": "停业"}),
    "instruments.instrument": Case(_instrument),
    "instruments.edit_instrument": Case(
        _instrument, lambda s: {"type_id": str(s.instrument.type_id), "serial_number": "CHANGED-01", "use": "trade"}
    ),
    "instruments.retire_instrument": Case(_instrument, lambda s: {}),
    "instruments.my_scan": Case(lambda s: {"instrument_id": s.instrument.id, "verification_id": s.verification.id}),
    "instruments.new_verification": Case(
        _instrument,
        lambda s: {
            "verified_on": "2026-11-20",
            "verifying_body": "南山计量所",
            "certificate_no": "JD-9",
            "result": "pass",
        },
    ),
    "notices.my_certificate": Case(lambda s: {"entry_id": s.model_unit.id}),
    "lists.my_evidence": Case(lambda s: {"entry_id": s.model_unit.id, "sha256": s.evidence_sha}),
    "notices.my_order_pdf": Case(lambda s: {"order_id": s.order.id}),
    "notices.my_result_pdf": Case(lambda s: {"task_id": s.result.id}),
    "replies.my_reply": Case(
        lambda s: {"task_id": s.result.id}, lambda s: {"body": "我店已整改，电子秤已送检并取得检定证书。"}
    ),
    "repairs.my_request": Case(lambda s: {"repair_id": s.repair.id}),
    "repairs.my_evidence": Case(lambda s: {"repair_id": s.repair.id, "sha256": s.repair_sha}),
}

INSPECTOR_CASES: dict[str, Case] = {
    "complaints.inspector_detail": Case(
        lambda t: {"complaint_id": t.complaint.id}, lambda t: {"verification": "现场核查：电子秤示值偏差超出允许误差。"}
    ),
    "complaints.inspector_photo": Case(lambda t: {"complaint_id": t.complaint.id, "sha256": t.complaint_sha}),
    "tasks.inspector_task": Case(_task, _finding_form),
    "tasks.confirm": Case(_task, lambda t: {"revision": str(t.task.finding.revision)}),
    "tasks.upload_photo": Case(_task, lambda t: {"photo": (io.BytesIO(PNG + b"new"), "new.png"), "caption": "补拍"}),
    "tasks.inspector_photo": Case(lambda t: {"task_id": t.task.id, "photo_id": t.photo_id}),
    "tasks.delete_photo": Case(lambda t: {"task_id": t.task.id, "photo_id": t.photo_id}, lambda t: {}),
}


def id_routes(app: Flask, role: Role) -> dict[str, Rule]:
    """Views open to `role` (not public) whose rule takes an …_id argument."""
    found = {}
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "access", PUBLIC)
        if access != PUBLIC and role in access and any(a.endswith("_id") for a in rule.arguments):
            found[rule.endpoint] = rule
    return found


@pytest.mark.parametrize(("role", "cases"), [(Role.MERCHANT, MERCHANT_CASES), (Role.INSPECTOR, INSPECTOR_CASES)])
def test_every_id_route_has_a_case(app: Flask, world: World, role: Role, cases: dict[str, Case]) -> None:
    routes = id_routes(app, role)
    assert sorted(set(routes) - set(cases)) == [], "id-taking routes with no IDOR case: add them above"
    assert sorted(set(cases) - set(routes)) == [], "IDOR cases for routes that no longer exist"
    owner = world.a if role is Role.MERCHANT else world.ia
    for endpoint, case in cases.items():
        assert set(case.args(owner)) == set(routes[endpoint].arguments), endpoint
        accepts_post = bool(routes[endpoint].methods & STATE_CHANGING)
        assert (case.post is not None) == accepts_post, f"{endpoint}: a POST case iff the rule accepts POST"


def _url(app: Flask, endpoint: str, args: dict[str, Any]) -> str:
    with app.test_request_context():
        return url_for(endpoint, **args)


def _methods(app: Flask, endpoint: str) -> list[str]:
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    return [m for m in ("GET", "POST") if m in rule.methods]


def _open(client: FlaskClient, url: str, method: str, case: Case, owner: Any) -> Any:
    """The response, read and closed (a file download holds its file open until closed)."""
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=case.post(owner), content_type="multipart/form-data")  # type: ignore[misc]
    response.get_data()
    response.close()
    return response


def _sweep(app: Flask, endpoint: str, case: Case, owner: Any, intruder: Any, users: tuple[str, str]) -> None:
    owner_args, own_args = case.args(owner), case.args(intruder)
    # The owner's object; and, for routes naming several ids, the intruder's own with one id swapped for the owner's.
    attempts = [owner_args] + ([{**own_args, k: v} for k, v in owner_args.items()] if len(owner_args) > 1 else [])
    methods = _methods(app, endpoint)
    other = sign_in(app, users[1])
    before = fingerprint()
    for args in attempts:
        url = _url(app, endpoint, args)
        for method in methods:
            response = _open(other, url, method, case, owner)
            assert response.status_code in (403, 404), f"{users[1]}: {method} {url} → {response.status_code}"
    assert fingerprint() == before, f"{endpoint}: a refused request changed something"

    mine = sign_in(app, users[0])
    url = _url(app, endpoint, owner_args)
    if "GET" in methods:
        response = _open(mine, url, "GET", case, owner)
        assert response.status_code == 200, f"{users[0]}: GET {url} → {response.status_code}"
    if "POST" in methods:
        response = _open(mine, url, "POST", case, owner)
        assert response.status_code < 400, f"{users[0]}: POST {url} → {response.status_code}: {text(response)[:300]}"
        assert fingerprint() != before, f"{endpoint}: the owner's POST changed nothing, so the case proves nothing"


@pytest.mark.parametrize("endpoint", sorted(MERCHANT_CASES))
def test_a_merchant_cannot_reach_another_merchants_objects(app: Flask, world: World, endpoint: str) -> None:
    users = (world.a.user.username, world.b.user.username)
    _sweep(app, endpoint, MERCHANT_CASES[endpoint], world.a, world.b, users)


@pytest.mark.parametrize("endpoint", sorted(INSPECTOR_CASES))
def test_an_inspector_cannot_reach_another_teams_objects(app: Flask, world: World, endpoint: str) -> None:
    users = (world.ia.user.username, world.ib.user.username)
    _sweep(app, endpoint, INSPECTOR_CASES[endpoint], world.ia, world.ib, users)


def test_a_merchant_cannot_apply_to_repair_another_merchants_penalty(app: Flask, world: World) -> None:
    """The repair form names its target in the query string and the form, not the path."""
    target = {"target": "penalty", "target_id": str(world.a.repairable.id)}
    form = {**target, "statement": "已整改", "signer_name": "王五", "signer_title": "店长"}
    other = sign_in(app, world.b.user.username)
    before = fingerprint()
    assert other.get("/portal/repairs/new", query_string=target).status_code == 404
    assert other.post("/portal/repairs/new", data=form).status_code == 404
    assert fingerprint() == before
    mine = sign_in(app, world.a.user.username)
    assert mine.get("/portal/repairs/new", query_string=target).status_code == 200


def _list_pages(app: Flask, role: Role) -> list[str]:
    """The role's own pages that take no argument: lists, dashboards, forms."""
    pages = []
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "access", PUBLIC)
        if access != PUBLIC and access == frozenset({role}) and not rule.arguments and "GET" in rule.methods:
            pages.append(rule.rule)
    return sorted(pages)


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.INSPECTOR])
def test_list_pages_show_nothing_of_the_other_party(app: Flask, world: World, role: Role) -> None:
    owner, intruder = (world.a, world.b) if role is Role.MERCHANT else (world.ia, world.ib)
    markers = owner.markers()  # builds every object the owner has
    intruder.markers()  # and the intruder's own, so its pages are full of rows
    pages = _list_pages(app, role)
    assert len(pages) >= (8 if role is Role.MERCHANT else 3), pages
    client = sign_in(app, intruder.user.username)
    leaks = [f"{page}: {m}" for page, body in _bodies(client, pages).items() for m in markers if m in body]
    assert leaks == []
    seen = "".join(_bodies(sign_in(app, owner.user.username), pages).values())
    shown = [m for m in markers if m in seen]
    assert len(shown) >= (6 if role is Role.MERCHANT else 2), f"the owner's own pages show too few markers: {shown}"


def _bodies(client: FlaskClient, pages: list[str]) -> dict[str, str]:
    bodies = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 404), page  # 404: a form that needs ?target= (repairs/new)
        bodies[page] = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    return bodies
