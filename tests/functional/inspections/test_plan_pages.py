"""Check items, plans, recusals and draws over HTTP: admin flows, public page, open API, isolation."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from honestmeter.auth.models import User
from honestmeter.extensions import db
from honestmeter.inspections import draw
from honestmeter.inspections.draws import services as draws
from honestmeter.inspections.models import CheckItem, Decision, Draw, Plan, PlanStatus, Recusal
from honestmeter.ledger import anchoring
from honestmeter.roles import Role
from tests.conftest import Auth
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory, UserFactory


def text(response: Any) -> str:
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


def admin(auth: Auth) -> User:
    user = UserFactory(username="plan_admin", role=Role.ADMIN)
    db.session.commit()
    assert auth.login("plan_admin").status_code == 302
    return user  # type: ignore[no-any-return]


def test_check_item_pages(client: FlaskClient, auth: Auth) -> None:
    admin(auth)
    page = client.get("/admin/check-items")
    assert page.status_code == 200 and "JL-03" in text(page) and "定量包装商品净含量" in text(page)
    created = client.post(
        "/admin/check-items/new",
        data={"code": "JL-06", "name": "计量器具铭牌", "form": "instruments", "basis": "《计量法》", "sort_order": "6"},
    )
    assert created.status_code == 302
    item = db.session.scalars(sa.select(CheckItem).where(CheckItem.code == "JL-06")).one()
    duplicate = client.post("/admin/check-items/new", data={"code": "jl-06", "name": "重复", "form": "general"})
    assert duplicate.status_code == 200 and "事项编码已存在" in text(duplicate)
    edit = client.get(f"/admin/check-items/{item.id}")
    assert edit.status_code == 200 and "计量器具铭牌" in text(edit)
    client.post(f"/admin/check-items/{item.id}", data={"code": "JL-06", "name": "铭牌标识", "form": "general"})
    client.post(f"/admin/check-items/{item.id}/deactivate")
    db.session.refresh(item)
    assert item.name == "铭牌标识" and not item.active
    assert client.get("/admin/check-items/1000000").status_code == 404


def plan_form(**changes: Any) -> dict[str, Any]:
    form = {
        "name": "2026年第九批计量双随机抽查",
        "year": "2026",
        "batch": "9",
        "authority": "深圳市南山区市场监督管理局",
        "region_codes": ["440300"],
        "item_codes": ["JL-01", "JL-03"],
        "ratio_a": "0.03",
        "ratio_b": "0.5",
        "ratio_c": "0.30",
        "ratio_d": "0.60",
        "ratio_unrated": "0.10",
        "per_case": "2",
        "capacity": "1",
        "draw_at": "2026-12-01T09:00",
        "draw_cron": "",
        "beacon": "",
        "publish_within_days": "20",
    }
    form.update(changes)
    return form


def test_plan_pages_from_draft_to_announced(client: FlaskClient, auth: Auth) -> None:
    admin(auth)
    for _ in range(6):
        MerchantFactory(grade="B", region_code="440305")
    MerchantFactory(grade="B", region_code="330106")  # out of scope
    InspectorFactory(region_code="440305")
    InspectorFactory(region_code="440305")
    db.session.commit()
    bad = client.post("/admin/plans/new", data=plan_form(per_case="1", ratio_b="2"))
    assert bad.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0
    created = client.post("/admin/plans/new", data=plan_form())
    assert created.status_code == 302
    plan = db.session.scalars(sa.select(Plan)).one()
    assert plan.region_codes == ["440300"] and plan.item_codes == ["JL-01", "JL-03"]
    assert plan.draw_at is not None and plan.draw_at.hour == 1  # 09:00 Beijing is 01:00 UTC
    detail = client.get(f"/admin/plans/{plan.id}")
    body = text(detail)
    assert detail.status_code == 200
    # Pool preview: 6 B-grade merchants in scope, k = ceil(0.5 × 6) = 3, 2 inspectors × capacity 1 < 2 × 3.
    assert re.search(r"<td>B级</td><td>6</td><td>0.5</td><td>3</td>", body)
    assert "执法人员力量不足" in body
    assert client.get(f"/admin/plans/{plan.id}/edit").status_code == 200
    client.post(f"/admin/plans/{plan.id}/edit", data=plan_form(capacity="3"))
    db.session.refresh(plan)
    assert plan.capacity == 3
    assert "执法人员力量不足" not in text(client.get(f"/admin/plans/{plan.id}"))
    client.post(f"/admin/plans/{plan.id}/schedule")
    db.session.refresh(plan)
    assert plan.status == PlanStatus.SCHEDULED
    edit = client.get(f"/admin/plans/{plan.id}/edit")
    assert edit.status_code == 302  # no editing once scheduled
    announced = client.post(f"/admin/plans/{plan.id}/announce")
    assert announced.status_code == 302 and "/admin/draws/" in announced.headers["Location"]
    d = db.session.scalars(sa.select(Draw).where(Draw.plan_id == plan.id)).one()
    page = client.get(f"/admin/draws/{d.id}")
    assert page.status_code == 200 and "尚未锚定" in text(page)
    refused = client.post(f"/admin/draws/{d.id}/reveal", follow_redirects=True)
    assert "锚定" in text(refused)
    assert client.get("/admin/plans").status_code == 200
    assert client.get("/admin/plans/1000000").status_code == 404


@pytest.fixture
def drawn() -> Draw:
    """A revealed draw: 6 merchants (B, ratio 1/2), 3 inspectors, beacon named in advance."""
    for n in range(6):
        MerchantFactory(grade="B", name=f"抽查样本{n}号")
    for _ in range(3):
        InspectorFactory()
    plan = PlanFactory(
        status=PlanStatus.SCHEDULED,
        draw_at=datetime(2026, 11, 1, tzinfo=UTC),
        ratios={"A": "0", "B": "0.5", "C": "0", "D": "0", "unrated": "0"},
    )
    plan.beacon = "测试彩票第1期开奖号码"
    db.session.commit()
    d = draws.announce(plan.id)
    anchoring.anchor_pending()
    return draws.reveal(d.id, beacon_value="01 02 03")


def test_public_pages_and_api(client: FlaskClient, drawn: Draw) -> None:
    listing = client.get("/draws")
    assert listing.status_code == 200 and drawn.plan.name in text(listing)
    page = text(client.get(f"/draws/{drawn.id}"))
    assert drawn.announcement_hash.hex() in page
    assert drawn.announcement["secret_commitment"] in page
    assert "测试彩票第1期开奖号码" in page and "01 02 03" in page
    assert drawn.secret.hex() in page
    assert "抽查样本" in page and "honestmeter draw verify" in page
    leaf = draws.announcement_record(drawn).leaf_hash.hex()  # type: ignore[union-attr]
    assert f"/verify?leaf={leaf}" in page
    assert "区块的哈希" not in page  # not the fallback: no weaker-beacon notice

    api = client.get("/api/v1/draws").get_json()
    assert api["total"] == 1 and api["page"] == 1
    assert api["items"][0]["id"] == drawn.id and api["items"][0]["status"] == "drawn"
    assert api["items"][0]["result_hash"] == drawn.result_hash.hex()  # type: ignore[union-attr]
    assert api["items"][0]["links"]["bundle"] == f"/api/v1/draws/{drawn.id}/bundle"
    summary = client.get(f"/api/v1/draws/{drawn.id}").get_json()
    assert summary["status"] == "drawn" and summary["announcement_hash"] == drawn.announcement_hash.hex()
    assert summary["strata"] == [{"name": "B", "size": 6, "k": 3}] and summary["inspectors"] == 3
    assert summary["result"]["selected"] == 3 and summary["links"]["bundle"] == f"/api/v1/draws/{drawn.id}/bundle"

    served = client.get(f"/api/v1/draws/{drawn.id}/announcement")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert hashlib.sha256(served.get_data()).digest() == drawn.announcement_hash
    assert (
        client.get(
            f"/api/v1/draws/{drawn.id}/announcement", headers={"If-None-Match": served.headers["ETag"]}
        ).status_code
        == 304
    )

    bundle = client.get(f"/api/v1/draws/{drawn.id}/bundle")
    assert bundle.status_code == 200
    data = json.loads(bundle.get_data())
    assert set(data) == {"announcement", "reveal", "result", "records"}
    assert draw.verify_bundle(data) == []
    assert data["reveal"] == {"secret": drawn.secret.hex(), "beacon": b"01 02 03".hex()}
    assert (
        client.get(f"/api/v1/draws/{drawn.id}/bundle", headers={"If-None-Match": bundle.headers["ETag"]}).status_code
        == 304
    )
    assert client.get("/api/v1/draws/1000000").status_code == 404
    assert client.get("/draws/1000000").status_code == 404


def test_bundle_is_404_until_the_reveal(client: FlaskClient) -> None:
    for _ in range(3):
        MerchantFactory(grade="C")
    InspectorFactory()
    InspectorFactory()
    plan = PlanFactory(status=PlanStatus.SCHEDULED, draw_at=datetime(2026, 11, 1, tzinfo=UTC))
    db.session.commit()
    d = draws.announce(plan.id)
    assert client.get(f"/api/v1/draws/{d.id}/bundle").status_code == 404
    assert client.get(f"/api/v1/draws/{d.id}/announcement").status_code == 200
    summary = client.get(f"/api/v1/draws/{d.id}").get_json()
    assert summary["status"] == "announced" and summary["result"] is None and summary["links"]["bundle"] is None
    page = text(client.get(f"/draws/{d.id}"))
    assert d.secret.hex() not in page  # the secret stays secret until the reveal
    assert "公告锚定区块的哈希" in page  # the beacon named in advance is the weaker fallback, said plainly


def test_recusal_pages_isolation_and_decision(client: FlaskClient, auth: Auth) -> None:
    mine = UserFactory(username="recusal_merchant", merchant_user=True)
    other = UserFactory(username="other_merchant", merchant_user=True)
    inspector = InspectorFactory(user__username="recusal_inspector")
    colleague = InspectorFactory()
    UserFactory(username="recusal_admin", role=Role.ADMIN)
    db.session.add(
        Recusal(
            merchant_id=other.merchant_id,
            inspector_id=colleague.id,
            source="merchant",
            reason="其他经营者的申请",
            requested_by_id=other.id,
        )
    )
    db.session.commit()

    auth.login("recusal_merchant")
    sent = client.post("/portal/recusals", data={"badge_number": inspector.badge_number, "reason": "亲属关系"})
    assert sent.status_code == 302
    page = text(client.get("/portal/recusals"))
    assert "亲属关系" in page and "其他经营者的申请" not in page
    auth.logout()

    auth.login("recusal_inspector")
    declared = client.post("/inspector/recusals", data={"uscc": other.merchant.uscc, "reason": "曾在该店兼职"})
    assert declared.status_code == 302
    page = text(client.get("/inspector/recusals"))
    assert "曾在该店兼职" in page and "亲属关系" in page and "其他经营者的申请" not in page
    auth.logout()

    auth.login("recusal_admin")
    page = text(client.get("/admin/recusals"))
    assert page.count("待审核") >= 3
    request = db.session.scalars(sa.select(Recusal).where(Recusal.reason == "亲属关系")).one()
    client.post(f"/admin/recusals/{request.id}/reject", data={"note": ""})  # a rejection needs a note
    db.session.refresh(request)
    assert request.status == Decision.PENDING
    client.post(f"/admin/recusals/{request.id}/approve", data={"note": "属实"})
    db.session.refresh(request)
    assert request.status == Decision.APPROVED and request.decision_note == "属实"
    entered = client.post(
        "/admin/recusals",
        data={"uscc": mine.merchant.uscc, "badge_number": colleague.badge_number, "reason": "监管部门核实"},
    )
    assert entered.status_code == 302
    direct = db.session.scalars(sa.select(Recusal).where(Recusal.reason == "监管部门核实")).one()
    assert direct.status == Decision.APPROVED
    assert client.post("/admin/recusals/1000000/approve", data={"note": ""}).status_code == 404


def test_a_long_result_is_paged(client: FlaskClient, drawn: Draw, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draws, "RESULT_PAGE", 2)
    assert drawn.result is not None
    first, second = text(client.get(f"/draws/{drawn.id}")), text(client.get(f"/draws/{drawn.id}?page=2"))
    order = [c["uscc"] for c in drawn.result["selected"]]
    assert order[0] in first and order[2] not in first
    assert order[2] in second and order[0] not in second
    assert "第 2 / 2 页" in second
