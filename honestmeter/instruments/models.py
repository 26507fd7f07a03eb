"""Measuring instruments (计量器具) and their editable type catalogue."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter import clock
from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant


class VerificationMode(enum.StrEnum):
    """Supervision mode in SAMR's 实施强制管理的计量器具目录 (2019 No. 48)."""

    P = "P"  # 型式批准 only
    V = "V"  # 强制检定 only
    PV = "P+V"


MANDATORY_MODES = (VerificationMode.V, VerificationMode.PV)  # under mandatory verification (强制检定)


class CycleKind(enum.StrEnum):
    PERIODIC = "periodic"  # 周期检定
    FIXED_LIFE = "fixed_life"  # 首次强制检定，限期使用，到期轮换
    FIRST_ONLY = "first_only"  # 只做首次强制检定，失准报废
    NONE = "none"  # not subject to mandatory verification


class InstrumentUse(enum.StrEnum):
    """The four legal purposes that make an instrument subject to mandatory verification."""

    TRADE = "trade"  # 贸易结算
    SAFETY = "safety"  # 安全防护
    MEDICAL = "medical"  # 医疗卫生
    ENVIRONMENT = "environment"  # 环境监测


class InstrumentStatus(enum.StrEnum):
    IN_USE = "in_use"
    RETIRED = "retired"


class VerificationResult(enum.StrEnum):
    PASS = "pass"  # noqa: S105 — not a password. 合格: the body issues a 检定证书
    FAIL = "fail"  # 不合格: the body issues a 检定结果通知书; the instrument must not be used


class InstrumentType(TimestampMixin, Base):
    """Catalogue row; cycles follow the JJG regulations and change with them, so they are data."""

    __tablename__ = "instrument_types"
    __table_args__ = (
        sa.CheckConstraint(
            "(cycle_kind != 'periodic' OR cycle_months > 0)"
            " AND (cycle_kind != 'fixed_life' OR service_life_months > 0)",
            name="cycle_has_length",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(50))
    mode: Mapped[VerificationMode]
    cycle_kind: Mapped[CycleKind]
    cycle_months: Mapped[int | None]
    service_life_months: Mapped[int | None]
    regulation: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def mandatory(self) -> bool:
        return self.mode in MANDATORY_MODES


class Instrument(TimestampMixin, Base):
    __tablename__ = "instruments"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "type_id", "serial_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_types.id"), index=True)
    serial_number: Mapped[str] = mapped_column(sa.String(64))
    maker: Mapped[str | None] = mapped_column(sa.String(100))
    model: Mapped[str | None] = mapped_column(sa.String(100))
    location: Mapped[str | None] = mapped_column(sa.String(200))
    use: Mapped[InstrumentUse] = mapped_column(default=InstrumentUse.TRADE)
    status: Mapped[InstrumentStatus] = mapped_column(default=InstrumentStatus.IN_USE)
    first_verified_on: Mapped[date | None]
    last_verified_on: Mapped[date | None]
    certificate_no: Mapped[str | None] = mapped_column(sa.String(64))
    # Derived from the type's cycle at each verification; stored so "overdue" is one indexed query.
    next_due_on: Mapped[date | None] = mapped_column(index=True)
    # first/last_verified_on, certificate_no and next_due_on describe the newest *passing* verification
    # (the certificate in force). When a later verification failed, its date is kept here until a
    # passing one follows: the instrument is then 检定不合格 whatever its due date says.
    failed_on: Mapped[date | None]

    merchant: Mapped[Merchant] = relationship(back_populates="instruments")
    type: Mapped[InstrumentType] = relationship(lazy="joined")
    verifications: Mapped[list[InstrumentVerification]] = relationship(
        back_populates="instrument",
        order_by="(InstrumentVerification.verified_on.desc(), InstrumentVerification.id.desc())",
    )


class InstrumentVerification(Base):
    """One verification by a legal metrology body (法定计量检定机构), as the merchant recorded it.

    History is kept for good: a row is never changed or deleted. A scan of the certificate (or of
    the failure notice) may be attached; it is stored under VAR_DIR by its SHA-256, never in the
    web root, and only the owning merchant and regulators can download it.
    """

    __tablename__ = "instrument_verifications"
    __table_args__ = (
        sa.CheckConstraint(
            "(scan_path IS NULL) = (scan_sha256 IS NULL)"
            " AND (scan_path IS NULL) = (scan_content_type IS NULL)"
            " AND (scan_path IS NULL) = (scan_filename IS NULL)",
            name="scan_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), index=True)
    verified_on: Mapped[date]
    verifying_body: Mapped[str] = mapped_column(sa.String(200))
    # 检定证书编号 when it passed, 检定结果通知书编号 when it failed.
    certificate_no: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[VerificationResult]
    scan_path: Mapped[str | None] = mapped_column(sa.String(200))  # relative to VAR_DIR
    scan_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # hex
    scan_content_type: Mapped[str | None] = mapped_column(sa.String(32))  # sniffed from the bytes
    scan_filename: Mapped[str | None] = mapped_column(sa.String(255))  # as uploaded, for the download name
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)

    instrument: Mapped[Instrument] = relationship(back_populates="verifications")
