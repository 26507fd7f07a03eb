"""Use cases of the ledger: append facts inside the caller's transaction, sign tree heads, prove.

The ledger knows no other domain. Domains hand it a record (type, id, public data) in the same
transaction as the business row, so the leaf commits with the row or not at all; the chain
transaction happens later, from a job (see anchoring.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask.sansio.app import App

from honestmeter import clock
from honestmeter.db import insert_plain
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import bundle, canonical, checkpoint, keys, merkle
from honestmeter.ledger.models import (
    LedgerAnchor,
    LedgerChain,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
)

HEAD_ID = 1
ENTRIES = cast(sa.Table, LedgerEntry.__table__)
NODES = cast(sa.Table, LedgerNode.__table__)


@dataclass(frozen=True)
class Record:
    """A fact to publish: what it is about and only what may be public."""

    type: str
    id: str
    data: Mapping[str, Any]
    file_sha256: bytes | None = None  # a PDF the record vouches for


# ---------------------------------------------------------------- appending


def _locked_head() -> LedgerHead:
    """Take the appenders' lock: leaves get numbers in commit order, with no gaps.

    On PostgreSQL the row lock (FOR UPDATE) is held until the caller commits, so a second writer
    waits and then sees the first one's leaves. SQLite transactions already hold the database's
    write lock from their start (BEGIN IMMEDIATE, see honestmeter.db).
    """
    head = db.session.scalar(
        sa.select(LedgerHead)
        .where(LedgerHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if head is None:  # created by the migration that made the table
        raise RuntimeError("ledger_head row missing: run `honestmeter db upgrade`")
    return head


def _next_versions(records: Sequence[Record]) -> dict[tuple[str, str], int]:
    keys_ = {(r.type, r.id) for r in records}
    found: dict[tuple[str, str], int] = {}
    ids_by_type: dict[str, set[str]] = {}
    for type_, id_ in keys_:
        ids_by_type.setdefault(type_, set()).add(id_)
    for type_, ids in ids_by_type.items():
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            rows = db.session.execute(
                sa.select(LedgerEntry.record_id, sa.func.max(LedgerEntry.version))
                .where(LedgerEntry.record_type == type_, LedgerEntry.record_id.in_(id_list[start : start + 500]))
                .group_by(LedgerEntry.record_id)
            )
            found.update({(type_, rid): v for rid, v in rows})
    return found


@dataclass(frozen=True)
class Appended:
    leaf_index: int
    leaf_hash: bytes
    version: int


APPENDED = "ledger_appended"  # a Session.info flag: this transaction appended leaves


def append_many(records: Sequence[Record], *, at: datetime | None = None) -> list[Appended]:
    """Append facts to the log inside the caller's transaction (the caller commits).

    Each record becomes version n+1 of its (type, id). O(log n) per leaf: only the new perfect
    subtree roots are written, never a rebuild.
    """
    if not records:
        return []
    at = at or clock.utcnow()
    head = _locked_head()
    versions = _next_versions(records)
    frontier = merkle.Frontier(head.size, [head.frontier[i : i + 32] for i in range(0, len(head.frontier), 32)])
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for record in records:
        key = (record.type, record.id)
        versions[key] = version = versions.get(key, 0) + 1
        data = canonical.record_bytes(record.type, record.id, version, at, record.data)
        leaf = merkle.leaf_hash(data)
        index = frontier.size
        for level, node_index, node in frontier.append(leaf):
            if level > 0:
                nodes.append({"level": level, "idx": node_index, "hash": node})
        entries.append(
            {
                "leaf_index": index,
                "leaf_hash": leaf,
                "record_type": record.type,
                "record_id": record.id,
                "version": version,
                "canonical": data,
                "file_sha256": record.file_sha256,
            }
        )
    # At hundreds of thousands of leaves SQLAlchemy's per-row processing costs more than the hashing.
    insert_plain(db.session, ENTRIES, entries, created_at=at)
    insert_plain(db.session, NODES, nodes)
    head.size = frontier.size
    head.frontier = b"".join(frontier.hashes)
    head.updated_at = at
    db.session.flush()
    db.session.info[APPENDED] = True  # readers that cache by tree size (public/page_cache.py) look after commit
    return [Appended(e["leaf_index"], e["leaf_hash"], e["version"]) for e in entries]


def append(record: Record, *, at: datetime | None = None) -> Appended:
    """Append one fact inside the caller's transaction."""
    return append_many([record], at=at)[0]


def publish(record: Record) -> Appended | None:
    """Append a new version of a fact unless its newest version already says the same."""
    newest = latest_record(record.type, record.id)
    if newest is not None and json.loads(newest.canonical)["data"] == json.loads(
        canonical.canonical_bytes(dict(record.data))
    ):
        return None
    return append(record)


# ---------------------------------------------------------------- reading


def tree_size() -> int:
    return int(db.session.scalar(sa.select(LedgerHead.size).where(LedgerHead.id == HEAD_ID)) or 0)


def current_root() -> bytes:
    head = db.session.get(LedgerHead, HEAD_ID)
    if head is None:
        return merkle.EMPTY_ROOT
    return merkle.Frontier(head.size, [head.frontier[i : i + 32] for i in range(0, len(head.frontier), 32)]).root()


def entry_at(leaf_index: int) -> LedgerEntry:
    entry = db.session.get(LedgerEntry, leaf_index)
    if entry is None:
        raise NotFound("账本中没有该记录")
    return entry


def entry_by_hash(leaf_hash: bytes) -> LedgerEntry:
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.leaf_hash == leaf_hash))
    if entry is None:
        raise NotFound("账本中没有该记录")
    return entry


def entry_by_file(sha256: bytes) -> LedgerEntry:
    entry = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.file_sha256 == sha256).order_by(LedgerEntry.leaf_index.desc())
    ).first()
    if entry is None:
        raise NotFound("账本中没有与该文件对应的记录")
    return entry


def latest_record(record_type: str, record_id: str) -> LedgerEntry | None:
    return db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.record_type == record_type, LedgerEntry.record_id == record_id)
        .order_by(LedgerEntry.version.desc())
    ).first()


def latest_leaf_hashes(record_type: str, ids: Sequence[str]) -> dict[str, str]:
    """record id → hex leaf hash of its newest version, for many ids of one type (the verify links of a page)."""
    newest: dict[str, tuple[int, bytes]] = {}
    id_list = sorted(set(ids))
    for start in range(0, len(id_list), 500):
        rows = db.session.execute(
            sa.select(LedgerEntry.record_id, LedgerEntry.version, LedgerEntry.leaf_hash).where(
                LedgerEntry.record_type == record_type, LedgerEntry.record_id.in_(id_list[start : start + 500])
            )
        )
        for record_id, version, leaf in rows:
            if record_id not in newest or version > newest[record_id][0]:
                newest[record_id] = (version, leaf)
    return {rid: leaf.hex() for rid, (_, leaf) in newest.items()}


def _getter(needed: set[tuple[int, int]]) -> merkle.NodeGetter:
    """Fetch exactly the nodes a proof needs, in two queries at most (leaves and inner nodes)."""
    found: dict[tuple[int, int], bytes] = {}
    leaves = [i for level, i in needed if level == 0]
    inner = [(level, i) for level, i in needed if level > 0]
    if leaves:
        rows = db.session.execute(
            sa.select(LedgerEntry.leaf_index, LedgerEntry.leaf_hash).where(LedgerEntry.leaf_index.in_(leaves))
        )
        found.update({(0, i): h for i, h in rows})
    if inner:
        # One (level = ? AND idx = ?) term per node: both SQLite and PostgreSQL answer it with primary-key
        # lookups, where a row-value IN list made SQLite scan the whole table (136 ms at 1 M leaves).
        rows = db.session.execute(
            sa.select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                sa.or_(*(sa.and_(LedgerNode.level == level, LedgerNode.index == i) for level, i in inner))
            )
        )
        found.update({(level, i): h for level, i, h in rows})
    return lambda level, index: found[(level, index)]


def inclusion_proof(leaf_index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(leaf_index, size, _getter(merkle.nodes_for_inclusion(leaf_index, size)))


def consistency_proof(first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(first, second, _getter(merkle.nodes_for_consistency(first, second)))


def root_at(size: int) -> bytes:
    """Root of the first `size` leaves (any historical size), from O(log n) stored nodes."""
    if size == 0:
        return merkle.EMPTY_ROOT
    needed = set(merkle.perfect_nodes(0, size))
    return merkle.subtree_root(0, size, _getter(needed))


# ---------------------------------------------------------------- checkpoints


def sign_checkpoint() -> LedgerCheckpoint | None:
    """Sign the current tree head unless it is already signed; None for an empty log."""
    head = db.session.get(LedgerHead, HEAD_ID)
    if head is None or head.size == 0:
        return None
    existing = db.session.get(LedgerCheckpoint, head.size)
    if existing is not None:
        return existing
    root = current_root()
    note = checkpoint.sign(checkpoint.Checkpoint(keys.origin(), head.size, root), keys.origin(), keys.signing_seed())
    row = LedgerCheckpoint(tree_size=head.size, root_hash=root, note=note, signed_at=clock.utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def latest_checkpoint() -> LedgerCheckpoint | None:
    return db.session.scalars(sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc())).first()


def latest_anchor() -> LedgerAnchor | None:
    return db.session.scalars(sa.select(LedgerAnchor).order_by(LedgerAnchor.tree_size.desc())).first()


def anchor_for(size: int) -> LedgerAnchor | None:
    return db.session.get(LedgerAnchor, size)


def ledger_status() -> dict[str, Any]:
    """For dashboards: size, anchored size, leaves waiting, and any chain alarm or anchoring error."""
    anchored = latest_anchor()
    state = db.session.get(LedgerChain, 1)
    return {
        "size": tree_size(),
        "anchored": anchored.tree_size if anchored else 0,
        "anchored_at": anchored.anchored_at if anchored else None,
        "pending": pending_leaves(),
        "alarm": state.alarm if state else None,
        "error": state.last_error if state else None,
        "chain_id": state.chain_id if state else None,
        "contract": state.contract if state else None,
    }


def pending_leaves() -> int:
    anchored = latest_anchor()
    return tree_size() - (anchored.tree_size if anchored else 0)


# ---------------------------------------------------------------- public projections (audit input)

Projection = Callable[[], Iterable[tuple[str, Mapping[str, Any]]]]
PROJECTIONS_EXTENSION = "honestmeter.projections"


class ProjectionRegistry:
    """How to re-derive the public data of each record type from the business rows, in registration order.

    `ledger audit` compares that data with the newest record of each id: a row changed behind the
    application's back (without a new record) no longer matches. One registry per app, in `app.extensions`,
    filled by each domain's init_app from its records module.
    """

    def __init__(self) -> None:
        self._projections: dict[str, Projection] = {}

    def register(self, record_type: str, project: Projection) -> None:
        self._projections[record_type] = project

    def register_all(self, projections: Mapping[str, Projection]) -> None:
        for record_type, project in projections.items():
            self.register(record_type, project)

    def all(self) -> dict[str, Projection]:
        return dict(self._projections)


def projection_registry(app: App | None = None) -> ProjectionRegistry:
    """The app's registry (the current app's by default), made on first use."""
    extensions = (app if app is not None else current_app).extensions
    registry: ProjectionRegistry = extensions.setdefault(PROJECTIONS_EXTENSION, ProjectionRegistry())
    return registry


def register_projection(app: App, record_type: str, project: Projection) -> None:
    """One record type's projection (for records modules that expose no PROJECTIONS mapping)."""
    projection_registry(app).register(record_type, project)


def projections() -> dict[str, Projection]:
    """The current app's projections: what `ledger audit` checks."""
    return projection_registry().all()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------- API payloads


def anchor_json(anchor: LedgerAnchor | None) -> dict[str, Any] | None:
    if anchor is None:
        return None
    return {
        "tree_size": anchor.tree_size,
        "root_hash": anchor.root_hash.hex(),
        "chain_id": anchor.chain_id,
        "contract": anchor.contract,
        "tx_hash": anchor.tx_hash,
        "block_number": anchor.block_number,
        "block_time": anchor.block_time.isoformat().replace("+00:00", "Z"),
    }


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "leaf_index": entry.leaf_index,
        "leaf_hash": entry.leaf_hash.hex(),
        "record": json.loads(entry.canonical),
        "canonical_b64": base64.b64encode(entry.canonical).decode(),
    }


def proof_size_for(entry: LedgerEntry, requested: int | None) -> int:
    """The tree size a proof is made against: as asked, else the newest anchored one covering the leaf,
    else the newest signed checkpoint (the bundle then says it is not anchored yet)."""
    size = tree_size()
    if requested is not None:
        if not entry.leaf_index < requested <= size:
            raise ValidationFailed(f"树规模须大于 {entry.leaf_index} 且不超过 {size}", field="tree_size")
        return requested
    anchored = latest_anchor()
    if anchored is not None and anchored.tree_size > entry.leaf_index:
        return anchored.tree_size
    signed = latest_checkpoint()
    if signed is not None and signed.tree_size > entry.leaf_index:
        return signed.tree_size
    raise NotFound("该记录尚未纳入已签名的树头，请稍后再试")


def proof_json(entry: LedgerEntry, size: int) -> dict[str, Any]:
    return {
        "leaf_index": entry.leaf_index,
        "tree_size": size,
        "leaf_hash": entry.leaf_hash.hex(),
        "audit_path": [h.hex() for h in inclusion_proof(entry.leaf_index, size)],
        "root_hash": root_at(size).hex(),
        "anchored": anchor_json(anchor_for(size)),
    }


def bundle_json(entry: LedgerEntry) -> dict[str, Any]:
    """Everything needed to verify one record with no call back to this server."""
    size = proof_size_for(entry, None)
    signed = db.session.get(LedgerCheckpoint, size)
    return {
        "format": bundle.FORMAT,
        **entry_json(entry),
        **{k: v for k, v in proof_json(entry, size).items() if k != "anchored"},
        "checkpoint": signed.note if signed else None,
        "log_key": keys.verifier_key(),
        "anchor": anchor_json(anchor_for(size)),
    }
