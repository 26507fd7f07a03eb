"""信用修复 (domain.md §4.3): a merchant's application to repair one item of its credit record, and the decision."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant


class RepairTarget(enum.StrEnum):
    RESULT = "inspection_result"  # target_id: task id
    PENALTY = "penalty"
    LIST_ENTRY = "list_entry"  # early removal from 严重违法失信名单 / removal from 经营异常名录
    COMPLAINT = "complaint"


class RepairStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RepairRequest(TimestampMixin, Base):
    """信用修复申请 (domain.md §4.3): 守信承诺书 plus evidence; a regulator decides."""

    __tablename__ = "repair_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    target: Mapped[RepairTarget]
    target_id: Mapped[int]
    statement: Mapped[str] = mapped_column(sa.Text)  # what was corrected, in the merchant's words
    pledge: Mapped[str] = mapped_column(sa.Text)  # 守信承诺书 text as signed
    pledge_sha256: Mapped[str] = mapped_column(sa.String(64))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        sa.JSON, default=list
    )  # [{path, sha256, content_type, filename}]
    applied_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    applied_at: Mapped[datetime]
    status: Mapped[RepairStatus] = mapped_column(default=RepairStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(1000))

    merchant: Mapped[Merchant] = relationship(lazy="joined")
