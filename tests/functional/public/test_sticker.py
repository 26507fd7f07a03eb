"""The premises QR sticker: an A grade is named on it (诚信计量 A 级), and only while grades are public."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from honestmeter import clock
from honestmeter.merchants import services as merchant_services
from honestmeter.notices import documents
from honestmeter.notices import services as notice_services
from honestmeter.notices.rendering import WeasyPrintRenderer
from tests.factories import merchant_facts
from tests.functional.public.grading import NOW, grade_a

A_MARK = "诚信计量 A 级经营者"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


class HtmlOnly:
    """A PdfRenderer that stops at the HTML, so the sticker's words can be read without laying out a PDF."""

    def __init__(self) -> None:
        self.inner = WeasyPrintRenderer(working_set_fonts=False)

    def render(self, template: str, context: Mapping[str, Any]) -> bytes:
        return self.inner.render_html(template, context).encode()


@pytest.fixture(scope="module")
def renderer() -> HtmlOnly:
    return HtmlOnly()


def sticker_html(renderer: HtmlOnly, grade: str | None) -> str:
    return documents.sticker_pdf(
        renderer,
        merchant={"name": "西湖眼镜店", "uscc": "91330100716105852F"},
        grade=grade,
        commitment_status="valid",
        leaf_hash="ab" * 32,
        public_base_url="https://hm.example.gov.cn",
        verify_base_url="https://hm.example.gov.cn",
        issued_at=datetime(2026, 11, 23, 2, tzinfo=UTC),
    ).decode()


@pytest.mark.parametrize(("grade", "marked"), [("A", True), ("B", False), ("D", False), (None, False)])
def test_only_an_a_grade_is_marked(renderer: HtmlOnly, grade: str | None, marked: bool) -> None:
    html = sticker_html(renderer, grade)
    assert (A_MARK in html) is marked
    assert ("经营者计量信用公示" in html) is not marked


def test_the_sticker_gets_the_grade_only_while_grades_are_public(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = merchant_services.register_merchant(merchant_facts())
    grade_a(merchant)
    assert notice_services.sticker_job(merchant).arguments["grade"] == "A"
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    assert notice_services.sticker_job(merchant).arguments["grade"] is None
