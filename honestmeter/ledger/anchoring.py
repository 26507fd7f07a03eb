"""Anchoring signed tree heads on an EVM chain: chain selection, the job, and chain checks.

Runs from the scheduler after business transactions have committed (outbox): a node that is down
delays anchoring with exponential back-off but never loses a leaf, because the leaves are already
in the database and the next successful run anchors the newest checkpoint covering all of them.
"""

from __future__ import annotations

import atexit
import logging
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import IntegrityError

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ledger import services
from honestmeter.ledger.anvil import AnvilNode, find_anvil, wait_saved
from honestmeter.ledger.chain import AnchorClient, ChainError, ChainUnavailable, Web3AnchorClient
from honestmeter.ledger.models import CHAIN_STATE_ID, LedgerAnchor, LedgerChain
from honestmeter.settings import settings

log = logging.getLogger(__name__)

STATE_ID = CHAIN_STATE_ID
MAX_BACKOFF = timedelta(minutes=10)
_tester: AnchorClient | None = None
_anvil: AnvilNode | None = None


class ChainMismatch(ChainError):
    """The chain no longer holds what this database anchored: reset, or a different chain."""


# ---------------------------------------------------------------- which chain


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5).close()
    except OSError:
        return False
    return True


def embedded_url() -> str:
    return f"http://127.0.0.1:{settings().LEDGER_ANVIL_PORT}"


def start_embedded_chain() -> str:
    """Start (or restart) the supervised anvil node of the embedded default; returns its URL.

    State lives in var/chain/ and is dumped every second (--state-interval 1), so a crash loses at
    most the last second, and anything lost is re-anchored from the database on the next run.
    """
    global _anvil  # noqa: PLW0603 — one supervised node per process
    url = embedded_url()
    if _anvil is not None and _anvil.alive():
        return url
    if _anvil is None and _port_open(url):
        return url  # another process of this deployment (serve or scheduler) supervises it
    binary = find_anvil(Path(current_app.root_path).parent)
    if binary is None:
        raise ChainUnavailable("未找到本地区块链节点 anvil，请先运行 make install")
    if _anvil is None:
        _anvil = AnvilNode(
            binary,
            Path(settings().VAR_DIR) / "chain",
            port=settings().LEDGER_ANVIL_PORT,
        )
        atexit.register(_anvil.stop)
    _anvil.ensure_running()
    return url


def client() -> AnchorClient:
    """The chain named by LEDGER_CHAIN: embedded (supervised anvil), http(s)://… or eth-tester."""
    global _tester  # noqa: PLW0603 — the in-process test chain lives as long as the process
    chain = settings().LEDGER_CHAIN
    if chain == "eth-tester":
        if _tester is None:
            _tester = Web3AnchorClient.eth_tester()
        return _tester
    if chain == "embedded":
        return Web3AnchorClient.connect(start_embedded_chain())
    if chain.startswith(("http://", "https://")):
        return Web3AnchorClient.connect(chain, private_key=settings().LEDGER_PRIVATE_KEY or None)
    raise ChainError(f"unknown LEDGER_CHAIN {chain!r}: use embedded, http(s)://… or eth-tester")


# ---------------------------------------------------------------- state and checks


def chain_state() -> LedgerChain:
    state = db.session.get(LedgerChain, STATE_ID)
    if state is None:
        state = LedgerChain(id=STATE_ID, failures=0)
        db.session.add(state)
        db.session.commit()
    return state


def check_chain(chain: AnchorClient, state: LedgerChain, *, all_anchors: bool = False) -> list[str]:
    """What is wrong between this database and the chain (empty list: consistent).

    Checks the chain id, that the contract code is still there, and that the chain still holds the
    newest anchored root (or every anchored root, for the audit).
    """
    if state.contract is None or state.chain_id is None:
        return []
    query = db.select(LedgerAnchor.tree_size, LedgerAnchor.root_hash).order_by(LedgerAnchor.tree_size.desc())
    anchors = [(size, root) for size, root in db.session.execute(query if all_anchors else query.limit(1))]
    contract, chain_id = state.contract, state.chain_id
    db.session.commit()  # the chain calls below take time: hold no transaction (on SQLite, the write lock) meanwhile
    return chain_problems(chain, contract, chain_id, anchors)


def chain_problems(chain: AnchorClient, contract: str, chain_id: int, anchors: list[tuple[int, bytes]]) -> list[str]:
    """check_chain's chain side: touches only the chain, never the database."""
    problems = []
    found = chain.chain_id()
    if found != chain_id:
        problems.append(f"链标识不符：数据库记录为 {chain_id}，当前节点为 {found}（连接到了其他链）")
        return problems
    if not chain.has_code(contract):
        problems.append(f"锚定合约 {contract} 在链上不存在（链可能已被重置）")
        return problems
    for tree_size, root_hash in anchors:
        on_chain = chain.root_at(contract, tree_size)
        if on_chain != root_hash:
            problems.append(
                f"链上树规模 {tree_size} 的根哈希与数据库不符（链上 {on_chain.hex()}，数据库 {root_hash.hex()}）"
            )
    return problems


# ---------------------------------------------------------------- the job


def _wait_until_durable(block_number: int) -> None:
    """The embedded anvil keeps its chain in memory and dumps it once a second: an anchor recorded before
    the dump holds its block would, after a crash, be in the database but not on the restarted chain (the
    chain alarm, and anchoring stops). So record it only once saved; if the dump does not come, this run
    fails, and the next one re-sends the same root (a no-op on the contract) and records it then. Nodes
    behind LEDGER_CHAIN=http… persist every block themselves."""
    if settings().LEDGER_CHAIN != "embedded":
        return
    state_file = Path(settings().VAR_DIR) / "chain" / "state.json"
    if not wait_saved(state_file, block_number):
        raise ChainUnavailable(f"the embedded chain node has not saved block {block_number} to {state_file}")


def anchor_pending() -> str:
    """Sign the newest tree head and anchor it if leaves are pending. Idempotent; returns what it did.

    Everything the chain needs is read first and the transaction ended before any chain call: a slow or
    hung node (up to the RPC timeout) must not hold a transaction open, which on SQLite is the write
    lock every business write waits for.
    """
    checkpoint = services.sign_checkpoint()
    if checkpoint is None:
        return "empty"
    latest = services.latest_anchor()
    if latest is not None and latest.tree_size >= checkpoint.tree_size:
        return "up-to-date"
    state = chain_state()
    now = clock.utcnow()
    if state.next_attempt_at is not None and state.next_attempt_at > now:
        return "backing-off"
    tree_size, root_hash = checkpoint.tree_size, checkpoint.root_hash
    contract, chain_id = state.contract, state.chain_id
    newest = [(latest.tree_size, latest.root_hash)] if latest is not None else []
    db.session.commit()
    try:
        chain = client()
        if contract is None or chain_id is None:
            contract, chain_id = chain.deploy(), chain.chain_id()
            _record_deployment(contract, chain_id)
        else:
            problems = chain_problems(chain, contract, chain_id, newest)
            if problems:
                alarm = "；".join(problems)
                chain_state().alarm = alarm
                db.session.commit()
                raise ChainMismatch(alarm)
        receipt = chain.anchor(contract, tree_size, root_hash)
        _wait_until_durable(receipt.block_number)
    except ChainUnavailable as err:
        db.session.rollback()
        state = chain_state()
        state.failures += 1
        state.next_attempt_at = now + min(timedelta(seconds=2**state.failures), MAX_BACKOFF)
        state.last_error = str(err)
        db.session.commit()
        log.warning("anchoring delayed (%s failures): %s", state.failures, err)
        return "node-unavailable"
    try:
        db.session.add(
            LedgerAnchor(
                tree_size=tree_size,
                root_hash=root_hash,
                chain_id=chain_id,
                contract=contract,
                tx_hash=receipt.tx_hash,
                block_number=receipt.block_number,
                block_time=receipt.block_time,
                gas_used=receipt.gas_used,
                anchored_at=now,
            )
        )
        state = chain_state()
        state.failures, state.next_attempt_at, state.last_error, state.alarm = 0, None, None, None
        db.session.commit()
    except IntegrityError:
        # No transaction is held across the chain call, so another anchorer (the scheduler, or `ledger anchor` by
        # hand) may have recorded this tree size meanwhile: the same signed head, so the same root; ours is a spare.
        db.session.rollback()
        found = services.anchor_for(tree_size)
        if found is None or found.root_hash != root_hash:
            raise
        db.session.commit()
        return "up-to-date"
    return "anchored"


def _record_deployment(contract: str, chain_id: int) -> None:
    state = chain_state()
    state.chain_id, state.contract, state.deployed_at = chain_id, contract, clock.utcnow()
    db.session.commit()
    log.info("deployed AnchorRegistry at %s on chain %s", contract, chain_id)
