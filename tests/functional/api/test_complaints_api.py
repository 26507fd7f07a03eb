"""POST /api/v1/complaints and GET /api/v1/complaints/<code>: filing and following through the open API."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from honestmeter.complaints import services
from honestmeter.complaints.models import Complaint
from honestmeter.extensions import db
from tests.factories import MerchantFactory
from tests.functional.complaints.test_complaints import form as complaint_form

BODY = {
    "category": "short_weight",
    "merchant": "南山市场 12 号摊",
    "description": "两斤苹果复称只有一斤七两，秤有问题。",
    "contact_phone": "13800000000",
}


def test_a_complaint_is_filed_and_followed(client: FlaskClient, csrf: None) -> None:
    merchant = MerchantFactory()
    response = client.post("/api/v1/complaints", json={**BODY, "merchant": merchant.uscc})  # no CSRF token needed
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "received" and body["category"] == "short_weight"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Location"] == body["status_url"]
    complaint = db.session.get(Complaint, 1) or db.session.query(Complaint).one()
    assert complaint.via_api and complaint.merchant_id == merchant.id
    assert services.display_code(complaint.tracking_code) == body["tracking_code"]

    followed = client.get(f"/api/v1/complaints/{body['tracking_code'].lower()}")
    assert followed.status_code == 200
    assert followed.get_json()["status"] == "received"
    assert "13800000000" not in followed.get_data(as_text=True)
    assert followed.headers["Cache-Control"] == "private, no-store"


def test_bad_complaints_get_422_with_the_reason(client: FlaskClient) -> None:
    short = client.post("/api/v1/complaints", json={**BODY, "description": "太短"})
    assert short.status_code == 422 and "description" in str(short.get_json())
    future = client.post("/api/v1/complaints", json={**BODY, "happened_on": "2999-01-01"})
    assert future.status_code == 422 and "不能晚于今天" in future.get_json()["error"]
    reward = client.post("/api/v1/complaints", json={**BODY, "wants_reward": True})
    assert reward.status_code == 422 and "真实姓名" in reward.get_json()["error"]
    assert db.session.query(Complaint).count() == 0


def test_unknown_codes_are_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/complaints/TS-0000-0000-0000")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_filing_shares_the_complaint_rate_limit(app: Flask, client: FlaskClient) -> None:
    app.config["COMPLAINT_RATE_LIMIT"] = "2 per hour"
    try:
        statuses = [client.post("/api/v1/complaints", json=BODY).status_code for _ in range(3)]
    finally:
        app.config["COMPLAINT_RATE_LIMIT"] = "5 per hour;20 per day"
    assert statuses == [201, 201, 429]


def test_the_form_and_the_api_share_one_counter_per_address(app: Flask, client: FlaskClient) -> None:
    merchant = MerchantFactory()
    app.config["COMPLAINT_RATE_LIMIT"] = "2 per hour"
    try:
        api = client.post("/api/v1/complaints", json=BODY).status_code
        page = client.post("/complaints", data=complaint_form(merchant)).status_code
        statuses = [api, page, client.post("/api/v1/complaints", json=BODY).status_code]
        statuses.append(client.post("/complaints", data=complaint_form(merchant)).status_code)
    finally:
        app.config["COMPLAINT_RATE_LIMIT"] = "5 per hour;20 per day"
    assert statuses == [201, 302, 429, 429]


def test_the_document_describes_both_operations(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/complaints"]
    assert "get" in paths["/api/v1/complaints/{code}"]
