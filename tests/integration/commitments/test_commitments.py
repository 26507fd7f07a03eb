"""Self-commitments: texts, signing with password re-entry, renewal window, revocation, expiry, ledger."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.commitments import records, services
from honestmeter.commitments.models import CommitmentStatus
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def texts() -> None:
    services.seed_default_templates()


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=4)


def signature(user, **changes):  # type: ignore[no-untyped-def]
    template = services.current_template(user.merchant.sector_code)
    values = {
        "signer_name": "张三",
        "signer_title": "法定代表人",
        "password": PASSWORD,
        "confirmed_points": frozenset(range(len(template.points))),
        "template_id": template.id,
        "client_address": "203.0.113.7",
    }
    values.update(changes)
    return services.Signature(**values)


def test_defaults_are_published_once_per_sector_with_the_six_points() -> None:
    assert services.seed_default_templates() == 0  # idempotent
    market = services.current_template("market")
    assert market is not None and market.version == 1
    assert market.points[0].startswith("自觉遵守计量法律法规")
    assert any("公平秤" in p for p in market.points)
    assert market.text_sha256 == records.text_sha256(
        sector_code="market", version=1, title=market.title, preamble=market.preamble, points=market.points
    )


def test_a_new_version_supersedes_and_both_are_in_the_ledger() -> None:
    old = services.current_template("fuel")
    new = services.publish_template(
        sector_code="fuel", title="诚信计量承诺书", preamble="", points=["一", "二"], by=None
    )
    assert new.version == old.version + 1 and old.superseded_at is not None  # type: ignore[union-attr]
    assert services.current_template("fuel") is new
    newest_old = ledger.latest_record(records.TEMPLATE_TYPE, str(old.id))  # type: ignore[union-attr]
    assert json.loads(newest_old.canonical)["data"]["superseded"] is True  # type: ignore[union-attr]


def test_sign_keeps_who_when_where_which_text_and_records_it() -> None:
    user = UserFactory(merchant_user=True)
    with clock.frozen(at(date(2026, 3, 1))):
        signed = services.sign_commitment(user, signature(user))
    assert signed.status is CommitmentStatus.ACTIVE
    assert (signed.valid_from, signed.valid_until) == (date(2026, 3, 1), date(2027, 2, 28))
    assert signed.signed_from == "203.0.113.7" and signed.signed_by_id == user.id
    assert signed.text_sha256 == signed.template.text_sha256
    data = json.loads(ledger.latest_record(records.COMMITMENT_TYPE, str(signed.id)).canonical)["data"]  # type: ignore[union-attr]
    assert data["status"] == "active" and data["valid_until"] == "2027-02-28"
    assert "203.0.113.7" not in json.dumps(data)  # the address is kept, not published


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "wrong-pass1"}, "password"),
        ({"confirmed_points": frozenset({0, 1})}, "confirmed"),
        ({"signer_name": " "}, "signer_name"),
    ],
)
def test_sign_requires_password_every_point_and_a_signer(changes: dict[str, object], field: str) -> None:
    user = UserFactory(merchant_user=True)
    with pytest.raises(ValidationFailed) as err:
        services.sign_commitment(user, signature(user, **changes))
    assert err.value.field == field
    assert services.current_commitment(user.merchant.id) is None


def test_signing_an_outdated_text_is_refused() -> None:
    user = UserFactory(merchant_user=True)
    stale = signature(user)
    services.publish_template(
        sector_code=user.merchant.sector_code, title="诚信计量承诺书", preamble="", points=["新"], by=None
    )
    with pytest.raises(InvalidTransition, match="已更新"):
        services.sign_commitment(user, stale)


def test_renewal_opens_thirty_days_before_expiry_and_continues_the_period() -> None:
    user = UserFactory(merchant_user=True)
    with clock.frozen(at(date(2026, 1, 10))):
        first = services.sign_commitment(user, signature(user))
    with clock.frozen(at(date(2026, 12, 1))), pytest.raises(InvalidTransition, match="续签"):
        services.sign_commitment(user, signature(user))
    with clock.frozen(at(date(2026, 12, 20))):
        second = services.sign_commitment(user, signature(user))
    assert first.status is CommitmentStatus.RENEWED
    assert second.renews_id == first.id
    assert second.valid_from == date(2027, 1, 10)  # no gap, no overlap


def test_expiry_job_marks_and_records_expired_commitments() -> None:
    user = UserFactory(merchant_user=True)
    with clock.frozen(at(date(2025, 1, 1))):
        signed = services.sign_commitment(user, signature(user))
    with clock.frozen(at(date(2025, 12, 31))):
        assert services.expire_commitments() == 0
    with clock.frozen(at(date(2026, 1, 1))):
        assert services.expire_commitments() == 1
    assert signed.status is CommitmentStatus.EXPIRED
    assert ledger.latest_record(records.COMMITMENT_TYPE, str(signed.id)).version == 2  # type: ignore[union-attr]


def test_revocation_by_the_merchant_or_a_regulator_not_by_another_merchant() -> None:
    user = UserFactory(merchant_user=True)
    other = UserFactory(merchant_user=True)
    admin = UserFactory()
    signed = services.sign_commitment(user, signature(user))
    with pytest.raises(NotFound):
        services.revoke_commitment(signed.id, by=other, reason="恶意撤销")
    with pytest.raises(ValidationFailed):
        services.revoke_commitment(signed.id, by=admin, reason="")
    services.revoke_commitment(signed.id, by=admin, reason="抽查发现违反承诺")
    assert signed.status is CommitmentStatus.REVOKED and signed.end_reason == "抽查发现违反承诺"
    with pytest.raises(InvalidTransition):
        services.revoke_commitment(signed.id, by=user, reason="再次撤销")


def test_audit_projects_commitments_and_catches_a_silent_change() -> None:
    user = UserFactory(merchant_user=True)
    signed = services.sign_commitment(user, signature(user))

    def commitment_problems() -> list[str]:  # the factory's merchant row has no record; not under test
        return [p for p in audit.check_rows() if p.startswith("commitment")]

    assert commitment_problems() == []
    signed.valid_until = signed.valid_until + timedelta(days=365)  # behind the service's back
    db.session.flush()
    assert any(f"commitment {signed.id}" in p for p in commitment_problems())


def test_merchant_signs_through_the_form(client: FlaskClient) -> None:
    user = UserFactory(merchant_user=True, username="signer")
    client.post("/login", data={"username": "signer", "password": PASSWORD})
    page = client.get("/portal/commitment").get_data(as_text=True)
    template_id = re.search(r'name="template_id"[^>]*value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    points = len(re.findall(r'name="confirmed"', page))
    form = {
        "template_id": template_id,
        "signer_name": "张三",
        "signer_title": "店长",
        "password": PASSWORD,
        "confirmed": [str(i) for i in range(points - 1)],
    }
    assert "请逐条阅读并确认每一项承诺" in client.post("/portal/commitment", data=form).get_data(as_text=True)
    form["confirmed"] = [str(i) for i in range(points)]
    assert client.post("/portal/commitment", data=form).status_code == 302
    assert services.current_commitment(user.merchant.id) is not None
    assert "当前承诺" in client.get("/portal/commitment").get_data(as_text=True)


def test_admin_publishes_a_new_version_through_the_form(client: FlaskClient) -> None:
    UserFactory(username="chief")
    client.post("/login", data={"username": "chief", "password": PASSWORD})
    prefilled = client.get("/admin/commitment-templates/new?sector=optical").get_data(as_text=True)
    assert "验光" in prefilled
    response = client.post(
        "/admin/commitment-templates/new",
        data={"sector_code": "optical", "title": "诚信计量承诺书", "preamble": "", "points": "第一条\n\n第二条\n"},
    )
    assert response.status_code == 302
    assert services.current_template("optical").points == ["第一条", "第二条"]  # type: ignore[union-attr]


def test_public_page_and_portal_show_the_commitment(client: FlaskClient) -> None:
    user = UserFactory(merchant_user=True, username="shown")
    public = f"/merchants/{user.merchant.uscc}"
    assert "尚未签署诚信计量承诺书" in client.get(public).get_data(as_text=True)
    signed = services.sign_commitment(user, signature(user))
    page = client.get(public).get_data(as_text=True)
    assert f"有效期至 {signed.valid_until}" in page and "自觉遵守计量法律法规" in page
    assert re.search(r'/verify\?leaf=[0-9a-f]{64}">验证承诺记录', page)
    services.revoke_commitment(signed.id, by=user, reason="停业")
    assert "已撤销" in client.get(public).get_data(as_text=True)
    client.post("/login", data={"username": "shown", "password": PASSWORD})
    assert "未签署或已失效" in client.get("/portal/").get_data(as_text=True)
