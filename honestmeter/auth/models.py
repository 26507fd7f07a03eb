"""Accounts: users, their roles and the state of their approval."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base, TimestampMixin
from honestmeter.roles import Role

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # registered, waiting for a regulator's approval
    ACTIVE = "active"
    REJECTED = "rejected"
    DISABLED = "disabled"


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # A merchant account always speaks for exactly one merchant; staff accounts for none.
        sa.CheckConstraint("(role = 'merchant') = (merchant_id IS NOT NULL)", name="merchant_link_matches_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role]
    status: Mapped[AccountStatus] = mapped_column(default=AccountStatus.PENDING)
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    # Bumped on password change or forced logout: it is part of the session id, so old sessions die.
    session_epoch: Mapped[int] = mapped_column(default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))

    merchant: Mapped[Merchant | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.status is AccountStatus.ACTIVE

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in roles
