"""The public merchant page and search: the grade with its reasons (only while grades are public), listings,
penalties, and credit-repaired results hidden but counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.inspections.models import Task, TaskStatus
from honestmeter.ledger import services as ledger
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import Penalty, PenaltyKind
from tests.factories import MerchantFactory, UserFactory, approved_result_repair, completed
from tests.functional.public.grading import NOW, add_fact, grade_a, regrade


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def page_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def grade_section(page: str) -> str:
    return page[page.index('id="grade"') : page.index("诚信计量承诺")]


def test_the_grade_its_reasons_date_and_record_are_public(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    grade_a(merchant)
    record = ledger.latest_record(grades.RECORD_TYPE, merchant.uscc)
    assert record is not None
    page = page_of(client, f"/merchants/{merchant.uscc}")
    assert "诚信计量 A 级" in page[: page.index('id="grade"')]  # the badge next to the name
    section = grade_section(page)
    assert "诚信计量示范单位" in section and "抽查未发现问题" in section
    assert "93" in section
    assert "2026-11-23" in section or "2026年11月23日" in section
    assert f"/verify?leaf={record.leaf_hash.hex()}" in section


def test_a_b_grade_has_no_a_badge(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    add_fact(merchant, "result_02", date(2026, 11, 2))  # 80 - 5 = 75: B
    assert regrade(merchant).grade == "B"
    page = page_of(client, f"/merchants/{merchant.uscc}")
    assert "诚信计量 A 级" not in page
    assert "抽查发现问题经责令已改正" in grade_section(page)


def test_an_ungraded_merchant_says_so(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    assert "尚未评定计量信用等级" in grade_section(page_of(client, f"/merchants/{merchant.uscc}"))


def test_no_grade_anywhere_public_when_grades_are_not_public(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant = MerchantFactory(name="公示开关测试商行")
    grade_a(merchant)
    shown = page_of(client, "/?q=公示开关测试商行")
    assert "信用等级" in shown and "诚信计量 A 级" in shown

    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    page = page_of(client, f"/merchants/{merchant.uscc}")
    for word in ('id="grade"', "计量信用等级", "诚信计量 A 级", "诚信计量示范单位", "抽查未发现问题"):
        assert word not in page, word
    results = page_of(client, "/?q=公示开关测试商行")
    assert merchant.uscc in results
    assert "信用等级" not in results and "诚信计量 A 级" not in results


def _published(merchant: object, codes: list[str], authority: str) -> Task:
    task = completed(codes, merchant=merchant, authority=authority)
    task.status, task.published_at = TaskStatus.PUBLISHED, NOW
    db.session.flush()
    return task


def test_a_repaired_result_is_hidden_and_counted(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    user = UserFactory(merchant_user=True, merchant=merchant)
    repaired = _published(merchant, ["02"], "甲区市场监督管理局")
    _published(merchant, ["13"], "乙区市场监督管理局")
    approved_result_repair(repaired, user, NOW)
    page = page_of(client, f"/merchants/{merchant.uscc}")
    results = page[page.index("抽查检查结果信息") :]
    assert "乙区市场监督管理局" in results
    assert "甲区市场监督管理局" not in page
    assert "1 条抽查检查结果已信用修复，不再公示。" in results


def test_nothing_repaired_means_no_note(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    _published(merchant, ["02"], "甲区市场监督管理局")
    page = page_of(client, f"/merchants/{merchant.uscc}")
    assert "甲区市场监督管理局" in page and "已信用修复" not in page


def test_listings_and_penalties_are_shown(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    db.session.add_all(
        [
            ListEntry(
                kind=ListKind.ABNORMAL,
                merchant_id=merchant.id,
                status=EntryStatus.LISTED,
                reason="通过登记的住所（经营场所）无法联系",
                authority="深圳市南山区市场监督管理局",
                proposed_at=NOW,
                listed_on=date(2026, 11, 2),
            ),
            Penalty(
                merchant_id=merchant.id,
                decision_no="深南市监罚〔2026〕77号",
                violation_type="使用未经检定的计量器具",
                content="罚款人民币五万元",
                fine_amount=Decimal("50000.00"),
                kind=PenaltyKind.OTHER,
                authority="深圳市南山区市场监督管理局",
                decided_on=date(2026, 10, 9),
                public_until=date(2029, 10, 9),
            ),
        ]
    )
    db.session.flush()
    page = page_of(client, f"/merchants/{merchant.uscc}")
    assert "通过登记的住所（经营场所）无法联系" in page
    assert "深南市监罚〔2026〕77号" in page and "使用未经检定的计量器具" in page


def test_public_pages_keep_to_the_csp(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    grade_a(merchant)
    for path in (f"/merchants/{merchant.uscc}", f"/?q={merchant.name}"):
        body = page_of(client, path)
        assert re.search(r"<script(?![^>]*\ssrc=)", body) is None
        assert " style=" not in body
