"""双随机、一公开: inspectors, recusals, the check-item list, plans, draws, tasks, findings, follow-up.

The directory of inspection objects is `merchants`; everything about checking them lives here.
Plans and the items a plan checks are editable data; a draw freezes its inputs in its announcement.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.auth.models import User
    from honestmeter.instruments.models import Instrument
    from honestmeter.merchants.models import Merchant, Region

HASH = sa.LargeBinary(32)
AMOUNT = sa.Numeric(14, 4)  # measured quantities: exact decimals, never floats


class Inspector(TimestampMixin, Base):
    """执法检查人员名录库. `badge_number` (执法证号) is the inspector's ID in draws."""

    __tablename__ = "inspectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    badge_number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 执法证号
    name: Mapped[str] = mapped_column(sa.String(100))
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    specialties: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()
    region: Mapped[Region] = relationship(lazy="joined")


class Decision(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RecusalSource(enum.StrEnum):
    INSPECTOR = "inspector"  # declared by the inspector (行政处罚法 Art. 43: shall recuse)
    MERCHANT = "merchant"  # applied for by the party
    ADMIN = "admin"  # entered by a regulator


class Recusal(TimestampMixin, Base):
    """A (merchant, inspector) pair that must never meet in a draw (回避), once approved."""

    __tablename__ = "recusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("inspectors.id"), index=True)
    source: Mapped[RecusalSource] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[Decision] = mapped_column(default=Decision.PENDING, index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))

    merchant: Mapped[Merchant] = relationship(lazy="joined")
    inspector: Mapped[Inspector] = relationship(lazy="joined")


class CheckForm(enum.StrEnum):
    """Which structured part of the on-site form an item uses."""

    GENERAL = "general"  # verdict and note
    INSTRUMENTS = "instruments"  # serial found, verification valid, measured error vs MPE
    NET_CONTENT = "net_content"  # prepackaged goods sampling (JJF 1070)


class CheckItem(TimestampMixin, Base):
    """One entry of the 随机抽查事项清单: nothing is checked without a listed item (国办发〔2015〕58号)."""

    __tablename__ = "check_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    basis: Mapped[str] = mapped_column(sa.String(300), default="")  # 检查依据
    key_item: Mapped[bool] = mapped_column(default=False)  # 重点检查事项 (no ratio cap) vs 一般
    form: Mapped[CheckForm] = mapped_column(default=CheckForm.GENERAL)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  # editable
    SCHEDULED = "scheduled"  # approved; the scheduler announces the draw at draw_at / draw_cron
    RUNNING = "running"  # at least one draw announced
    CLOSED = "closed"


class Plan(TimestampMixin, Base):
    """抽查计划: scope, items, ratios per grade, staffing rules and when to draw."""

    __tablename__ = "plans"
    __table_args__ = (sa.UniqueConstraint("year", "batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int]
    batch: Mapped[int]  # 批次 within the year
    authority: Mapped[str] = mapped_column(sa.String(100))  # 检查实施机关, shown with every result
    region_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # empty: whole jurisdiction
    sector_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # empty: every sector
    item_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # CheckItem.code
    ratios: Mapped[dict[str, str]] = mapped_column(sa.JSON)  # stratum → decimal string, e.g. {"A": "0.03"}
    per_case: Mapped[int] = mapped_column(default=2)  # inspectors per case, ≥ 2 (行政处罚法 Art. 42)
    capacity: Mapped[int] = mapped_column(default=20)  # cases per inspector per draw
    draw_at: Mapped[datetime | None]  # one draw at this time …
    draw_cron: Mapped[str | None] = mapped_column(sa.String(100))  # … or one per cron firing (crontab syntax)
    beacon: Mapped[str | None] = mapped_column(sa.String(300))  # external value named in advance; None: block hash
    check_by: Mapped[date | None]  # tasks should be done by this date
    publish_within_days: Mapped[int] = mapped_column(default=20)  # working days from completion
    status: Mapped[PlanStatus] = mapped_column(default=PlanStatus.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    draws: Mapped[list[Draw]] = relationship(back_populates="plan", order_by="Draw.sequence")


class DrawStatus(enum.StrEnum):
    ANNOUNCED = "announced"  # inputs frozen and published; waiting for the anchor and the beacon
    DRAWN = "drawn"  # revealed, result computed, tasks created


class Draw(Base):
    """One verifiable draw (DESIGN §5). The secret is kept here until the reveal; after the reveal the
    bundle {announcement, reveal, result} is public and anyone can recompute the result."""

    __tablename__ = "draws"
    __table_args__ = (sa.UniqueConstraint("plan_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    sequence: Mapped[int]  # 1, 2, … per plan (one per cron firing)
    status: Mapped[DrawStatus] = mapped_column(default=DrawStatus.ANNOUNCED, index=True)
    announcement: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    announcement_hash: Mapped[bytes] = mapped_column(HASH)
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    beacon: Mapped[str] = mapped_column(sa.String(300))  # what will be used, as announced
    beacon_value: Mapped[bytes | None] = mapped_column(sa.LargeBinary(256))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result_hash: Mapped[bytes | None] = mapped_column(HASH)
    announced_at: Mapped[datetime]
    announced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the scheduler
    revealed_at: Mapped[datetime | None]
    revealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    plan: Mapped[Plan] = relationship(back_populates="draws")


class TaskKind(enum.StrEnum):
    RANDOM = "random"  # 双随机抽查, from a draw
    DIRECTED = "directed"  # 定向检查 (e.g. 100 % of D-grade merchants)
    COMPLAINT = "complaint"  # 投诉举报核查
    REINSPECTION = "reinspection"  # 复查 after a 责令改正


class TaskStatus(enum.StrEnum):
    OPEN = "open"  # assigned, nothing recorded yet
    RECORDING = "recording"  # a finding is being recorded; confirmations pending
    COMPLETED = "completed"  # every assigned inspector confirmed the same revision; the clock for publishing runs
    PUBLISHED = "published"  # reviewed and published (一公开)
    CANCELLED = "cancelled"


class FollowUp(enum.StrEnum):
    NONE = "none"
    OPEN = "open"  # 09 发现问题待后续处理: open until closed
    CLOSED = "closed"


class Task(TimestampMixin, Base):
    """One merchant to check, by two or more inspectors. Random tasks come from a draw; directed ones
    (complaints, re-inspections, D-grade) are created by a regulator and labelled as such."""

    __tablename__ = "tasks"
    __table_args__ = (sa.UniqueConstraint("draw_id", "merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TaskKind] = mapped_column(index=True)
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draws.id"), index=True)
    stratum: Mapped[str | None] = mapped_column(sa.String(20))
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    parent_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))  # re-inspection of
    reason: Mapped[str | None] = mapped_column(sa.String(500))  # why a directed task exists
    authority: Mapped[str] = mapped_column(sa.String(100))  # 检查实施机关
    item_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    due_date: Mapped[date | None]
    status: Mapped[TaskStatus] = mapped_column(default=TaskStatus.OPEN, index=True)
    completed_at: Mapped[datetime | None]
    publish_deadline: Mapped[date | None] = mapped_column(index=True)  # working days after completion
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    follow_up: Mapped[FollowUp] = mapped_column(default=FollowUp.NONE, index=True)
    follow_up_note: Mapped[str | None] = mapped_column(sa.String(1000))
    follow_up_closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: a draw

    merchant: Mapped[Merchant] = relationship(lazy="joined")
    plan: Mapped[Plan | None] = relationship()
    draw: Mapped[Draw | None] = relationship()
    assignments: Mapped[list[TaskInspector]] = relationship(
        back_populates="task", order_by="TaskInspector.position", cascade="all, delete-orphan"
    )
    finding: Mapped[Finding | None] = relationship(back_populates="task", uselist=False)


class TaskInspector(Base):
    """An inspector on a task; position 0 is the lead (主检). A confirmation names the finding revision
    it confirms, so an edit after one inspector confirmed needs both confirmations again."""

    __tablename__ = "task_inspectors"

    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), primary_key=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("inspectors.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    confirmed_revision: Mapped[int | None]
    confirmed_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship(back_populates="assignments")
    inspector: Mapped[Inspector] = relationship(lazy="joined")


class Finding(TimestampMixin, Base):
    """What the inspectors found: per-item verdicts, measurements, the result codes (SAMR 01–14)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), unique=True)
    revision: Mapped[int] = mapped_column(default=1)  # bumped by every edit
    checked_on: Mapped[date]
    result_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    item_results: Mapped[dict[str, dict[str, str]]] = mapped_column(sa.JSON, default=dict)  # code → verdict, note
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    task: Mapped[Task] = relationship(back_populates="finding")
    instrument_checks: Mapped[list[InstrumentCheck]] = relationship(
        back_populates="finding", order_by="InstrumentCheck.id", cascade="all, delete-orphan"
    )
    samples: Mapped[list[NetContentSample]] = relationship(
        back_populates="finding", order_by="NetContentSample.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[EvidencePhoto]] = relationship(
        back_populates="finding", order_by="EvidencePhoto.id", cascade="all, delete-orphan"
    )


class InstrumentCheck(Base):
    """An instrument checked on site: found by serial, verification valid, measured error within MPE."""

    __tablename__ = "instrument_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    instrument_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instruments.id"))  # None: not in the ledger
    description: Mapped[str] = mapped_column(sa.String(200))
    serial_found: Mapped[bool]
    verification_valid: Mapped[bool]
    measured_error: Mapped[Decimal | None] = mapped_column(AMOUNT)
    mpe: Mapped[Decimal | None] = mapped_column(AMOUNT)  # maximum permissible error, same unit
    unit: Mapped[str] = mapped_column(sa.String(16), default="")
    passed: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    finding: Mapped[Finding] = relationship(back_populates="instrument_checks")
    instrument: Mapped[Instrument | None] = relationship()


class NetContentSample(Base):
    """Net-content sampling of one prepackaged product (JJF 1070): the verdict is computed, not typed."""

    __tablename__ = "net_content_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    product: Mapped[str] = mapped_column(sa.String(200))
    batch: Mapped[str] = mapped_column(sa.String(100), default="")
    nominal: Mapped[Decimal] = mapped_column(AMOUNT)  # Qn, labelled quantity
    unit: Mapped[str] = mapped_column(sa.String(8))  # g, mL, m, m2, count
    actuals: Mapped[list[str]] = mapped_column(sa.JSON)  # decimal strings, one per package
    allowed_t1: Mapped[int] = mapped_column(default=0)
    shortfall_limit: Mapped[Decimal] = mapped_column(AMOUNT)  # T
    average: Mapped[Decimal] = mapped_column(AMOUNT)
    passed: Mapped[bool]
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    finding: Mapped[Finding] = relationship(back_populates="samples")


class EvidencePhoto(Base):
    """A photo taken on site; the bytes live outside the web root under their SHA-256."""

    __tablename__ = "evidence_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    sha256: Mapped[bytes] = mapped_column(HASH)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    caption: Mapped[str] = mapped_column(sa.String(200), default="")
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]

    finding: Mapped[Finding] = relationship(back_populates="photos")


class OrderStatus(enum.StrEnum):
    OPEN = "open"  # within the deadline, waiting for the re-inspection
    CORRECTED = "corrected"  # re-inspection found it corrected
    NOT_CORRECTED = "not_corrected"  # re-inspection found it not corrected: escalates to a case


class RectificationOrder(TimestampMixin, Base):
    """责令改正通知书: what to correct, by when, and the re-inspection task that checks it."""

    __tablename__ = "rectification_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(50), unique=True)  # 文书编号
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    problems: Mapped[str] = mapped_column(sa.Text)
    requirements: Mapped[str] = mapped_column(sa.Text, default="")
    basis: Mapped[str] = mapped_column(sa.String(300), default="")  # 法律依据
    deadline: Mapped[date] = mapped_column(index=True)
    status: Mapped[OrderStatus] = mapped_column(default=OrderStatus.OPEN, index=True)
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reinspection_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    closed_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship(foreign_keys=[task_id])
    reinspection: Mapped[Task | None] = relationship(foreign_keys=[reinspection_task_id])
    merchant: Mapped[Merchant] = relationship()


class ReplyStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a regulator to vet it
    APPROVED = "approved"  # shown beside the result
    REJECTED = "rejected"  # not shown; the reason goes back to the merchant
    WITHDRAWN = "withdrawn"  # replaced by a newer reply from the merchant


class ResultReply(TimestampMixin, Base):
    """The merchant's right of reply (domain.md §6, FHRS "right to reply"): its comment on a published result,
    vetted by a regulator and then published beside it. Not a place to contest the finding (that is 行政复议)."""

    __tablename__ = "result_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime]
    status: Mapped[ReplyStatus] = mapped_column(default=ReplyStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))

    task: Mapped[Task] = relationship()
    merchant: Mapped[Merchant] = relationship()
