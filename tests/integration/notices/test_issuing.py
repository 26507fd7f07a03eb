"""Issued notices: the public 承诺书 PDF and the sticker, stored once per fact, found by their hash."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from honestmeter.commitments import services as commitments
from honestmeter.extensions import db
from honestmeter.ledger import bundle
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.merchants import services as merchant_services
from tests.factories import PASSWORD, UserFactory, merchant_facts


def signed_merchant():  # type: ignore[no-untyped-def]
    commitments.seed_default_templates()
    merchant = merchant_services.register_merchant(merchant_facts())
    user = UserFactory(username="optician", merchant_user=True, merchant=merchant)
    template = commitments.current_template(merchant.sector_code)
    commitment = commitments.sign_commitment(
        user,
        commitments.Signature(
            signer_name="钱七",
            signer_title="法定代表人",
            password=PASSWORD,
            confirmed_points=frozenset(range(len(template.points))),
            template_id=template.id,
            client_address=None,
        ),
    )
    return merchant, user, commitment


def text_of(pdf: bytes) -> str:
    """The PDF's text without white space (titles are letter-spaced, long hashes wrap)."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_public_commitment_pdf_is_issued_once_and_recorded_by_its_hash(client: FlaskClient) -> None:
    merchant, _, commitment = signed_merchant()
    first = client.get(f"/merchants/{merchant.uscc}/commitment.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = text_of(first.data)
    assert "诚信计量承诺书" in text and "西湖眼镜店" in text and "钱七" in text
    record = ledger.latest_record("commitment", str(commitment.id))
    assert record is not None and record.leaf_hash.hex() in text
    again = client.get(f"/merchants/{merchant.uscc}/commitment.pdf")
    assert again.data == first.data  # the same fact serves the same bytes
    issued = ledger.entry_by_file(ledger.sha256(first.data))
    assert issued.record_type == "notice"
    ledger.sign_checkpoint()
    assert bundle.verify(ledger.bundle_json(issued)) == ["not anchored on a chain yet"]


def test_a_revoked_commitment_has_no_current_pdf(client: FlaskClient) -> None:
    merchant, user, commitment = signed_merchant()
    commitments.revoke_commitment(commitment.id, by=user, reason="停业")
    assert client.get(f"/merchants/{merchant.uscc}/commitment.pdf").status_code == 404


def test_merchant_downloads_its_sticker(client: FlaskClient) -> None:
    signed_merchant()
    client.post("/login", data={"username": "optician", "password": PASSWORD})
    response = client.get("/portal/sticker.pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    assert "西湖眼镜店" in text and "有效" in text
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 105  # A6


def test_bulk_render_issues_each_due_notice_once(app: Flask) -> None:
    merchant, _, _ = signed_merchant()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notices", "render", "--processes", "2"])
    assert result.exit_code == 0, result.output
    assert "issued 2 notices" in result.output  # the 承诺书 and the sticker
    assert "issued 0 notices" in runner.invoke(args=["notices", "render"]).output  # idempotent
    kinds = sorted(
        json.loads(e.canonical)["data"]["kind"]
        for e in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.record_type == "notice"))
    )
    assert kinds == ["commitment", "sticker"]
    assert merchant.uscc
