"""Reminder jobs: due instruments and expiring commitments, once per due date, mailed after commit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask.testing import FlaskClient

from honestmeter import clock, mail
from honestmeter.commitments import services as commitments
from honestmeter.reminders import services
from tests.factories import PASSWORD, InstrumentFactory, UserFactory

NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)


def test_due_instruments_are_reminded_once_and_mailed() -> None:
    owner = UserFactory(merchant_user=True, email="shop@example.cn", username="shopkeeper")
    InstrumentFactory(merchant=owner.merchant, serial_number="DUE-1", next_due_on=date(2026, 12, 10))
    InstrumentFactory(merchant=owner.merchant, serial_number="LATER-1", next_due_on=date(2027, 6, 1))
    with clock.frozen(NOW):
        assert services.remind_instruments_due() == 1
        assert services.remind_instruments_due() == 0  # idempotent
        before = len(mail.logged().sent)
        assert services.send_pending() == 1
        assert services.send_pending() == 0
        [reminder] = services.for_merchant(owner.merchant.id)
    assert "DUE-1" in reminder.message and reminder.mailed_at is not None
    sent = list(mail.logged().sent)[before:]
    assert [m.to for m in sent] == ["shop@example.cn"] and "DUE-1" in sent[0].body


def test_commitments_in_the_renewal_window_are_reminded() -> None:
    commitments.seed_default_templates()
    owner = UserFactory(merchant_user=True)
    template = commitments.current_template(owner.merchant.sector_code)
    with clock.frozen(datetime(2025, 12, 1, 4, tzinfo=UTC)):
        commitments.sign_commitment(
            owner,
            commitments.Signature(
                signer_name="张三",
                signer_title="店长",
                password=PASSWORD,
                confirmed_points=frozenset(range(len(template.points))),
                template_id=template.id,
                client_address=None,
            ),
        )
    with clock.frozen(NOW):
        assert services.remind_commitments_expiring() == 1
        assert "2026-11-30" in services.for_merchant(owner.merchant.id)[0].message


def test_portal_shows_reminders(client: FlaskClient) -> None:
    owner = UserFactory(merchant_user=True, username="reminded")
    InstrumentFactory(merchant=owner.merchant, serial_number="SOON-9", next_due_on=date(2026, 12, 1))
    with clock.frozen(NOW):
        services.run_daily()
        client.post("/login", data={"username": "reminded", "password": PASSWORD})
        page = client.get("/portal/").get_data(as_text=True)
    assert "SOON-9" in page and "应于 2026-12-01 前申请检定" in page
