"""Inspection staff (执法检查人员名录库); plans, draws and findings join in later."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.auth.models import User
    from honestmeter.merchants.models import Region


class Inspector(TimestampMixin, Base):
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
