"""Notice builders: what they hand the templates, and what they refuse, with a renderer that records its calls."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from honestmeter import clock
from honestmeter.notices import documents
from honestmeter.notices.fonts import working_charset

LEAF = "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b"
TEXT_SHA = hashlib.sha256("诚信计量承诺书规范文本".encode()).hexdigest()
MERCHANT = {
    "name": "杭州市西湖区西湖眼镜店",
    "uscc": "91330106MA2H4XQ21K",
    "address": "浙江省杭州市西湖区文三路259号",
    "sector": "眼镜制配",
    "legal_representative": "王丽华",  # extra keys are ignored
}
COMMITMENT = {
    "number": "HM-CMT-2026-000123",
    "points": ["自觉遵守计量法律法规。", "使用检定合格的计量器具。"],
    "signer_name": "王丽华",
    "signer_title": "法定代表人",
    # 2026-02-28 20:30 UTC is already 1 March in China Standard Time
    "signed_at": datetime(2026, 2, 28, 20, 30, tzinfo=UTC),
    "valid_from": date(2026, 3, 1),
    "valid_until": "2027-02-28",
    "template_version": "CMT-2026.1",
    "text_sha256": TEXT_SHA,
}


class Recorder:
    """A `PdfRenderer` that keeps what it was asked to render."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Mapping[str, Any]]] = []

    def render(self, template: str, context: Mapping[str, Any]) -> bytes:
        self.calls.append((template, context))
        return b"%PDF-1.7 fake"


def commitment_context(**changes: Any) -> Mapping[str, Any]:
    recorder = Recorder()
    arguments: dict[str, Any] = {
        "merchant": MERCHANT,
        "commitment": COMMITMENT,
        "leaf_hash": LEAF,
        "verify_base_url": "https://jg.hangzhou.gov.cn/",
    }
    arguments.update(changes)
    assert documents.commitment_pdf(recorder, **arguments) == b"%PDF-1.7 fake"
    ((template, context),) = recorder.calls
    assert template == "commitment.html"
    return context


def sticker_context(**changes: Any) -> Mapping[str, Any]:
    recorder = Recorder()
    arguments: dict[str, Any] = {
        "merchant": {"name": MERCHANT["name"], "uscc": MERCHANT["uscc"]},
        "grade": "a",
        "commitment_status": "有效",
        "leaf_hash": LEAF.upper(),
        "public_base_url": "https://jg.hangzhou.gov.cn",
        "verify_base_url": "https://jg.hangzhou.gov.cn",
        "issued_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    }
    arguments.update(changes)
    documents.sticker_pdf(recorder, **arguments)
    ((template, context),) = recorder.calls
    assert template == "sticker.html"
    return context


def test_commitment_context() -> None:
    context = commitment_context()
    assert context["created"] == "2026-02-28T20:30:00Z"
    assert context["leaf_hash"] == LEAF
    assert context["verify_url"] == f"https://jg.hangzhou.gov.cn/verify?leaf={LEAF}"
    assert context["merchant"] == {key: MERCHANT[key] for key in ("name", "uscc", "address", "sector")}
    assert context["commitment"] == {
        "number": "HM-CMT-2026-000123",
        "points": COMMITMENT["points"],
        "signer_name": "王丽华",
        "signer_title": "法定代表人",
        "signed_on": date(2026, 3, 1),
        "valid_from": date(2026, 3, 1),
        "valid_until": date(2027, 2, 28),
        "template_version": "CMT-2026.1",
        "text_sha256": TEXT_SHA,
    }


def test_commitment_accepts_iso_strings_and_a_sector_mapping() -> None:
    commitment = {**COMMITMENT, "signed_at": "2026-03-01T10:30:00+08:00", "number": None}
    context = commitment_context(
        merchant={**MERCHANT, "sector": {"code": "optical", "name": "眼镜制配"}}, commitment=commitment
    )
    assert context["created"] == "2026-03-01T02:30:00Z"
    assert context["commitment"]["signed_on"] == date(2026, 3, 1)
    assert context["commitment"]["number"] is None
    assert context["merchant"]["sector"] == "眼镜制配"


def test_sticker_context() -> None:
    context = sticker_context()
    assert context["grade"] == "A"
    assert context["commitment_status"] == "valid"
    assert context["leaf_hash"] == LEAF  # normalised to lowercase, as /verify and the ledger API write it
    assert context["merchant_url"] == "https://jg.hangzhou.gov.cn/merchants/91330106MA2H4XQ21K"
    assert context["verify_url"] == f"https://jg.hangzhou.gov.cn/verify?leaf={LEAF}"
    assert context["issued_on"] == date(2026, 3, 2)
    assert context["created"] == "2026-03-02T01:00:00Z"


@pytest.mark.parametrize(
    ("grade", "status", "expected"),
    [
        (None, "unsigned", (None, "unsigned")),
        ("未评级", "未签署", (None, "unsigned")),
        ("D", "已过期", ("D", "expired")),
        ("B", "revoked", ("B", "revoked")),
    ],
)
def test_sticker_grades_and_statuses(grade: str | None, status: str, expected: tuple[str | None, str]) -> None:
    context = sticker_context(grade=grade, commitment_status=status)
    assert (context["grade"], context["commitment_status"]) == expected


def test_sticker_issued_now_by_default() -> None:
    with clock.frozen(datetime(2026, 6, 30, 17, 0, tzinfo=UTC)):
        context = sticker_context(issued_at=None)
    assert context["issued_on"] == date(2026, 7, 1)  # 01:00 in China


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"leaf_hash": "abc"}, "leaf_hash must be 64 hexadecimal"),
        ({"leaf_hash": "g" * 64}, "leaf_hash must be 64 hexadecimal"),
        ({"verify_base_url": "jg.hangzhou.gov.cn"}, "absolute http"),
        ({"verify_base_url": "https://jg.hangzhou.gov.cn/?x=1"}, "absolute http"),
        ({"verify_base_url": "javascript:alert(1)"}, "absolute http"),
        ({"commitment": {**COMMITMENT, "signed_at": datetime(2026, 3, 1, 10, 30)}}, "timezone-aware"),  # noqa: DTZ001
        ({"commitment": {**COMMITMENT, "points": []}}, "at least one point"),
        ({"commitment": {**COMMITMENT, "valid_until": date(2026, 2, 28)}}, "cannot end"),
        ({"commitment": {**COMMITMENT, "points": "一条"}}, "must be a list"),
        ({"commitment": {**COMMITMENT, "signer_name": "  "}}, "signer_name is required"),
        ({"commitment": {**COMMITMENT, "text_sha256": "0" * 63}}, "text_sha256 must be 64"),
        ({"merchant": {**MERCHANT, "name": ""}}, "merchant name is required"),
    ],
)
def test_commitment_refuses_bad_input(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        commitment_context(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"grade": "E"}, "unknown credit grade"),
        ({"commitment_status": "pending"}, "unknown commitment status"),
        ({"issued_at": datetime(2026, 3, 2)}, "timezone-aware"),  # noqa: DTZ001
        ({"public_base_url": "ftp://jg.hangzhou.gov.cn"}, "absolute http"),
    ],
)
def test_sticker_refuses_bad_input(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sticker_context(**changes)


def test_uscc_is_quoted_into_the_merchant_url() -> None:
    assert documents.merchant_url("https://a.gov.cn/", "91/33?x") == "https://a.gov.cn/merchants/91%2F33%3Fx"


def test_china_date_and_pdf_sha256() -> None:
    assert documents.china_date(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert documents.china_date(datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=8)))) == date(
        2026, 12, 31
    )
    assert documents.pdf_sha256(b"%PDF-1.7") == hashlib.sha256(b"%PDF-1.7").hexdigest()


def test_working_charset() -> None:
    full = working_charset(["扫码验证"])
    assert sum(0x4E00 <= point <= 0x9FFF for point in full) == 6763  # every GB 2312 hanzi
    assert {ord(c) for c in "鑫淼A9，。（）①℃"} <= full
    small = working_charset(["扫码验证"], gb2312=False)
    assert {ord(c) for c in "扫码验证A9，"} <= small
    assert ord("鑫") not in small
    assert ord("堃") not in full  # outside GB 2312: drawn from the system face, see the rendering tests
