"""Check items, plans (validation, scope, pool preview) and recusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import CheckForm, Decision, Draw, DrawStatus, PlanStatus, RecusalSource
from honestmeter.inspections.plans import services as plans
from honestmeter.merchants.models import MerchantStatus
from honestmeter.roles import Role
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory, UserFactory

FACTS = plans.PlanFacts(
    name="2026年第一批计量双随机抽查",
    year=2026,
    batch=1,
    authority="深圳市南山区市场监督管理局",
    item_codes=["JL-01", "JL-04"],
    draw_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
)


def admin():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.ADMIN)


# ---------------------------------------------------------------- check items


def test_check_items_seeded_and_editable() -> None:
    codes = [i.code for i in plans.check_items()]
    assert codes[:5] == ["JL-01", "JL-02", "JL-03", "JL-04", "JL-05"]
    item = plans.save_check_item(
        None, plans.CheckItemFacts(code=" jl-06 ", name="计量器具标识", form="general", key_item=True)
    )
    assert item.code == "JL-06" and item.active and item.key_item and item.form == CheckForm.GENERAL
    with pytest.raises(ValidationFailed) as err:
        plans.save_check_item(None, plans.CheckItemFacts(code="JL-06", name="重复"))
    assert err.value.field == "code"
    with pytest.raises(ValidationFailed) as err:
        plans.save_check_item(item.id, plans.CheckItemFacts(code="JL-07", name="改编码"))
    assert err.value.field == "code"
    edited = plans.save_check_item(
        item.id, plans.CheckItemFacts(code="JL-06", name="计量器具铭牌标识", form="instruments")
    )
    assert edited.name == "计量器具铭牌标识" and edited.form == CheckForm.INSTRUMENTS and not edited.key_item
    plans.set_check_item_active(item.id, active=False)
    assert "JL-06" not in [i.code for i in plans.check_items(active_only=True)]
    with pytest.raises(NotFound):
        plans.get_check_item(10**6)
    with pytest.raises(ValidationFailed) as err:
        plans.save_check_item(None, plans.CheckItemFacts(code="JL-08", name="x", form="nonsense"))
    assert err.value.field == "form"


# ---------------------------------------------------------------- plans


def test_create_plan_normalises_and_defaults() -> None:
    plan = plans.create_plan(
        replace(FACTS, region_codes=["440305", " 330100 "], sector_codes=["retail"], item_codes=["jl-01"]), by=admin()
    )
    assert plan.status == PlanStatus.DRAFT
    assert plan.region_codes == ["330100", "440305"]
    assert plan.item_codes == ["JL-01"]
    assert plan.ratios == {"A": "0.03", "B": "0.10", "C": "0.30", "D": "0.60", "unrated": "0.10"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"per_case": 1}, "per_case"),
        ({"capacity": 0}, "capacity"),
        ({"ratios": {**plans.DEFAULT_RATIOS, "A": "1.5"}}, "ratio_a"),
        ({"ratios": {**plans.DEFAULT_RATIOS, "unrated": "-0.1"}}, "ratio_unrated"),
        ({"ratios": {**plans.DEFAULT_RATIOS, "C": "abc"}}, "ratio_c"),
        ({"draw_cron": "every day at nine"}, "draw_cron"),
        ({"region_codes": ["999999"]}, "region_codes"),
        ({"sector_codes": ["nope"]}, "sector_codes"),
        ({"item_codes": ["JL-99"]}, "item_codes"),
        ({"name": "  "}, "name"),
        ({"publish_within_days": 0}, "publish_within_days"),
    ],
)
def test_plan_validation(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        plans.create_plan(replace(FACTS, **changes), by=None)  # type: ignore[arg-type]
    assert err.value.field == field


def test_year_and_batch_are_unique() -> None:
    plans.create_plan(FACTS, by=None)
    with pytest.raises(ValidationFailed) as err:
        plans.create_plan(replace(FACTS, name="另一个"), by=None)
    assert err.value.field == "batch"


def test_schedule_checks_readiness_then_locks_editing() -> None:
    plan = plans.create_plan(replace(FACTS, item_codes=[], draw_at=None), by=None)
    with pytest.raises(ValidationFailed) as err:
        plans.schedule_plan(plan.id)
    assert err.value.field == "item_codes"
    plans.update_plan(plan.id, replace(FACTS, draw_at=None))
    with pytest.raises(ValidationFailed) as err:
        plans.schedule_plan(plan.id)
    assert err.value.field == "draw_at"
    plans.update_plan(plan.id, replace(FACTS, draw_cron="0 9 1 * *"))
    with pytest.raises(ValidationFailed) as err:  # both a date and a cron: choose one
        plans.schedule_plan(plan.id)
    assert err.value.field == "draw_cron"
    plans.update_plan(plan.id, replace(FACTS, draw_at=None, draw_cron="0 9 1 * *"))
    assert plans.schedule_plan(plan.id).status == PlanStatus.SCHEDULED
    with pytest.raises(InvalidTransition):
        plans.update_plan(plan.id, FACTS)
    with pytest.raises(InvalidTransition):
        plans.schedule_plan(plan.id)
    assert plans.unschedule_plan(plan.id).status == PlanStatus.DRAFT
    assert plans.update_plan(plan.id, replace(FACTS, name="改名")).name == "改名"


def test_an_inactive_item_blocks_scheduling() -> None:
    plan = plans.create_plan(FACTS, by=None)
    item = next(i for i in plans.check_items() if i.code == "JL-04")
    plans.set_check_item_active(item.id, active=False)
    with pytest.raises(ValidationFailed) as err:
        plans.schedule_plan(plan.id)
    assert err.value.field == "item_codes" and "JL-04" in err.value.message


def test_no_way_back_to_draft_after_a_draw_and_close_waits_for_the_reveal() -> None:
    plan = PlanFactory(status=PlanStatus.RUNNING)
    draw = Draw(
        plan_id=plan.id,
        sequence=1,
        status=DrawStatus.ANNOUNCED,
        announcement={},
        announcement_hash=b"\0" * 32,
        secret=b"s",
        beacon="anchor-block-hash",
        announced_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    db.session.add(draw)
    db.session.commit()  # a failing service rolls back to here
    with pytest.raises(InvalidTransition):
        plans.unschedule_plan(plan.id)
    with pytest.raises(InvalidTransition):
        plans.close_plan(plan.id)
    draw.status = DrawStatus.DRAWN
    db.session.commit()
    assert plans.close_plan(plan.id).status == PlanStatus.CLOSED
    with pytest.raises(InvalidTransition):
        plans.close_plan(plan.id)


# ---------------------------------------------------------------- scope and pool


def test_region_prefixes() -> None:
    assert plans.region_prefixes([]) == []
    assert plans.region_prefixes(["330106"]) == ["330106"]
    assert plans.region_prefixes(["330100"]) == ["3301"]
    assert plans.region_prefixes(["330000", "330100", "330106", "440305"]) == ["33", "440305"]
    assert plans.region_prefixes(["440300", "440305"]) == ["4403"]


def _merchants() -> None:
    """Hangzhou 西湖区: A, A, B, unrated; Wenzhou 鹿城区: D; Shenzhen 南山区: C (optical), B; plus a closed one."""
    for grade in ("A", "A", "B", None):
        MerchantFactory(region_code="330106", grade=grade)
    MerchantFactory(region_code="330302", grade="D")
    MerchantFactory(region_code="440305", grade="C", sector_code="optical")
    MerchantFactory(region_code="440305", grade="B")
    MerchantFactory(region_code="440305", grade="B", status=MerchantStatus.CLOSED)


def _sizes(plan) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {s.name: s.size for s in plans.pool_preview(plan).strata}


def test_scope_by_region_prefix_and_sector() -> None:
    _merchants()
    everywhere = PlanFactory()
    assert _sizes(everywhere) == {"A": 2, "B": 2, "C": 1, "D": 1, "unrated": 1}  # the closed one is out
    zhejiang = PlanFactory(region_codes=["330000"])
    assert _sizes(zhejiang) == {"A": 2, "B": 1, "C": 0, "D": 1, "unrated": 1}
    hangzhou = PlanFactory(region_codes=["330100"])
    assert _sizes(hangzhou) == {"A": 2, "B": 1, "C": 0, "D": 0, "unrated": 1}
    nanshan_optical = PlanFactory(region_codes=["440305"], sector_codes=["optical"])
    assert _sizes(nanshan_optical) == {"A": 0, "B": 0, "C": 1, "D": 0, "unrated": 0}
    two = PlanFactory(region_codes=["330302", "440300"])
    assert _sizes(two) == {"A": 0, "B": 1, "C": 1, "D": 1, "unrated": 0}


def test_pool_preview_numbers_and_capacity_warning() -> None:
    for _ in range(40):
        MerchantFactory(region_code="440305", grade="B")
    for _ in range(3):
        MerchantFactory(region_code="440305", grade="D")
    InspectorFactory(region_code="440305")
    InspectorFactory(region_code="440305")
    InspectorFactory(region_code="440305", active=False)
    InspectorFactory(region_code="330106")
    plan = PlanFactory(region_codes=["440300"], capacity=3)
    preview = plans.pool_preview(plan)
    by_name = {s.name: s for s in preview.strata}
    assert (by_name["B"].size, by_name["B"].k) == (40, 4)  # ceil(0.10 × 40)
    assert (by_name["D"].size, by_name["D"].k) == (3, 2)  # ceil(0.60 × 3)
    assert by_name["A"].k == 0 and by_name["unrated"].k == 0
    assert preview.cases == 6 and preview.merchants == 43
    assert preview.inspectors == 2  # active, in scope
    assert preview.total_capacity == 6 and preview.needed == 12 and preview.short
    plan.capacity = 6
    assert not plans.pool_preview(plan).short
    assert plans.pool_preview(PlanFactory()).inspectors == 3  # no regions: every active inspector


# ---------------------------------------------------------------- recusals


def test_inspector_declares_admin_decides() -> None:
    merchant = MerchantFactory()
    inspector = InspectorFactory()
    boss = admin()
    db.session.commit()  # a failing service rolls back to here
    recusal = plans.declare_recusal(inspector.user, uscc=merchant.uscc.lower(), reason="配偶在该店任职")
    assert (recusal.status, recusal.source) == (Decision.PENDING, RecusalSource.INSPECTOR)
    assert plans.conflict_pairs() == []  # pending does not count
    with pytest.raises(InvalidTransition):
        plans.declare_recusal(inspector.user, uscc=merchant.uscc, reason="再报一次")
    with pytest.raises(ValidationFailed) as err:
        plans.decide_recusal(recusal.id, approve=False, by=boss, note="")
    assert err.value.field == "note"
    decided = plans.decide_recusal(recusal.id, approve=True, by=boss, note="属实")
    assert decided.status == Decision.APPROVED and decided.decided_by_id == boss.id
    assert plans.conflict_pairs() == [(merchant.uscc, inspector.badge_number)]
    with pytest.raises(InvalidTransition):
        plans.decide_recusal(recusal.id, approve=False, by=boss, note="改主意")
    with pytest.raises(NotFound):
        plans.decide_recusal(10**6, approve=True, by=boss)


def test_merchant_requests_only_for_itself_and_sees_only_its_own() -> None:
    mine = UserFactory(merchant_user=True)
    other = UserFactory(merchant_user=True)
    inspector = InspectorFactory()
    db.session.commit()  # a failing service rolls back to here
    with pytest.raises(ValidationFailed) as err:
        plans.request_recusal(mine, badge_number="NOPE", reason="x")
    assert err.value.field == "badge_number"
    request = plans.request_recusal(mine, badge_number=inspector.badge_number.lower(), reason="曾有经济纠纷")
    assert request.merchant_id == mine.merchant_id and request.source == RecusalSource.MERCHANT
    plans.request_recusal(other, badge_number=inspector.badge_number, reason="亲属关系")
    assert [r.id for r in plans.recusals_of_merchant(mine.merchant_id)] == [request.id]
    assert len(plans.recusals_of_inspector(inspector.user)) == 2
    boss = admin()
    db.session.commit()
    with pytest.raises(PermissionDenied):
        plans.request_recusal(boss, badge_number=inspector.badge_number, reason="x")
    with pytest.raises(PermissionDenied):
        plans.declare_recusal(boss, uscc=mine.merchant.uscc, reason="x")


def test_rejected_pairs_do_not_count_and_admin_entries_apply_at_once() -> None:
    merchant = MerchantFactory()
    inspector = InspectorFactory()
    boss = admin()
    rejected = plans.declare_recusal(inspector.user, uscc=merchant.uscc, reason="同乡")
    plans.decide_recusal(rejected.id, approve=False, by=boss, note="不构成利害关系")
    assert plans.conflict_pairs() == []
    entered = plans.enter_recusal(boss, uscc=merchant.uscc, badge_number=inspector.badge_number, reason="举报核实")
    assert (entered.status, entered.source) == (Decision.APPROVED, RecusalSource.ADMIN)
    assert plans.conflict_pairs() == [(merchant.uscc, inspector.badge_number)]
    page = plans.recusals_page()
    assert page.total == 2
    pending = plans.declare_recusal(InspectorFactory().user, uscc=merchant.uscc, reason="新申报")
    assert plans.recusals_page().items[0].id == pending.id  # pending first
