"""投诉举报 (DESIGN §1 "the public … file a complaint or report and follow it"; issue 7).

A complaint is filed by anyone, with or without contact details, and followed with its tracking code. Regulators
triage it: assign a handler (an inspector) who verifies it — by desk check or through a directed check of kind
COMPLAINT — and then decide: substantiated (属实, a credit fact and a public "complaint" ledger record) or
unsubstantiated (不属实), with reasons. The reporter's identity (contact fields, the address it came from) is never
public and never leaves the regulator's pages.
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
    from honestmeter.inspections.models import Inspector
    from honestmeter.merchants.models import Merchant


class ComplaintCategory(enum.StrEnum):
    SHORT_WEIGHT = "short_weight"  # 短斤少两
    CHEATING_DEVICE = "cheating_device"  # 作弊计量器具
    UNVERIFIED = "unverified"  # 未检定或超期使用
    LABELLING = "labelling"  # 明示不规范 (net content, price-per-unit marking)
    OTHER = "other"  # 其他


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"  # 已受理, waiting for a handler
    ASSIGNED = "assigned"  # 核查中
    SUBSTANTIATED = "substantiated"  # 属实
    UNSUBSTANTIATED = "unsubstantiated"  # 不属实


DECIDED = (ComplaintStatus.SUBSTANTIATED, ComplaintStatus.UNSUBSTANTIATED)


class Complaint(TimestampMixin, Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to the reporter once; look-ups compare its normalised form (no dashes, upper case).
    tracking_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    category: Mapped[ComplaintCategory] = mapped_column(index=True)
    # The merchant, when the reporter picked one or the regulator linked it; otherwise what the reporter wrote.
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    merchant_name: Mapped[str] = mapped_column(sa.String(200), default="")
    place: Mapped[str] = mapped_column(sa.String(300), default="")  # where it happened, in the reporter's words
    happened_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(sa.Text)
    photos: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # [{path, sha256, …}]
    # Private: only regulators see these, never the public, the merchant, the API or the ledger.
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    wants_reward: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    via_api: Mapped[bool] = mapped_column(default=False)

    status: Mapped[ComplaintStatus] = mapped_column(default=ComplaintStatus.RECEIVED, index=True)
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspectors.id"), index=True)
    assigned_at: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))  # the directed check, if one was opened
    verification: Mapped[str | None] = mapped_column(sa.Text)  # 核查情况, by the handler or a regulator
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_reasons: Mapped[str | None] = mapped_column(sa.Text)  # shown to the reporter; public if substantiated
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    authority: Mapped[str | None] = mapped_column(sa.String(200))  # the deciding authority, as published
    # 举报奖励, where local rules allow (config REPORT_REWARD_MAX > 0): only for a substantiated complaint whose
    # reporter asked for it and left a way to be reached.
    reward_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    reward_note: Mapped[str | None] = mapped_column(sa.String(500))
    reward_decided_at: Mapped[datetime | None]
    reward_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    merchant: Mapped[Merchant | None] = relationship(lazy="joined")
    handler: Mapped[Inspector | None] = relationship()
