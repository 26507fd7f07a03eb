"""Issued notices: the exact PDF bytes (by SHA-256) rendered for a ledger fact."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from honestmeter.db import Base


class Notice(Base):
    """One issued document. Its bytes are kept on disk by hash, and a "notice" ledger record carries
    the hash, so a PDF dropped on /verify finds its record (DESIGN §4.1)."""

    __tablename__ = "notices"
    __table_args__ = (sa.UniqueConstraint("kind", "fact_leaf_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # commitment, sticker, …
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(100))  # e.g. "commitment/12"
    fact_leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))  # the fact the document reports
    sha256: Mapped[bytes] = mapped_column(sa.LargeBinary(32), index=True)
    size: Mapped[int]
    issued_at: Mapped[datetime]
