"""Reminders shown in the merchant portal and sent by mail, each at most once per due date."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from honestmeter.db import Base


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (sa.UniqueConstraint("kind", "subject_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # instrument_due, commitment_expiring
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    due_on: Mapped[date]
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime]
    mailed_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(sa.String(500))
