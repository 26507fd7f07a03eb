"""The security sweep's shared world: two merchants and two pairs of inspectors, each owning one object of every
kind a merchant or inspector page takes an id of, built through the real services (files on disk, ledger records).

`fingerprint()` digests every row of every table, so a test can show that a refused request changed nothing at all,
whatever a route would have touched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import attachments, clock
from honestmeter.auth.models import User
from honestmeter.commitments.models import Commitment
from honestmeter.complaints import services as complaints
from honestmeter.complaints.models import Complaint
from honestmeter.db import Base
from honestmeter.extensions import db, limiter
from honestmeter.inspections.models import Inspector, RectificationOrder, Recusal, Task
from honestmeter.inspections.plans import services as plans
from honestmeter.inspections.results import followup
from honestmeter.inspections.tasks import findings
from honestmeter.instruments import services as instruments
from honestmeter.instruments.models import Instrument, InstrumentVerification, VerificationResult
from honestmeter.lists import services as lists
from honestmeter.lists.models import ListEntry
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import Penalty
from honestmeter.ratings.penalties import services as penalties
from honestmeter.repairs import services as repairs
from honestmeter.repairs.models import RepairRequest
from tests.factories import (
    PASSWORD,
    InspectorFactory,
    InstrumentFactory,
    TaskFactory,
    UserFactory,
    published,
    signed_commitment,
)

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 11, 23)
PDF = b"%PDF-1.7\n% security sweep evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"sweep" * 20
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def text(response: Any) -> str:
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


def sign_in(app: Flask, username: str, password: str = PASSWORD, **environ: Any) -> FlaskClient:
    """A new client signed in through the real form (with the page's CSRF token when CSRF is on)."""
    limiter.reset()  # the sweep signs in far more often than the per-address login limit allows
    client = app.test_client()
    token = TOKEN.search(text(client.get("/login", environ_base=environ)))
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data, environ_base=environ)
    assert response.status_code == 302, f"{username} could not sign in: {text(response)[:300]}"
    return client


def fingerprint() -> str:
    """A digest of every row of every table: equal before and after means nothing was written.

    It commits first (in tests a SAVEPOINT release: the run's outer transaction still rolls everything back), so what
    the test built stays put when a refused request rolls its own transaction back."""
    db.session.commit()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.session.execute(sa.select(table).order_by(*order)):
            digest.update(repr((table.name, tuple(row))).encode())
    return digest.hexdigest()


class Shop:
    """One merchant and, built on first use, everything of its own a merchant page can name by id."""

    def __init__(self, tag: str, admin: User) -> None:
        self.tag, self.admin = tag, admin
        self.user: User = UserFactory(username=f"shop_{tag}", merchant_user=True, merchant__name=f"安全测试{tag}超市")
        self.merchant: Merchant = self.user.merchant  # type: ignore[assignment]

    @cached_property
    def instrument(self) -> Instrument:
        return InstrumentFactory(merchant=self.merchant, serial_number=f"IDOR-{self.tag}-SCALE")  # type: ignore[no-any-return]

    @cached_property
    def verification(self) -> InstrumentVerification:
        """With a certificate scan on disk."""
        return instruments.record_verification(
            self.merchant.id,
            self.instrument.id,
            instruments.VerificationFacts(TODAY, "南山计量所", f"JD-{self.tag}-0001", VerificationResult.PASS),
            scan=instruments.Upload(PDF + self.tag.encode(), "证书.pdf"),
            recorded_by_id=self.user.id,
        )

    @cached_property
    def commitment(self) -> Commitment:
        return signed_commitment(self.merchant, date(2027, 6, 1), signed_at=NOW)

    @cached_property
    def model_unit(self) -> ListEntry:
        """Granted, with an evidence file."""
        entry = lists.apply_model_unit(
            merchant_id=self.merchant.id,
            by=self.user,
            application=f"{self.tag}店：设置公平秤，强制检定计量器具均按期检定。",
            evidence=[attachments.Upload(PNG + self.tag.encode(), "公平秤.png")],
        )
        return lists.approve_model_unit(entry, self.admin, authority="深圳市南山区市场监督管理局")

    @cached_property
    def result(self) -> Task:
        """Published, with a problem found."""
        return published(("02",), checked_on=date(2026, 11, 2), merchant=self.merchant)

    @cached_property
    def order(self) -> RectificationOrder:
        return followup.issue_order(
            self.result, self.admin, "电子秤未检定", "立即停止使用并送检", "《计量法》第九条", date(2026, 12, 31)
        )

    def _penalty(self, n: int) -> Penalty:
        facts = penalties.PenaltyFacts(
            self.merchant.uscc,
            f"深南市监罚〔2026〕{self.tag}{n}号",
            "使用未经检定的计量器具",
            "没收违法所得",
            None,
            False,
            False,
            "南山局",
            date(2026, 5, 1),
        )
        return penalties.record_penalty(facts, None)

    @cached_property
    def repairable(self) -> Penalty:
        """Eligible for repair, nothing applied for yet."""
        return self._penalty(2)

    @cached_property
    def repair(self) -> RepairRequest:
        """Pending, with an evidence file."""
        return repairs.apply(
            merchant_id=self.merchant.id,
            by=self.user,
            target="penalty",
            target_id=self._penalty(1).id,
            statement="已缴清罚款并完成整改",
            signer_name="李四",
            signer_title="负责人",
            evidence=[attachments.Upload(PDF + b"repair " + self.tag.encode(), "缴款凭证.pdf")],
        )

    @cached_property
    def recusal(self) -> Recusal:
        badge = InspectorFactory().badge_number
        return plans.request_recusal(self.user, badge_number=badge, reason=f"回避申请：{self.tag}店亲属")

    @property
    def evidence_sha(self) -> str:
        return str(self.model_unit.evidence[0]["sha256"])

    @property
    def repair_sha(self) -> str:
        return str(self.repair.evidence[0]["sha256"])

    def markers(self) -> list[str]:
        """What only this merchant's own pages show (builds every object)."""
        return [
            self.merchant.uscc,
            self.merchant.name,
            self.instrument.serial_number,
            self.verification.certificate_no,
            self.repair.statement and f"深南市监罚〔2026〕{self.tag}1号",
            self.repairable.decision_no,
            self.recusal.reason,
            self.order.number,
            str(self.model_unit.application),
        ]


class Team:
    """Two inspectors on one task (with a finding and a photo) and a complaint the first one handles."""

    def __init__(self, tag: str, code: str, admin: User) -> None:
        self.tag, self.admin = tag, admin
        self.inspector: Inspector = InspectorFactory(user__username=f"insp_{code}1", name=f"{tag}组检查员")
        self.partner: Inspector = InspectorFactory(user__username=f"insp_{code}2")
        self.user: User = self.inspector.user

    @cached_property
    def task(self) -> Task:
        shop = UserFactory(merchant_user=True, merchant__name=f"{self.tag}组被检查超市").merchant
        task = TaskFactory(
            merchant=shop,
            inspectors=[self.inspector, self.partner],
            item_codes=["JL-04"],
            reason=f"{self.tag}组定向检查",
        )
        entry = findings.FindingEntry(
            checked_on=TODAY, result_codes=["01"], items=[findings.ItemEntry("JL-04", "pass", "承诺书已张贴")]
        )
        findings.record_finding(task.id, self.user, entry)
        findings.add_photo(task.id, self.user, JPEG + self.tag.encode(), caption="现场")
        return task  # type: ignore[no-any-return]

    @cached_property
    def complaint(self) -> Complaint:
        """Handled by the first inspector, with a photo."""
        complaint = complaints.submit(
            complaints.NewComplaint(
                category="short_weight",
                description=f"{self.tag}组投诉：买的一斤苹果只有八两，秤有问题。",
                merchant=f"{self.tag}组市场摊位",
                photos=[attachments.Upload(JPEG + b"complaint " + self.tag.encode(), "小票.jpg")],
            )
        )
        complaints.assign(complaint.id, handler_id=self.inspector.id, uscc="", by=self.admin)
        return complaint

    @cached_property
    def recusal(self) -> Recusal:
        uscc = UserFactory(merchant_user=True).merchant.uscc
        return plans.declare_recusal(self.user, uscc=uscc, reason=f"回避申报：{self.tag}组")

    @property
    def photo_id(self) -> int:
        assert self.task.finding is not None
        return self.task.finding.photos[0].id

    @property
    def complaint_sha(self) -> str:
        return str(self.complaint.photos[0]["sha256"])

    def markers(self) -> list[str]:
        """What only this team's own pages show (builds every object)."""
        return [self.task.merchant.name, self.task.reason, self.complaint.description, self.recusal.reason]


@dataclass
class World:
    a: Shop
    b: Shop
    ia: Team
    ib: Team
    admin: User


class StubRenderer:
    """Stands in for WeasyPrint where only who may download a PDF is under test: same route, no layout work."""

    def render(self, template: str, context: Any) -> bytes:
        return b"%PDF-1.7\n% stub " + template.encode()


@pytest.fixture
def stub_pdfs(monkeypatch: pytest.MonkeyPatch) -> None:
    from honestmeter.notices import services as notices

    monkeypatch.setattr(notices, "default_renderer", StubRenderer)


@pytest.fixture
def world() -> Iterator[World]:
    with clock.frozen(NOW):
        admin = UserFactory(username="sweep_admin")
        yield World(Shop("A", admin), Shop("B", admin), Team("甲", "x", admin), Team("乙", "y", admin), admin)
