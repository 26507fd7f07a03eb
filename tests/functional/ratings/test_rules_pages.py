"""The rule-table pages: versions list, one version, publishing a new one (validation per field, recompute), roles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.models import RuleTable
from honestmeter.ratings.rules import services as rules
from honestmeter.scoring import DEFAULT_RULES
from tests.factories import PASSWORD, InspectorFactory, MerchantFactory, UserFactory

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    UserFactory(username="regulator", display_name="王科长")
    client.post("/login", data={"username": "regulator", "password": PASSWORD})
    return client


def form_data(**changes: Any) -> dict[str, Any]:
    """The new-version form as the page prefills it from the defaults, with `changes` on top."""
    data: dict[str, Any] = {"base": DEFAULT_RULES.base, "note": "调整基础分"}
    for i, r in enumerate(DEFAULT_RULES.rules):
        data[f"rules-{i}-code"] = r.code
        for name in ("points", "cap", "window_months", "repair_after_months"):
            value = getattr(r, name)
            data[f"rules-{i}-{name}"] = "" if value is None else str(value)
    for i, (g, minimum) in enumerate(DEFAULT_RULES.cutoffs):
        data[f"cutoffs-{i}-grade"] = g
        data[f"cutoffs-{i}-min"] = str(minimum)
    data["serious_list_grade"] = DEFAULT_RULES.serious_list_grade
    data["abnormal_list_best"] = DEFAULT_RULES.abnormal_list_best
    data.update(changes)
    return data


def index_of(code: str) -> int:
    return [r.code for r in DEFAULT_RULES.rules].index(code)


def test_the_form_is_prefilled_from_the_rules_in_force(admin: FlaskClient) -> None:
    page = admin.get("/admin/rules/new").get_data(as_text=True)
    i = index_of("check_clean")
    assert re.search(rf'name="rules-{i}-points"[^>]*value="3"', page)
    assert re.search(rf'name="rules-{i}-cap"[^>]*value="6"', page)
    assert re.search(rf'name="rules-{i}-window_months"[^>]*value="24"', page)
    assert "抽查未发现问题" in page and 'name="cutoffs-0-min"' in page
    assert db.session.scalar(sa.select(sa.func.count(RuleTable.version))) == 0  # reading writes nothing


def test_publishing_stores_records_and_recomputes_every_grade(admin: FlaskClient) -> None:
    merchants = MerchantFactory.create_batch(2)
    response = admin.post("/admin/rules/new", data=form_data(base="70", note="试行期基础分下调"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/rules/2")
    table = db.session.get(RuleTable, 2)
    assert table is not None and table.body["base"] == 70 and table.note == "试行期基础分下调"
    record = json.loads(ledger.latest_record(rules.RECORD_TYPE, "2").canonical)  # type: ignore[union-attr]
    assert record["data"]["rules"]["base"] == 70
    assert ledger.latest_record(rules.RECORD_TYPE, "1") is not None  # the defaults were recorded first
    for merchant in merchants:
        assert (merchant.score, merchant.grade, merchant.grade_rule_version) == (70, "C", 2)
    assert recompute.stale_rule_version() is None
    page = admin.get("/admin/rules/2").get_data(as_text=True)
    assert "试行期基础分下调" in page and "王科长" in page and "基础分" in page and "80" in page and "70" in page
    listing = admin.get("/admin/rules").get_data(as_text=True)
    leaf = ledger.latest_record(rules.RECORD_TYPE, "2").leaf_hash.hex()  # type: ignore[union-attr]
    assert f"leaf={leaf}" in listing and "1 处修改" in listing and "现行" in listing


def test_a_bad_value_is_named_next_to_its_field(admin: FlaskClient) -> None:
    i = index_of("result_02")
    page = admin.post("/admin/rules/new", data=form_data(**{f"rules-{i}-cap": "5"})).get_data(as_text=True)
    assert "累计上限不能为 0，且须与分值同号" in page
    cell = re.search(rf'name="rules-{i}-cap".*?</td>', page, re.S)
    assert cell is not None and "error" in cell.group(0)
    page = admin.post("/admin/rules/new", data=form_data(**{"cutoffs-1-min": "95"})).get_data(as_text=True)
    assert "等级分数线须从高到低严格递减" in page
    page = admin.post("/admin/rules/new", data=form_data(note="")).get_data(as_text=True)
    assert "修订说明" in page
    page = admin.post("/admin/rules/new", data=form_data()).get_data(as_text=True)
    assert "与现行版本完全相同" in page
    assert db.session.scalar(sa.select(sa.func.count(RuleTable.version))) in (0, 1)  # nothing new published


def test_rule_codes_cannot_be_swapped_from_the_form(admin: FlaskClient) -> None:
    page = admin.post("/admin/rules/new", data=form_data(**{"rules-0-code": "made_up"})).get_data(as_text=True)
    assert "与现行版本不一致" in page
    assert db.session.get(RuleTable, 2) is None


def test_many_merchants_leave_the_recompute_to_the_watch_job(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant = MerchantFactory()
    recompute.recompute_all()
    monkeypatch.setattr(recompute, "INLINE_RECOMPUTE_MAX", 0)
    response = admin.post("/admin/rules/new", data=form_data(base="85"))
    assert response.status_code == 302
    assert merchant.grade_rule_version == 1  # not yet
    assert "正在应用到全部经营者" in admin.get("/admin/rules").get_data(as_text=True)
    recompute.rules_watch()
    assert (merchant.score, merchant.grade, merchant.grade_rule_version) == (85, "B", 2)


def test_unknown_version_is_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/rules/99").status_code == 404


@pytest.mark.parametrize("url", ["/admin/rules", "/admin/rules/new", "/admin/rules/1"])
def test_only_admins_may_see_the_rule_pages(app: Flask, url: str) -> None:
    with app.app_context():
        rules.ensure_seeded()
    merchant_user = UserFactory(merchant_user=True)
    inspector = InspectorFactory()
    for username in (merchant_user.username, inspector.user.username):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        assert client.get(url).status_code == 403
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert app.test_client().post("/admin/rules/new", data=form_data(base="10")).status_code == 302
    assert db.session.get(RuleTable, 2) is None


def test_the_form_needs_a_csrf_token(admin: FlaskClient, csrf: None) -> None:
    response = admin.post("/admin/rules/new", data=form_data(base="70"))
    assert response.status_code in (200, 400)
    assert db.session.get(RuleTable, 2) is None
