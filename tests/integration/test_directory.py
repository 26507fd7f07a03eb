"""Directory use cases: merchants (with the USCC override), inspectors, instrument types."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from honestmeter.auth.models import AccountStatus
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.directory import services as inspection_services
from honestmeter.instruments import queries as instrument_queries
from honestmeter.instruments import services as instrument_services
from honestmeter.instruments.models import CycleKind, InstrumentStatus, InstrumentType, VerificationMode
from honestmeter.merchants import services
from honestmeter.merchants.models import MerchantStatus
from tests.factories import InstrumentFactory, MerchantFactory

FAILS_CHECKSUM = "91350203M0001QAY9B"  # a real-world code that fails GB 32100 (expected "9")


def facts(code: str, **changes: str) -> services.MerchantFacts:
    base = {
        "uscc": code,
        "name": "鹭岛便利店",
        "sector_code": "retail",
        "region_code": "350203",
        "address": "厦门市思明区中山路1号",
        "legal_representative": "陈五",
    }
    base.update(changes)
    return services.MerchantFacts(**base)


def test_checksum_failure_is_refused_with_the_expected_character() -> None:
    with pytest.raises(ValidationFailed, match="应为“9”"):
        services.register_merchant(facts(FAILS_CHECKSUM))


def test_regulator_override_accepts_a_checksum_failure_and_records_why() -> None:
    merchant = services.register_merchant(facts(FAILS_CHECKSUM), override_reason="经核对营业执照原件，代码真实有效")
    assert merchant.uscc_override and merchant.uscc_override_reason.startswith("经核对")


def test_override_never_accepts_an_impossible_code() -> None:
    with pytest.raises(ValidationFailed, match="不允许的字符"):
        services.register_merchant(facts("91350203M0001QAYOB"), override_reason="想录入")


def test_override_is_cleared_when_the_code_is_corrected() -> None:
    merchant = services.register_merchant(facts(FAILS_CHECKSUM), override_reason="核实无误")
    services.update_merchant(
        merchant.id, facts("91350203M0001QAY99"), status=MerchantStatus.ACTIVE, override_reason="核实无误"
    )
    assert not merchant.uscc_override and merchant.uscc_override_reason is None


def test_duplicate_uscc_and_unknown_reference_data() -> None:
    MerchantFactory(uscc="91350200776049653A")
    with pytest.raises(ValidationFailed, match="已在名录库"):
        services.register_merchant(facts("91350200776049653A"))
    with pytest.raises(ValidationFailed) as err:
        services.register_merchant(facts("913502000728319549", region_code="999999"))
    assert err.value.field == "region_code"
    with pytest.raises(ValidationFailed) as err:
        services.register_merchant(facts("913502000728319549", sector_code="casino"))
    assert err.value.field == "sector_code"


def test_update_unknown_merchant() -> None:
    with pytest.raises(NotFound):
        services.update_merchant(10**9, facts("913502000728319549"), status=MerchantStatus.CLOSED)


def test_inspector_directory_entry_comes_with_an_account() -> None:
    inspector = inspection_services.add_inspector(
        inspection_services.InspectorFacts(
            name="王执法",
            badge_number="jl-0001",
            region_code="440305",
            specialties=["衡器", " 衡器", "", "加油机"],
        ),
        username="wangzf",
        password="Secret123",
    )
    assert inspector.badge_number == "JL-0001"
    assert inspector.specialties == ["加油机", "衡器"]
    assert inspector.user.status is AccountStatus.ACTIVE
    inspection_services.set_inspector_active(inspector.id, active=False)
    assert inspector.user.status is AccountStatus.DISABLED
    with pytest.raises(ValidationFailed, match="执法证号已存在"):
        inspection_services.add_inspector(
            inspection_services.InspectorFacts(name="李", badge_number="JL-0001", region_code="440305", specialties=[]),
            username="li",
            password="Secret123",
        )


def type_facts(**changes: object) -> instrument_services.TypeFacts:
    base: dict[str, object] = {
        "code": "grain_moisture",
        "name": "粮食水分测定仪",
        "category": "物理化学",
        "mode": VerificationMode.V,
        "cycle_kind": CycleKind.PERIODIC,
        "cycle_months": 12,
        "service_life_months": None,
        "regulation": None,
        "note": None,
        "active": True,
    }
    base.update(changes)
    return instrument_services.TypeFacts(**base)  # type: ignore[arg-type]


def test_instrument_type_catalogue_is_editable_data() -> None:
    seeded = db.session.scalar(sa.select(InstrumentType).where(InstrumentType.code == "price_scale"))
    assert seeded is not None and seeded.cycle_months == 12 and seeded.mandatory
    added = instrument_services.save_instrument_type(None, type_facts())
    changed = instrument_services.save_instrument_type(added.id, type_facts(cycle_months=6, name="水分仪"))
    assert changed.id == added.id and changed.cycle_months == 6


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cycle_months": None}, "cycle_months"),
        ({"cycle_kind": CycleKind.FIXED_LIFE, "cycle_months": None}, "service_life_months"),
        ({"mode": VerificationMode.P}, "cycle_kind"),
        ({"code": "price_scale"}, "code"),
    ],
)
def test_instrument_type_rules(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        instrument_services.save_instrument_type(None, type_facts(**changes))
    assert err.value.field == field


def test_instrument_states_drive_attention_and_overdue_count() -> None:
    from datetime import date

    from honestmeter import clock

    merchant = MerchantFactory()
    InstrumentFactory(merchant=merchant, next_due_on=date(2026, 11, 1))  # overdue
    InstrumentFactory(merchant=merchant, next_due_on=date(2026, 12, 10))  # due within 30 days
    InstrumentFactory(merchant=merchant, last_verified_on=None, next_due_on=None)  # never verified
    InstrumentFactory(merchant=merchant, next_due_on=date(2027, 6, 1))  # fine
    InstrumentFactory(merchant=merchant, next_due_on=date(2025, 1, 1), status=InstrumentStatus.RETIRED)
    with clock.frozen(clock.utcnow().replace(year=2026, month=11, day=23, hour=4)):
        states = sorted(s for _, s in instrument_queries.needing_attention(merchant.id))
        assert states == ["due_soon", "overdue", "unverified"]
        assert instrument_queries.overdue_count() >= 1
