"""Honest-metering self-commitments (诚信计量承诺): versioned texts per sector and signatures."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from honestmeter.db import Base

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant, Sector


class CommitmentTemplate(Base):
    """One published version of a sector's commitment text. Published versions never change;
    a new version supersedes the old one (signatures keep pointing at the text they signed)."""

    __tablename__ = "commitment_templates"
    __table_args__ = (sa.UniqueConstraint("sector_code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sector_code: Mapped[str] = mapped_column(sa.ForeignKey("sectors.code"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(100))
    preamble: Mapped[str] = mapped_column(sa.Text)
    points: Mapped[list[str]] = mapped_column(sa.JSON)
    text_sha256: Mapped[str] = mapped_column(sa.String(64))  # of the canonical text (RFC 8785)
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None]

    sector: Mapped[Sector] = relationship(lazy="joined")


class CommitmentStatus(enum.StrEnum):
    ACTIVE = "active"
    RENEWED = "renewed"  # replaced by a renewal; the renewal carries on
    EXPIRED = "expired"
    REVOKED = "revoked"


class Commitment(Base):
    """A merchant's signature under one template version, valid for a fixed period."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("commitment_templates.id"))
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    signer_name: Mapped[str] = mapped_column(sa.String(100))
    signer_title: Mapped[str] = mapped_column(sa.String(100))
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: entered from paper
    signed_at: Mapped[datetime]
    signed_from: Mapped[str | None] = mapped_column(sa.String(64))  # client address
    valid_from: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)
    status: Mapped[CommitmentStatus] = mapped_column(default=CommitmentStatus.ACTIVE, index=True)
    renews_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commitments.id"))
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))

    template: Mapped[CommitmentTemplate] = relationship(lazy="joined")
    merchant: Mapped[Merchant] = relationship()
