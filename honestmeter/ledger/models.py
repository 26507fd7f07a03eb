"""The ledger's tables: entries (leaves), stored perfect subtrees, head, checkpoints, anchors, chain."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from honestmeter.db import Base

HASH = sa.LargeBinary(32)


class LedgerEntry(Base):
    """One leaf: the canonical (RFC 8785) bytes of a published fact, numbered from 0 in commit order."""

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.UniqueConstraint("record_type", "record_id", "version"),)

    leaf_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(HASH, unique=True)
    record_type: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int]
    canonical: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # SHA-256 of a file the record vouches for (a PDF notice), so a dropped file finds its record.
    file_sha256: Mapped[bytes | None] = mapped_column(HASH, index=True)
    created_at: Mapped[datetime]


class LedgerNode(Base):
    """Root of the perfect subtree at `level` over leaves [index·2^level, (index+1)·2^level), level ≥ 1.

    Leaves (level 0) are the entries' own hashes. Storing only perfect subtrees keeps appends
    O(log n) and lets any proof be assembled from O(log n) rows fetched in one query.
    """

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(HASH)


class LedgerHead(Base):
    """The single row appenders lock: tree size and the right-edge frontier (compact range)."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    frontier: Mapped[bytes] = mapped_column(sa.LargeBinary)  # concatenated 32-byte hashes, largest subtree first
    updated_at: Mapped[datetime]


class LedgerCheckpoint(Base):
    """A signed tree head in C2SP tlog-checkpoint form."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(HASH)
    note: Mapped[str] = mapped_column(sa.Text)
    signed_at: Mapped[datetime]


class LedgerAnchor(Base):
    """A checkpoint's root written to the anchor contract, with the transaction that did it."""

    __tablename__ = "ledger_anchors"

    tree_size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(HASH)
    chain_id: Mapped[int] = mapped_column(sa.BigInteger)
    contract: Mapped[str] = mapped_column(sa.String(42))
    tx_hash: Mapped[str] = mapped_column(sa.String(66), unique=True)
    block_number: Mapped[int] = mapped_column(sa.BigInteger)
    block_time: Mapped[datetime]
    gas_used: Mapped[int]
    anchored_at: Mapped[datetime]


CHAIN_STATE_ID = 1  # ledger_chain holds one row


class LedgerChain(Base):
    """Which chain and contract this database anchors to; a database pointed elsewhere notices."""

    __tablename__ = "ledger_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chain_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    contract: Mapped[str | None] = mapped_column(sa.String(42))
    deployed_at: Mapped[datetime | None]
    # Anchoring back-off while the node is unreachable; the job skips runs until next_attempt_at.
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Set when the chain no longer holds what we anchored (reset or foreign chain): shown loudly.
    alarm: Mapped[str | None] = mapped_column(sa.Text)
