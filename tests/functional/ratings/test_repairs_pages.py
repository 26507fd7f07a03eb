"""The 信用修复 pages: the merchant's list and application, the regulator's queue and decision, IDOR, roles."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import Penalty
from honestmeter.ratings.penalties import services as penalties
from honestmeter.repairs.models import RepairRequest, RepairStatus
from tests.factories import PASSWORD, InspectorFactory, UserFactory

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
PDF = b"%PDF-1.7 receipt"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def login(client: FlaskClient, username: str) -> FlaskClient:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def shop(username: str) -> Merchant:
    user = UserFactory(username=username, merchant_user=True)
    return user.merchant  # type: ignore[no-any-return]


def penalty(merchant: Merchant, decided_on: date, no: str) -> Penalty:
    return penalties.record_penalty(
        penalties.PenaltyFacts(
            merchant.uscc, no, "使用未经检定的计量器具", "没收违法所得", None, False, False, "南山局", decided_on
        ),
        None,
    )


def application(target: Penalty, **changes: Any) -> dict[str, Any]:
    return {
        "target": "penalty",
        "target_id": str(target.id),
        "statement": "已缴清罚款并完成整改",
        "signer_name": "李四",
        "signer_title": "负责人",
        "evidence": [(io.BytesIO(PDF), "缴款凭证.pdf")],
        **changes,
    }


def applied(client: FlaskClient, target: Penalty) -> RepairRequest:
    response = client.post("/portal/repairs/new", data=application(target), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    request = db.session.scalar(sa.select(RepairRequest).where(RepairRequest.target_id == target.id))
    assert request is not None
    return request


def test_a_merchant_applies_and_the_regulator_approves(client: FlaskClient, app: Any) -> None:
    merchant = shop("shop_a")
    ready = penalty(merchant, date(2026, 5, 1), "R-1")
    later = penalty(merchant, date(2026, 10, 1), "R-2")
    login(client, "shop_a")
    page = client.get("/portal/repairs").get_data(as_text=True)
    assert "R-1" in page and "R-2" in page and "自 2027-04-01 起可申请" in page
    assert f"/portal/repairs/new?target=penalty&amp;target_id={ready.id}" in page
    early = client.get(f"/portal/repairs/new?target=penalty&target_id={later.id}", follow_redirects=True)
    assert "尚未到可申请信用修复的时间：自 2027-04-01 起可以申请" in early.get_data(as_text=True)
    form = client.get(f"/portal/repairs/new?target=penalty&target_id={ready.id}").get_data(as_text=True)
    assert "守信承诺书" in form and merchant.name in form and "R-1" in form
    request = applied(client, ready)
    assert request.status == RepairStatus.PENDING and "承诺人：李四（负责人）" in request.pledge
    mine = client.get(f"/portal/repairs/{request.id}").get_data(as_text=True)
    assert "审核中" in mine and request.pledge_sha256 in mine
    sha = hashlib.sha256(PDF).hexdigest()
    with client.get(f"/portal/repairs/{request.id}/evidence/{sha}") as mine_download:
        assert mine_download.data == PDF
    again = client.get(f"/portal/repairs/new?target=penalty&target_id={ready.id}", follow_redirects=True)
    assert "已有正在审核的修复申请" in again.get_data(as_text=True)
    client.post("/logout")

    UserFactory(username="reviewer")
    login(client, "reviewer")
    queue = client.get("/admin/repairs").get_data(as_text=True)
    assert merchant.name in queue and "待审核" in queue
    review = client.get(f"/admin/repairs/{request.id}").get_data(as_text=True)
    assert "缴款凭证.pdf" in review and "R-1" in review and "未列入经营异常名录" in review
    with client.get(f"/admin/repairs/{request.id}/evidence/{sha}") as download:
        assert download.data == PDF and "no-store" in download.headers["Cache-Control"]
        assert download.headers["Content-Disposition"].startswith("attachment")
    response = client.post(f"/admin/repairs/{request.id}/approve", data={"note": "同意"})
    assert response.status_code == 302 and request.status == RepairStatus.APPROVED
    assert ready.repaired_on == date(2026, 11, 23) and merchant.score == 55  # R-2 still counts
    client.post("/logout")

    login(client, "shop_a")
    page = client.get("/portal/repairs").get_data(as_text=True)
    assert "已修复" in page and "R-1" not in page.split("我的修复申请")[0]


def test_a_rejection_needs_a_reason_which_the_merchant_sees(client: FlaskClient) -> None:
    merchant = shop("shop_r")
    target = penalty(merchant, date(2026, 5, 1), "R-9")
    login(client, "shop_r")
    request = applied(client, target)
    client.post("/logout")
    UserFactory(username="reviewer")
    login(client, "reviewer")
    empty = client.post(f"/admin/repairs/{request.id}/reject", data={"note": ""})
    assert empty.status_code == 422 and request.status == RepairStatus.PENDING
    client.post(f"/admin/repairs/{request.id}/reject", data={"note": "缴款凭证无法辨认"})
    assert request.status == RepairStatus.REJECTED
    client.post("/logout")
    login(client, "shop_r")
    assert "缴款凭证无法辨认" in client.get("/portal/repairs").get_data(as_text=True)
    assert "缴款凭证无法辨认" in client.get(f"/portal/repairs/{request.id}").get_data(as_text=True)


def test_an_application_without_evidence_is_refused(client: FlaskClient) -> None:
    merchant = shop("shop_e")
    target = penalty(merchant, date(2026, 5, 1), "E-1")
    login(client, "shop_e")
    response = client.post(
        "/portal/repairs/new",
        data=application(target, evidence=[(io.BytesIO(b"<script>"), "x.pdf")]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "只能是 PDF、JPEG 或 PNG" in response.get_data(as_text=True)
    none = client.post("/portal/repairs/new", data=application(target, evidence=[]), content_type="multipart/form-data")
    assert none.status_code == 422 and "请上传" in none.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RepairRequest.id))) == 0


def test_merchant_b_cannot_see_or_use_merchant_as_repairs(client: FlaskClient) -> None:
    a = shop("shop_one")
    shop("shop_two")
    target = penalty(a, date(2026, 5, 1), "A-1")
    login(client, "shop_one")
    request = applied(client, target)
    client.post("/logout")
    login(client, "shop_two")
    sha = hashlib.sha256(PDF).hexdigest()
    assert client.get(f"/portal/repairs/{request.id}").status_code == 404
    assert client.get(f"/portal/repairs/{request.id}/evidence/{sha}").status_code == 404
    assert client.get(f"/portal/repairs/new?target=penalty&target_id={target.id}").status_code == 404
    posted = client.post("/portal/repairs/new", data=application(target), content_type="multipart/form-data")
    assert posted.status_code == 404
    page = client.get("/portal/repairs").get_data(as_text=True)
    assert "A-1" not in page
    assert db.session.scalar(sa.select(sa.func.count(RepairRequest.id))) == 1


@pytest.mark.parametrize("role", ["merchant", "inspector", None])
def test_only_regulators_decide(client: FlaskClient, role: str | None) -> None:
    owner = shop("shop_x")
    target = penalty(owner, date(2026, 5, 1), "X-1")
    login(client, "shop_x")
    request = applied(client, target)
    client.post("/logout")
    if role == "merchant":
        shop("other_shop")
        login(client, "other_shop")
    elif role == "inspector":
        InspectorFactory(user__username="insp")
        login(client, "insp")
    sha = hashlib.sha256(PDF).hexdigest()
    expected = 403 if role else 302
    for url in ("/admin/repairs", f"/admin/repairs/{request.id}", f"/admin/repairs/{request.id}/evidence/{sha}"):
        with client.get(url) as response:
            assert response.status_code == expected, url
    assert client.post(f"/admin/repairs/{request.id}/approve").status_code == expected
    assert client.post(f"/admin/repairs/{request.id}/reject", data={"note": "x"}).status_code == expected
    assert request.status == RepairStatus.PENDING


def test_the_owner_too_cannot_decide_its_own_application(client: FlaskClient) -> None:
    owner = shop("shop_self")
    target = penalty(owner, date(2026, 5, 1), "S-1")
    login(client, "shop_self")
    request = applied(client, target)
    assert client.post(f"/admin/repairs/{request.id}/approve").status_code == 403
    assert request.status == RepairStatus.PENDING


def test_staff_have_no_merchant_portal(client: FlaskClient) -> None:
    UserFactory(username="reviewer")
    login(client, "reviewer")
    assert client.get("/portal/repairs").status_code == 403
    assert client.get("/portal/repairs/new?target=penalty&target_id=1").status_code == 403
