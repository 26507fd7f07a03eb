"""The merchant's grade page (/portal/grade), the grade card on the portal home and the profile, and the admin's
grade view of one merchant (/admin/merchants/<id>/grade)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.console import queries
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from tests.factories import PASSWORD, InstrumentFactory, MerchantFactory, UserFactory, completed
from tests.functional.public.grading import NOW, add_fact, grade_a, regrade


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status
    return response.get_data(as_text=True)


@pytest.fixture
def graded() -> tuple[User, Merchant]:
    """A merchant (C, 72) with a 02 result of 2026-11-20 (-5) and an overdue scale (-3), and its user."""
    merchant = MerchantFactory(name="甲记粮油店")
    task = completed(["02"], merchant=merchant)
    add_fact(merchant, "result_02", date(2026, 11, 20), source_id=task.id)
    InstrumentFactory(
        merchant=merchant,
        serial_number="SN-OVERDUE-1",
        last_verified_on=date(2025, 10, 1),
        next_due_on=date(2026, 10, 1),
    )
    change = regrade(merchant)
    assert (change.grade, change.score) == ("C", 72)
    return UserFactory(merchant_user=True, merchant=merchant), merchant


@pytest.fixture
def other() -> Merchant:
    """Merchant B: a 04 (不配合检查情节严重) of its own."""
    merchant = MerchantFactory(name="乙记水产行")
    add_fact(merchant, "result_04", date(2026, 9, 1))
    regrade(merchant)
    return merchant


def test_the_merchant_sees_reasons_facts_until_dates_and_steps(
    client: FlaskClient, graded: tuple[User, Merchant], other: Merchant
) -> None:
    user, merchant = graded
    [task_id] = [f.source_id for f in facts.for_merchant(merchant.id) if f.rule == "result_02"]
    page = text(sign_in(client, user), "/portal/grade")
    card = page[page.index("grade-card") : page.index("计分记录明细")]
    assert "抽查发现问题经责令已改正" in card and "-5" in card
    assert "强制检定计量器具超期未检" in card and "-3" in card
    assert "72" in card and "2027-11-20" in card  # the 02 counts 12 months
    details = page[page.index("计分记录明细") : page.index("如何提升信用等级")]
    row = (
        r"抽查发现问题经责令已改正</td>\s*<td[^>]*>\s*<ul[^>]*>\s*"
        rf'<li>抽查检查结果 <span class="mono">#{task_id}</span> · 2026-11-20</li>'
    )
    assert re.search(row, details)  # the check's date
    assert "电子计价秤 SN-OVERDUE-1" in details
    steps = page[page.index("如何提升信用等级") :]
    assert "签署或续签诚信计量自我承诺书" in steps and "最多 +5 分" in steps
    assert "为超期未检的强制检定计量器具申请检定" in steps and "最多 +3 分" in steps
    assert "申请诚信计量示范单位" in steps and "最多 +10 分" in steps
    assert "申请信用修复" in steps and "2027-02-20 起可申请" in steps  # 02: repair after 3 months
    for link in ("/portal/commitment", "/portal/instruments", "/portal/model-unit", "/portal/repairs"):
        assert f'href="{link}"' in steps, link


def test_the_grade_page_shows_only_the_merchants_own_data(
    client: FlaskClient, graded: tuple[User, Merchant], other: Merchant
) -> None:
    user, merchant = graded
    page = text(sign_in(client, user), "/portal/grade")
    assert merchant.name in page
    assert other.name not in page and other.uscc not in page
    assert "不配合检查情节严重" not in page
    # The other merchant's grade page is the admin's, not reachable for a merchant.
    assert client.get(f"/admin/merchants/{other.id}/grade").status_code == 403


def test_a_merchant_with_no_grade_yet(client: FlaskClient) -> None:
    user = UserFactory(merchant_user=True)
    page = text(sign_in(client, user), "/portal/grade")
    assert "尚未评定计量信用等级" in page


def test_the_portal_home_and_profile_carry_a_grade_card(client: FlaskClient) -> None:
    merchant = MerchantFactory()
    grade_a(merchant)
    sign_in(client, UserFactory(merchant_user=True, merchant=merchant))
    for path in ("/portal/", "/portal/profile"):
        page = text(client, path)
        card = page[page.index("计量信用等级") :]
        assert "93" in card and "诚信计量 A 级" in card and 'href="/portal/grade"' in card


def test_the_admin_sees_a_merchants_grade_history_and_facts(client: FlaskClient, other: Merchant) -> None:
    add_fact(other, "check_clean", date(2026, 11, 2))
    regrade(other)  # 60 → 63: a second change
    page = text(sign_in(client, UserFactory()), f"/admin/merchants/{other.id}/grade")
    assert other.name in page
    assert "不配合检查情节严重" in page and "result_04" in page and "check_clean" in page
    assert "63" in page[page.index("grade-card") :]
    assert text(client, "/admin/merchants/999999/grade", 404)


def test_fact_lines_never_describe_another_merchants_rows(graded: tuple[User, Merchant], other: Merchant) -> None:
    _user, merchant = graded
    theirs = InstrumentFactory(merchant=other, serial_number="SN-THEIRS")
    task = completed(["02"], merchant=other)
    lines = queries.fact_lines(merchant.id, [f"instrument/{theirs.id}", f"inspection_result/{task.id}"])
    assert [(line.text, line.happened_on) for found in lines.values() for line in found] == [("", None), ("", None)]
    mine = queries.fact_lines(other.id, [f"instrument/{theirs.id}"])
    assert mine[f"instrument/{theirs.id}"][0].text == "电子计价秤 SN-THEIRS"
