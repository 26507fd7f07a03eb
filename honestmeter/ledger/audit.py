"""`honestmeter ledger audit`: does the database still match the log, and the log the chain?"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.ledger import anchoring, canonical, checkpoint, keys, merkle, services
from honestmeter.ledger.chain import ChainError
from honestmeter.ledger.models import LedgerAnchor, LedgerCheckpoint, LedgerEntry

BATCH = 10_000


def _entries() -> Iterator[sa.Row[Any]]:
    """All leaves in order, in batches of plain rows (no ORM identity map to grow)."""
    columns = (
        LedgerEntry.leaf_index,
        LedgerEntry.leaf_hash,
        LedgerEntry.canonical,
        LedgerEntry.record_type,
        LedgerEntry.record_id,
        LedgerEntry.version,
    )
    last = -1
    while True:
        rows = db.session.execute(
            sa.select(*columns).where(LedgerEntry.leaf_index > last).order_by(LedgerEntry.leaf_index).limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].leaf_index


def check_log() -> list[str]:
    """(a) Every stored leaf still hashes from its bytes, and the leaves still give every signed
    and anchored root; every checkpoint signature verifies under the log key."""
    problems: list[str] = []
    roots = {c.tree_size: ("签名树头", c.root_hash) for c in db.session.scalars(sa.select(LedgerCheckpoint))}
    anchors = {a.tree_size: a.root_hash for a in db.session.scalars(sa.select(LedgerAnchor))}
    verifier = keys.verifier_key()
    for signed in db.session.scalars(sa.select(LedgerCheckpoint)):
        try:
            head = checkpoint.open_checkpoint(signed.note, verifier)
        except checkpoint.CheckpointError as err:
            problems.append(f"树规模 {signed.tree_size} 的签名树头无法验证：{err}")
            continue
        if head.size != signed.tree_size or head.root != signed.root_hash:
            problems.append(f"树规模 {signed.tree_size} 的签名树头与数据库记录不符")
    frontier = merkle.Frontier(0, [])
    expected = 0
    for entry in _entries():
        if entry.leaf_index != expected:
            problems.append(f"叶子编号不连续：缺少第 {expected} 号")
            return problems
        if not hmac.compare_digest(merkle.leaf_hash(entry.canonical), entry.leaf_hash):
            problems.append(
                f"第 {entry.leaf_index} 号记录"
                f"（{entry.record_type} {entry.record_id} 第{entry.version}版）的内容已被改动"
            )
        frontier.append(entry.leaf_hash)
        expected += 1
        size = frontier.size
        if size in roots or size in anchors:
            root = frontier.root()
            if size in roots and roots[size][1] != root:
                problems.append(f"树规模 {size} 的签名树头根哈希与重新计算的不符")
            if size in anchors and anchors[size] != root:
                problems.append(f"树规模 {size} 的链上锚定根哈希与重新计算的不符")
    if expected != services.tree_size():
        problems.append(f"账本头记录的树规模 {services.tree_size()} 与实际叶子数 {expected} 不符")
    elif frontier.root() != services.current_root():
        problems.append("账本头记录的右边界与叶子不符")
    return problems


def check_rows() -> list[str]:
    """(b) Every business row with a public projection re-derives to its newest record's data."""
    problems: list[str] = []
    for record_type, project in services.projections().items():
        newest = (
            sa.select(LedgerEntry.record_id, sa.func.max(LedgerEntry.version).label("version"))
            .where(LedgerEntry.record_type == record_type)
            .group_by(LedgerEntry.record_id)
            .subquery()
        )
        stored = {
            rid: json.loads(raw)["data"]
            for rid, raw in db.session.execute(
                sa.select(LedgerEntry.record_id, LedgerEntry.canonical).join(
                    newest,
                    sa.and_(
                        LedgerEntry.record_type == record_type,
                        LedgerEntry.record_id == newest.c.record_id,
                        LedgerEntry.version == newest.c.version,
                    ),
                )
            )
        }
        for record_id, data in project():
            if record_id not in stored:
                problems.append(f"{record_type} {record_id}：业务数据没有对应的账本记录")
            elif canonical.canonical_bytes(dict(data)) != canonical.canonical_bytes(stored[record_id]):
                problems.append(f"{record_type} {record_id}：业务数据与最新账本记录不符（数据被绕过系统改动）")
    return problems


def check_chain() -> list[str]:
    """(c) The chain still holds every anchored root (a reset or foreign chain is caught)."""
    state = anchoring.chain_state()
    if state.contract is None:
        return []
    try:
        return anchoring.check_chain(anchoring.client(), state, all_anchors=True)
    except ChainError as err:
        return [f"无法连接区块链节点：{err}"]


def run() -> list[str]:
    return check_log() + check_rows() + check_chain()
