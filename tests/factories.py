"""factory_boy factories for every model with a valid, unique USCC per merchant."""

from __future__ import annotations

import random
from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory

from honestmeter.auth import passwords
from honestmeter.auth.models import AccountStatus, Role, User
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector
from honestmeter.instruments.models import Instrument, InstrumentType
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from honestmeter.merchants.services import MerchantFacts

PASSWORD = "Passw0rd!"
_rng = random.Random(20261123)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 — the per-test session
        sqlalchemy_session_persistence = "flush"


class MerchantFactory(Base):
    class Meta:
        model = Merchant

    uscc = factory.LazyFunction(lambda: uscc.random_code(_rng, "440305"))
    name = factory.Sequence(lambda n: f"测试商行{n}号")
    sector_code = "retail"
    region_code = "440305"
    address = factory.Sequence(lambda n: f"深圳市南山区科技园{n}号")
    legal_representative = "张三"
    contact_phone = "0755-12345678"


class UserFactory(Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = factory.LazyFunction(lambda: passwords.hash_password(PASSWORD))
    role = Role.ADMIN
    status = AccountStatus.ACTIVE
    merchant = None

    class Params:
        merchant_user = factory.Trait(role=Role.MERCHANT, merchant=factory.SubFactory(MerchantFactory))


class InspectorFactory(Base):
    class Meta:
        model = Inspector

    user = factory.SubFactory(UserFactory, role=Role.INSPECTOR)
    badge_number = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"检查员{n}")
    region_code = "440305"
    specialties = factory.LazyFunction(lambda: ["衡器"])
    active = True


def instrument_type(code: str) -> InstrumentType:
    found = db.session.query(InstrumentType).filter_by(code=code).one()
    return found


class InstrumentFactory(Base):
    class Meta:
        model = Instrument

    merchant = factory.SubFactory(MerchantFactory)
    type = factory.LazyFunction(lambda: instrument_type("price_scale"))
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    last_verified_on = date(2026, 6, 1)
    first_verified_on = date(2026, 6, 1)
    next_due_on = date(2027, 6, 1)


def merchant_facts(**changes: str) -> MerchantFacts:
    """What a merchant registers with; valid unless a test changes a field."""
    base = {
        "uscc": "91330100716105852F",
        "name": "西湖眼镜店",
        "sector_code": "optical",
        "region_code": "330106",
        "address": "杭州市西湖区文三路1号",
        "legal_representative": "钱七",
    }
    return MerchantFacts(**{**base, **changes})
