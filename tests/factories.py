"""factory_boy factories for every model with a valid, unique USCC per merchant."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from honestmeter.auth import passwords
from honestmeter.auth.models import AccountStatus, User
from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.extensions import db
from honestmeter.inspections.models import (
    Finding,
    Inspector,
    Plan,
    PlanStatus,
    Task,
    TaskInspector,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.plans import services as plans
from honestmeter.inspections.results import followup
from honestmeter.instruments.models import Instrument, InstrumentType
from honestmeter.ledger import services as ledger
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from honestmeter.merchants.services import MerchantFacts
from honestmeter.repairs.models import RepairRequest, RepairStatus, RepairTarget
from honestmeter.roles import Role

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


class PlanFactory(Base):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"2026年第{n + 1}批计量双随机抽查")
    year = 2026
    batch = factory.Sequence(lambda n: n + 1)
    authority = "深圳市南山区市场监督管理局"
    region_codes = factory.LazyFunction(list)
    sector_codes = factory.LazyFunction(list)
    item_codes = factory.LazyFunction(lambda: ["JL-01", "JL-04"])
    ratios = factory.LazyFunction(lambda: dict(plans.DEFAULT_RATIOS))
    per_case = 2
    capacity = 20
    status = PlanStatus.DRAFT


class TaskFactory(Base):
    """A directed task with two inspectors; pass `inspectors=[...]` to choose them."""

    class Meta:
        model = Task

    kind = TaskKind.DIRECTED
    merchant = factory.SubFactory(MerchantFactory)
    reason = "测试定向检查"
    authority = "深圳市南山区市场监督管理局"
    item_codes = factory.LazyFunction(lambda: ["JL-01", "JL-04"])
    status = TaskStatus.OPEN

    @factory.post_generation
    def inspectors(self, create: bool, extracted: list[Inspector] | None, **kwargs: object) -> None:
        for position, inspector in enumerate(extracted or [InspectorFactory(), InspectorFactory()]):
            self.assignments.append(TaskInspector(inspector=inspector, position=position))
        db.session.flush()


class FindingFactory(Base):
    class Meta:
        model = Finding

    task = factory.SubFactory(TaskFactory, status=TaskStatus.RECORDING)
    checked_on = date(2026, 11, 20)
    result_codes = factory.LazyFunction(lambda: ["01"])
    item_results = factory.LazyFunction(dict)
    notes = ""
    recorded_by_id = factory.LazyAttribute(lambda f: f.task.assignments[0].inspector.user_id)


def complete(task: Task, *, at: datetime | None = None) -> Task:
    """Mark a task as confirmed by all its inspectors (for tests of what comes after)."""
    when = at or datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    for a in task.assignments:
        a.confirmed_revision = task.finding.revision if task.finding else 1
        a.confirmed_at = when
    task.status = TaskStatus.COMPLETED
    task.completed_at = when
    db.session.flush()
    return task


def completed(codes: Sequence[str] = ("01",), *, at: datetime | None = None, **task: object) -> Task:
    """A task whose finding carries `codes`, confirmed by every inspector, with follow-up run as on completion."""
    finding = FindingFactory(result_codes=list(codes), **{f"task__{k}": v for k, v in task.items()})
    complete(finding.task, at=at)
    followup.on_completed(finding.task)
    return finding.task


def newest_data(record_type: str, record_id: str) -> dict[str, object]:
    """The public data of a fact's newest ledger record."""
    entry = ledger.latest_record(record_type, record_id)
    assert entry is not None
    return json.loads(entry.canonical)["data"]  # type: ignore[no-any-return]


def published(codes: Sequence[str] = ("01",), *, checked_on: date | None = None, **task: object) -> Task:
    """`completed(codes, **task)`, checked on `checked_on` when given, then published by a regulator."""
    from honestmeter.inspections.results import publication

    done = completed(codes, **task)
    if checked_on is not None and done.finding is not None:
        done.finding.checked_on = checked_on
    publication.publish(done, UserFactory())
    return done


def approved_result_repair(task: Task, user: User, at: datetime) -> RepairRequest:
    """An approved credit repair of a published result, with its ledger record (the rows only: the repair rules
    have their own tests)."""
    from honestmeter.repairs import services as repairs

    repair = RepairRequest(
        merchant_id=task.merchant_id,
        target=RepairTarget.RESULT,
        target_id=task.id,
        statement="已改正",
        pledge="守信承诺书",
        pledge_sha256="0" * 64,
        applied_by_id=user.id,
        applied_at=at,
        status=RepairStatus.APPROVED,
        decided_at=at,
    )
    db.session.add(repair)
    db.session.flush()
    ledger.publish(repairs.repair_record(repair))
    return repair


def signed_commitment(
    merchant: Merchant,
    valid_until: date,
    *,
    signed_at: datetime,
    status: CommitmentStatus = CommitmentStatus.ACTIVE,
    signer: tuple[str, str] = ("张三", "店主"),
) -> Commitment:
    """A commitment to the sector's current default text, valid for the 365 days up to `valid_until` (rows only)."""
    from honestmeter.commitments import services as commitment_services

    commitment_services.seed_default_templates()
    template = commitment_services.current_template(merchant.sector_code)
    assert template is not None
    row = Commitment(
        merchant_id=merchant.id,
        template_id=template.id,
        text_sha256=template.text_sha256,
        signer_name=signer[0],
        signer_title=signer[1],
        signed_at=signed_at,
        valid_from=valid_until - timedelta(days=364),
        valid_until=valid_until,
        status=status,
    )
    db.session.add(row)
    db.session.flush()
    return row
