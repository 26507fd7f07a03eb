"""Credit lists (domain.md §3.4, §4): 经营异常名录, 严重违法失信名单 and 诚信计量示范单位."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant


class ListKind(enum.StrEnum):
    ABNORMAL = "abnormal"  # 经营异常名录
    SERIOUS = "serious"  # 严重违法失信名单
    MODEL_UNIT = "model_unit"  # 诚信计量示范单位 (a title, applied for by the merchant)


class EntryStatus(enum.StrEnum):
    PROPOSED = "proposed"  # suggested by a finding (10 无法联系) or applied for (示范单位); a regulator decides
    LISTED = "listed"
    REJECTED = "rejected"
    REMOVED = "removed"


class RemovalKind(enum.StrEnum):
    DECISION = "decision"  # 经营异常名录: defect cured, a regulator removes it
    REPAIR = "repair"  # credit repair approved (early removal from 严重违法失信名单)
    AUTOMATIC = "automatic"  # 严重违法失信名单 after 3 years
    EXPIRED = "expired"  # 示范单位 title past its validity
    REVOKED = "revoked"  # 示范单位 title withdrawn


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
    decision_no: Mapped[str | None] = mapped_column(sa.String(100))  # 决定书文号 (严重违法失信名单)
    valid_until: Mapped[date | None]  # 示范单位: last day of the title; 严重违法失信名单: automatic removal day
    removal_kind: Mapped[RemovalKind | None]
    removal_authority: Mapped[str | None] = mapped_column(sa.String(100))
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    application: Mapped[str | None] = mapped_column(sa.Text)  # 示范单位: the merchant's case for the title
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # [{path, sha256, …}]

    merchant: Mapped[Merchant] = relationship(lazy="joined")
