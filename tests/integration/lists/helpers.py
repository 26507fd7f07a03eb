"""Test data for the credit lists: listings made through the real services, at a frozen date."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader

from honestmeter import attachments
from honestmeter.auth.models import User
from honestmeter.lists import services as lists
from honestmeter.lists.models import ListEntry
from honestmeter.merchants.models import Merchant
from tests.factories import UserFactory

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 11, 23)
PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def at(day: date) -> datetime:
    """10:00 in Shanghai on `day`."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def text_of(pdf: bytes) -> str:
    """The PDF's text without white space (titles are letter-spaced, long hashes wrap)."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def applied(merchant: Merchant, user: User | None = None, *, files: tuple[bytes, ...] = (PDF,)) -> ListEntry:
    user = user or UserFactory(merchant_user=True, merchant=merchant)
    return lists.apply_model_unit(
        merchant_id=merchant.id,
        by=user,
        application="设置公平秤，强制检定计量器具均按期检定。",
        evidence=[attachments.Upload(data, f"证明{i}.pdf") for i, data in enumerate(files)],
    )


def model_unit(merchant: Merchant, admin: User | None = None) -> ListEntry:
    """A title granted today."""
    entry = applied(merchant)
    return lists.approve_model_unit(entry, admin or UserFactory(), authority="深圳市南山区市场监督管理局")


def abnormal(merchant: Merchant, admin: User | None = None, *, on: date | None = None) -> ListEntry:
    return lists.list_abnormal(
        uscc=merchant.uscc,
        ground="annual_report",
        note="2025年度报告逾期未公示",
        authority="深圳市南山区市场监督管理局",
        listed_on=on,
        by=admin or UserFactory(),
    )


def serious(merchant: Merchant, admin: User | None = None, *, on: date | None = None, no: str = "") -> ListEntry:
    return lists.list_serious(
        uscc=merchant.uscc,
        decision_no=no or f"深南市监信列〔2026〕{merchant.id}号",
        reason="使用计量作弊装置，情节严重，受到较重行政处罚",
        authority="深圳市南山区市场监督管理局",
        listed_on=on,
        by=admin or UserFactory(),
    )
