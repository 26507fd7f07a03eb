"""Merchants keep their contact details; registered facts change only after a regulator confirms."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from honestmeter.errors import InvalidTransition, ValidationFailed
from honestmeter.ledger import services as ledger
from honestmeter.merchants import records, services
from honestmeter.merchants.models import ChangeStatus
from tests.factories import PASSWORD, UserFactory, merchant_facts


@pytest.fixture
def owner():  # type: ignore[no-untyped-def]
    merchant = services.register_merchant(merchant_facts())
    return UserFactory(username="owner", merchant_user=True, merchant=merchant)


def test_contact_details_change_at_once_and_stay_out_of_the_ledger(owner) -> None:  # type: ignore[no-untyped-def]
    before = ledger.tree_size()
    services.update_contact(owner.merchant.id, contact_name="李", contact_phone="0571-1234567", contact_email=None)
    assert owner.merchant.contact_phone == "0571-1234567"
    assert ledger.tree_size() == before


def test_registered_facts_wait_for_the_regulator(owner) -> None:  # type: ignore[no-untyped-def]
    admin = UserFactory()
    request = services.request_change(
        owner,
        changes={"name": "西湖眼镜中心", "address": "杭州市西湖区文三路9号", "uscc": owner.merchant.uscc},
        reason="更名",
    )
    assert request.changes == {"name": "西湖眼镜中心", "address": "杭州市西湖区文三路9号"}
    assert owner.merchant.name == "西湖眼镜店"  # nothing changes before review
    with pytest.raises(InvalidTransition):
        services.request_change(owner, changes={"name": "又一个名字"}, reason="再改")
    services.decide_change(request.id, by=admin, approve=True)
    assert owner.merchant.name == "西湖眼镜中心" and request.status is ChangeStatus.APPROVED
    newest = ledger.latest_record(records.RECORD_TYPE, str(owner.merchant.id))
    assert newest is not None and newest.version == 2
    assert json.loads(newest.canonical)["data"]["name"] == "西湖眼镜中心"


def test_bad_change_requests_are_refused_up_front(owner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match="第18位"):
        services.request_change(owner, changes={"uscc": "91330100716105852A"}, reason="更正")
    with pytest.raises(ValidationFailed, match="没有需要变更"):
        services.request_change(owner, changes={"name": "西湖眼镜店"}, reason="无")
    with pytest.raises(ValidationFailed, match="原因"):
        services.request_change(owner, changes={"name": "新名"}, reason=" ")


def test_rejection_needs_a_note(owner) -> None:  # type: ignore[no-untyped-def]
    admin = UserFactory()
    request = services.request_change(owner, changes={"name": "新名"}, reason="更名")
    with pytest.raises(ValidationFailed):
        services.decide_change(request.id, by=admin, approve=False)
    services.decide_change(request.id, by=admin, approve=False, note="与营业执照不符")
    assert request.status is ChangeStatus.REJECTED and owner.merchant.name == "西湖眼镜店"


def test_the_whole_round_trip_through_the_pages(client: FlaskClient, owner) -> None:  # type: ignore[no-untyped-def]
    client.post("/login", data={"username": "owner", "password": PASSWORD})
    page = client.get("/portal/profile").get_data(as_text=True)
    assert "变更登记信息" in page
    form = {
        "action": "change",
        "change-uscc": owner.merchant.uscc,
        "change-name": "西湖视光中心",
        "change-sector_code": "optical",
        "change-region_code": "330106",
        "change-address": owner.merchant.address,
        "change-legal_representative": "钱七",
        "change-reason": "更名",
    }
    assert client.post("/portal/profile", data=form).status_code == 302
    assert "审核中" in client.get("/portal/profile").get_data(as_text=True)
    client.post("/logout")
    UserFactory(username="chief")
    client.post("/login", data={"username": "chief", "password": PASSWORD})
    queue = client.get("/admin/change-requests").get_data(as_text=True)
    assert "西湖视光中心" in queue
    request_id = re.search(r"/admin/change-requests/(\d+)/approve", queue).group(1)  # type: ignore[union-attr]
    assert client.post(f"/admin/change-requests/{request_id}/approve").status_code == 302
    assert owner.merchant.name == "西湖视光中心"
