"""Credit lists (domain.md §4): 经营异常名录 now; 严重违法失信名单 and 示范单位 join with grading."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant


class ListKind(enum.StrEnum):
    ABNORMAL = "abnormal"  # 经营异常名录


class EntryStatus(enum.StrEnum):
    PROPOSED = "proposed"  # suggested by a finding (10 无法联系); a regulator decides
    LISTED = "listed"
    REJECTED = "rejected"
    REMOVED = "removed"


class ListEntry(TimestampMixin, Base):
    """One listing, with the GSXT columns: 列入日期, 列入原因, 作出决定机关, 移出日期, 移出原因."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListKind] = mapped_column(index=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    status: Mapped[EntryStatus] = mapped_column(default=EntryStatus.PROPOSED, index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    authority: Mapped[str] = mapped_column(sa.String(100))
    source_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    proposed_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    listed_on: Mapped[date | None]
    removed_on: Mapped[date | None]
    removal_reason: Mapped[str | None] = mapped_column(sa.String(500))

    merchant: Mapped[Merchant] = relationship(lazy="joined")
