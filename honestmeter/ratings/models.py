"""Credit grading and penalties (DESIGN §6, domain.md §4); credit repair's models are in honestmeter.repairs.

`CreditFact` is the bridge between events and the grade: every scored event (a published result's codes, a
listing, a penalty, a substantiated complaint) writes one row per rule it triggers, and ending it (follow-up
closed, delisted, repaired) sets `ended_on`. The nightly recompute is then one set-based query over this table plus
the current state of commitments and instruments, and a single merchant's grade is the pure core run on its rows.
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
    from honestmeter.merchants.models import Merchant

MONEY = sa.Numeric(14, 2)


class RuleTable(Base):
    """One version of the grading rules (`RuleSet.to_json()`); the highest version is in force. Never edited."""

    __tablename__ = "rule_tables"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class FactSource(enum.StrEnum):
    RESULT = "inspection_result"  # a published spot-check result (source_id: task id)
    LIST_ENTRY = "list_entry"
    PENALTY = "penalty"
    COMPLAINT = "complaint"


class CreditFact(Base):
    """One scored event for one rule. `ref` is the ledger record ("type/id") that proves it."""

    __tablename__ = "credit_facts"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", "rule", name="uq_credit_facts_source_rule"),
        sa.Index("ix_credit_facts_merchant_rule", "merchant_id", "rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    rule: Mapped[str] = mapped_column(sa.String(40))  # Rule.code
    happened_on: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(200))
    source: Mapped[FactSource]
    source_id: Mapped[int]
    ref: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime]


class GradeChange(Base):
    """Grade history: a row only when the grade or its score changed (and the first grade)."""

    __tablename__ = "grade_changes"
    __table_args__ = (sa.Index("ix_grade_changes_merchant_at", "merchant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    grade: Mapped[str] = mapped_column(sa.String(1))
    score: Mapped[int]
    previous_grade: Mapped[str | None] = mapped_column(sa.String(1))
    previous_score: Mapped[int | None]
    rule_version: Mapped[int]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # [{rule, label, points, refs, until}]
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # [{message, grade}]
    graded_on: Mapped[date] = mapped_column(index=True)
    at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(sa.String(80))  # e.g. "inspection_result/12", "nightly", "rules/v2"

    merchant: Mapped[Merchant] = relationship()


class PenaltyKind(enum.StrEnum):
    WARNING = "warning"  # 警告 / 通报批评: not published (domain.md §4.2 Art. 2)
    LOW_FINE = "low_fine"  # 通报批评 or 较低数额罚款: published 3 months (Art. 13)
    OTHER = "other"  # everything else: published 3 years


class Penalty(TimestampMixin, Base):
    """行政处罚信息摘要 (domain.md §4.2 Art. 4): 决定书文号, 违法行为类型, 处罚内容, 机关, 日期."""

    __tablename__ = "penalties"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    decision_no: Mapped[str] = mapped_column(sa.String(100), unique=True)
    violation_type: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.String(1000))
    fine_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    kind: Mapped[PenaltyKind]  # derived from content and amount by the service, stored for queries
    special_domain: Mapped[bool] = mapped_column(default=False)  # food / drug / special equipment: repair after 1 year
    authority: Mapped[str] = mapped_column(sa.String(100))
    decided_on: Mapped[date] = mapped_column(index=True)
    public_until: Mapped[date | None]  # first day it is no longer shown; None: never shown (warning)
    repaired_on: Mapped[date | None]
    source_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    merchant: Mapped[Merchant] = relationship(lazy="joined")
