"""投诉举报: the public form and tracking, triage by regulators and handlers, the credit effect, rewards, privacy."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.complaints import records as complaint_records
from honestmeter.complaints import services
from honestmeter.complaints.models import Complaint, ComplaintStatus
from honestmeter.errors import InvalidTransition, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector, Task, TaskKind
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import CreditFact, FactSource
from tests.factories import PASSWORD, InspectorFactory, MerchantFactory, UserFactory

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CODE = re.compile(r'id="tracking-code"><strong>(TS(?:-[0-9A-Z]{4}){3})</strong>')


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def login(client: FlaskClient, username: str) -> FlaskClient:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def merchant() -> Merchant:
    return MerchantFactory(name="诚信水果店")


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    UserFactory(username="c_admin")
    return login(app.test_client(), "c_admin")


def form(merchant: Merchant | None = None, **changes: object) -> dict[str, object]:
    return {
        "category": "short_weight",
        "merchant": merchant.uscc if merchant else "街口无名水果摊",
        "place": "南山市场 12 号摊位",
        "happened_on": "2026-11-20",
        "description": "买了两斤苹果，回家用电子秤称只有一斤七两。",
        "contact_name": "王五",
        "contact_phone": "13800000000",
        **changes,
    }


def file_one(client: FlaskClient, data: dict[str, object]) -> str:
    """Submit through the page and return the tracking code the page shows once."""
    response = client.post("/complaints", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    found = CODE.search(shown)
    assert found is not None
    return found.group(1)


def test_a_complaint_is_filed_and_followed_with_its_tracking_code(client: FlaskClient, merchant: Merchant) -> None:
    code = file_one(client, form(merchant, photos=[(io.BytesIO(PNG), "秤.png")]))
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint is not None
    assert complaint.merchant_id == merchant.id and complaint.merchant_name == "诚信水果店"
    assert complaint.status == ComplaintStatus.RECEIVED and len(complaint.photos) == 1
    assert services.display_code(complaint.tracking_code) == code
    # The code shows once: the page after the redirect does not show it again.
    assert CODE.search(client.get("/complaints/submitted", follow_redirects=True).get_data(as_text=True)) is None
    page = client.get(f"/complaints/track?code={code.lower().replace('-', ' ')}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "已受理" in text and "短斤少两" in text
    assert "王五" not in text and "13800000000" not in text
    assert page.headers["Cache-Control"] == "private, no-store"


def test_an_unknown_code_is_a_404_that_says_so(client: FlaskClient) -> None:
    response = client.get("/complaints/track?code=TS-0000-0000-0000")
    assert response.status_code == 404 and "没有找到该查询码" in response.get_data(as_text=True)


def test_the_merchant_page_link_fills_in_the_merchant(client: FlaskClient, merchant: Merchant) -> None:
    text = client.get(f"/complaints?uscc={merchant.uscc}").get_data(as_text=True)
    assert merchant.uscc in text and "已关联：诚信水果店" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"description": "太少了"}, "至少 10 个字"),
        ({"category": "bogus"}, "不是有效的选择"),
        ({"contact_phone": "phone"}, "联系电话格式不正确"),
        ({"wants_reward": "y", "contact_name": ""}, "真实姓名和联系电话"),
        ({"happened_on": "2026-12-01"}, "不能晚于今天"),
        ({"photos": [(io.BytesIO(b"MZ\x90\x00not an image"), "a.exe")]}, "PDF、JPEG 或 PNG"),
        ({"photos": [(io.BytesIO(PNG + bytes([i])), f"{i}.png") for i in range(4)]}, "最多 3 张"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_stores_nothing(
    client: FlaskClient, merchant: Merchant, changes: dict[str, object], message: str
) -> None:
    response = client.post("/complaints", data=form(merchant, **changes), content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0


def test_the_honeypot_turns_a_bot_away(client: FlaskClient, merchant: Merchant) -> None:
    response = client.post("/complaints", data=form(merchant, website="http://spam.example"))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0


def test_the_form_needs_its_csrf_token(client: FlaskClient, merchant: Merchant, csrf: None) -> None:
    response = client.post("/complaints", data=form(merchant))
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0



def test_a_photo_name_with_control_characters_is_kept_clean(client: FlaskClient, merchant: Merchant) -> None:
    # A NUL in a JSON column is a 500 on PostgreSQL; control characters do not belong in a download's header.
    file_one(client, form(merchant, photos=[(io.BytesIO(PNG), "秤\x00\x07\u202e.png")]))
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint is not None and [p["filename"] for p in complaint.photos] == ["秤.png"]

def test_filing_is_rate_limited_per_address(app: Flask, client: FlaskClient, merchant: Merchant) -> None:
    app.config["COMPLAINT_RATE_LIMIT"] = "2 per hour"
    try:
        statuses = [client.post("/complaints", data=form(merchant)).status_code for _ in range(3)]
    finally:
        app.config["COMPLAINT_RATE_LIMIT"] = "5 per hour;20 per day"
    assert statuses == [302, 302, 429]


# ---------------------------------------------------------------- triage


def pair() -> tuple[Inspector, Inspector]:
    return InspectorFactory(user__username="handler"), InspectorFactory(user__username="partner")


def test_triage_to_substantiated_publishes_a_record_without_the_reporter_and_lowers_the_grade(
    app: Flask, client: FlaskClient, admin: FlaskClient, merchant: Merchant
) -> None:
    code = file_one(client, form(None))  # the reporter only knew a name
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint is not None and complaint.merchant_id is None
    handler, partner = pair()
    url = f"/admin/complaints/{complaint.id}"
    assert admin.post(f"{url}/assign", data={"handler_id": handler.id, "uscc": merchant.uscc}).status_code == 302
    assert complaint.status == ComplaintStatus.ASSIGNED and complaint.merchant_id == merchant.id
    check = {"inspector_ids": [handler.id, partner.id], "item_codes": ["JL-01", "JL-03"]}
    assert admin.post(f"{url}/check", data=check).status_code == 302
    task = db.session.get(Task, complaint.task_id)
    assert task is not None and task.kind == TaskKind.COMPLAINT and task.merchant_id == merchant.id
    assert f"#{complaint.id}" in (task.reason or "") and "王五" not in (task.reason or "")

    # The handler verifies on a phone page; the partner sees the complaint but not who filed it.
    inspector = login(app.test_client(), "handler")
    page = inspector.get(f"/inspector/complaints/{complaint.id}").get_data(as_text=True)
    assert "13800000000" in page
    done = inspector.post(f"/inspector/complaints/{complaint.id}", data={"verification": "现场复称，少秤 15%"})
    assert done.status_code == 302 and complaint.verification == "现场复称，少秤 15%"
    other = login(app.test_client(), "partner")
    seen = other.get(f"/inspector/complaints/{complaint.id}")
    assert seen.status_code == 200 and "13800000000" not in seen.get_data(as_text=True)
    assert other.post(f"/inspector/complaints/{complaint.id}", data={"verification": "x"}).status_code == 403

    decided = admin.post(f"{url}/decide", data={"outcome": "substantiated", "reasons": "经现场复称，短斤少两属实"})
    assert decided.status_code == 302
    assert complaint.status == ComplaintStatus.SUBSTANTIATED
    entry = ledger.latest_record(complaint_records.RECORD_TYPE, str(complaint.id))
    assert entry is not None
    data = json.loads(entry.canonical)["data"]
    assert data == {
        "uscc": merchant.uscc,
        "category": "short_weight",
        "decided_on": "2026-11-23",
        "authority": app.config["AUTHORITY_NAME"],
        "reasons": "经现场复称，短斤少两属实",
    }
    assert "王五" not in entry.canonical.decode() and "1380000" not in entry.canonical.decode()
    fact = db.session.scalar(sa.select(CreditFact).where(CreditFact.source == FactSource.COMPLAINT))
    assert fact is not None and fact.merchant_id == merchant.id and fact.rule == "complaint_substantiated"
    reasons = client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    assert "投诉经查属实" in reasons
    tracked = client.get(f"/complaints/track?code={code}").get_data(as_text=True)
    assert "经查属实" in tracked and "短斤少两属实" in tracked


def assigned(merchant: Merchant | None = None) -> Complaint:
    admin = UserFactory()
    complaint = services.submit(services.NewComplaint("labelling", "净含量标注字太小看不清", merchant="某店"))
    handler, _ = pair()
    return services.assign(complaint.id, handler_id=handler.id, uscc=merchant.uscc if merchant else "", by=admin)


def test_a_decision_needs_a_verification_reasons_and_for_substantiated_a_merchant() -> None:
    admin = UserFactory()
    complaint = assigned()
    with pytest.raises(InvalidTransition):
        services.decide(complaint.id, substantiated=False, reasons="查无实据", by=admin)
    services.record_verification(complaint.id, text="现场未发现问题", by=admin)
    with pytest.raises(ValidationFailed):
        services.decide(complaint.id, substantiated=False, reasons=" ", by=admin)
    with pytest.raises(ValidationFailed):
        services.decide(complaint.id, substantiated=True, reasons="属实", by=admin)
    services.decide(complaint.id, substantiated=False, reasons="查无实据", by=admin)
    assert complaint.status == ComplaintStatus.UNSUBSTANTIATED
    assert ledger.latest_record(complaint_records.RECORD_TYPE, str(complaint.id)) is None
    with pytest.raises(InvalidTransition):
        services.record_verification(complaint.id, text="改", by=admin)


def test_an_inspector_who_neither_handles_nor_checks_it_cannot_see_it(app: Flask) -> None:
    complaint = assigned()
    InspectorFactory(user__username="stranger")
    stranger = login(app.test_client(), "stranger")
    assert stranger.get(f"/inspector/complaints/{complaint.id}").status_code == 404
    assert "某店" not in stranger.get("/inspector/complaints").get_data(as_text=True)
    handler = login(app.test_client(), "handler")
    assert "某店" in handler.get("/inspector/complaints").get_data(as_text=True)


def test_rewards_follow_the_rules(app: Flask, merchant: Merchant, client: FlaskClient) -> None:
    admin = UserFactory()
    complaint = services.submit(
        services.NewComplaint(
            "cheating_device",
            "电子秤被改装，显示比实际多三成",
            merchant=merchant.uscc,
            contact_name="赵六",
            contact_phone="13900000000",
            wants_reward=True,
        )
    )
    assert not services.reward_eligible(complaint)  # not decided yet
    handler, _ = pair()
    services.assign(complaint.id, handler_id=handler.id, uscc="", by=admin)
    services.record_verification(complaint.id, text="查获作弊装置", by=admin)
    services.decide(complaint.id, substantiated=True, reasons="使用作弊计量器具属实", by=admin)
    assert services.reward_eligible(complaint)
    with pytest.raises(ValidationFailed):
        services.decide_reward(complaint.id, amount="999999", note="", by=admin)
    with pytest.raises(ValidationFailed):
        services.decide_reward(complaint.id, amount="0", note="", by=admin)
    services.decide_reward(complaint.id, amount="500", note="按规定奖励", by=admin)
    assert not services.reward_eligible(complaint)
    tracked = client.get(f"/complaints/track?code={complaint.tracking_code}").get_data(as_text=True)
    assert "500.00 元" in tracked
    app.config["REPORT_REWARD_MAX"] = 0
    try:
        assert services.reward_max() == 0
    finally:
        app.config["REPORT_REWARD_MAX"] = 5000


def test_tracking_codes_normalise_what_people_type() -> None:
    code = services.new_tracking_code()
    assert len(code) == 14 and code.startswith("TS")
    assert services.normalise_code(services.display_code(code).lower()) == code
    assert services.normalise_code("ts-oil0-0000-0000") == "TS011000000000"


def test_the_regulator_sees_the_queue_and_the_reporter(admin: FlaskClient, merchant: Merchant) -> None:
    services.submit(
        services.NewComplaint("other", "计价器跳字太快不正常", merchant=merchant.uscc, contact_phone="021-1234567")
    )
    queue = admin.get("/admin/complaints").get_data(as_text=True)
    assert "诚信水果店" in queue and "已受理" in queue
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint is not None
    assert "021-1234567" in admin.get(f"/admin/complaints/{complaint.id}").get_data(as_text=True)


def test_a_substantiated_complaint_can_be_repaired_after_three_months(merchant: Merchant) -> None:
    from honestmeter.repairs import services as repairs
    from honestmeter.repairs.models import RepairTarget

    admin = UserFactory()
    complaint = assigned(merchant)
    services.record_verification(complaint.id, text="属实", by=admin)
    services.decide(complaint.id, substantiated=True, reasons="净含量标注不规范属实", by=admin)
    item = next(i for i in repairs.items_for(merchant.id) if i.target == RepairTarget.COMPLAINT)
    assert item.target_id == complaint.id and item.rules == ("complaint_substantiated",)
    assert item.eligible_on.isoformat() == "2027-02-23" and not item.eligible(clock.today())
    user = UserFactory(merchant_user=True, merchant=merchant)
    with clock.frozen(datetime(2027, 3, 1, 2, tzinfo=UTC)):
        request = repairs.apply(
            merchant_id=merchant.id,
            by=user,
            target="complaint",
            target_id=complaint.id,
            statement="已更换合格的标签",
            signer_name="张三",
            signer_title="店主",
            evidence=[repairs.attachments.Upload(PNG, "标签.png")],
        )
        repairs.approve(request.id, admin)
    fact = db.session.scalar(sa.select(CreditFact).where(CreditFact.source == FactSource.COMPLAINT))
    assert fact is not None and fact.ended_on is not None


def test_errors_with_numbers_are_translated_before_they_are_filled_in(client: FlaskClient, merchant: Merchant) -> None:
    response = client.post("/complaints?lang=en", data=form(merchant, description="太少了"))
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)


def test_the_dashboard_counts_open_complaints(admin: FlaskClient, merchant: Merchant) -> None:
    services.submit(services.NewComplaint("other", "计价器跳字太快不正常", merchant=merchant.uscc))
    page = admin.get("/admin/").get_data(as_text=True)
    assert re.search(r"<strong>1</strong><span>未办结投诉举报</span>", page)


def test_regulators_export_the_filtered_list_without_contact_details(admin: FlaskClient, merchant: Merchant) -> None:
    services.submit(
        services.NewComplaint("other", "计价器跳字太快不正常", merchant=merchant.uscc, contact_phone="021-7654321")
    )
    services.submit(services.NewComplaint("labelling", "净含量标注字太小看不清", merchant="某店"))
    response = admin.get("/admin/complaints/export.csv?category=other")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("编号,问题类别,被投诉经营者") and len(lines) == 2
    assert merchant.uscc in lines[1] and "已受理" in lines[1] and "021-7654321" not in text
