"""The inspection-object directory (检查对象名录库): merchants and the reference data they use."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from honestmeter.db import Base, TimestampMixin
from honestmeter.merchants.initials import name_initials

if TYPE_CHECKING:
    from honestmeter.auth.models import User
    from honestmeter.instruments.models import Instrument


class MerchantStatus(enum.StrEnum):
    ACTIVE = "active"  # 在营
    SUSPENDED = "suspended"  # 停业
    CLOSED = "closed"  # 注销


class Sector(Base):
    """Business sector (行业), editable data: commitment texts and plan scopes hang off it."""

    __tablename__ = "sectors"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(80))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Region(Base):
    """Administrative division per GB/T 2260 (行政区划代码)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    level: Mapped[int]  # 1 province, 2 prefecture, 3 county

    @property
    def full_name(self) -> str:
        return self.name


class Merchant(TimestampMixin, Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    # Some real codes fail the GB 32100 checksum; a regulator may accept one, with a reason on file.
    uscc_override: Mapped[bool] = mapped_column(default=False)
    uscc_override_reason: Mapped[str | None] = mapped_column(sa.String(300))
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # Pinyin initials of the name (新洲超市 → xzcs) for search; kept in step with `name` by _name_set.
    name_initials: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    sector_code: Mapped[str] = mapped_column(sa.ForeignKey("sectors.code"), index=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    legal_representative: Mapped[str] = mapped_column(sa.String(100))
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[MerchantStatus] = mapped_column(default=MerchantStatus.ACTIVE)
    # 计量信用等级 A–D (DESIGN §6), kept by honestmeter.ratings; None until first rated. Draw strata follow it.
    grade: Mapped[str | None] = mapped_column(sa.String(1), index=True)
    score: Mapped[int | None]
    graded_on: Mapped[date | None]  # the day the current grade was set
    grade_rule_version: Mapped[int | None]

    sector: Mapped[Sector] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")
    users: Mapped[list[User]] = relationship(back_populates="merchant")
    instruments: Mapped[list[Instrument]] = relationship(back_populates="merchant")

    @validates("name")
    def _name_set(self, key: str, name: str) -> str:
        self.name_initials = name_initials(name)
        return name


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MerchantChangeRequest(TimestampMixin, Base):
    """A merchant's request to change registered facts; takes effect only when a regulator confirms."""

    __tablename__ = "merchant_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    changes: Mapped[dict[str, str]] = mapped_column(sa.JSON)  # field → requested value
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[ChangeStatus] = mapped_column(default=ChangeStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))

    merchant: Mapped[Merchant] = relationship()
