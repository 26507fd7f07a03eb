"""Anchoring on the in-process eth-tester chain: job, idempotency, back-off, mismatch alarms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ledger import anchoring, audit, bundle, services
from honestmeter.ledger.chain import ChainUnavailable
from honestmeter.ledger.models import LedgerAnchor


def add(n: int) -> None:
    services.append_many([services.Record("test", f"{services.tree_size()}-{i}", {"i": i}) for i in range(n)])
    db.session.commit()


def test_nothing_to_do_on_an_empty_log() -> None:
    assert anchoring.anchor_pending() == "empty"


def test_anchor_then_up_to_date_then_anchor_again() -> None:
    add(10)
    assert anchoring.anchor_pending() == "anchored"
    first = services.latest_anchor()
    assert first is not None and first.tree_size == 10 and first.gas_used > 0
    state = anchoring.chain_state()
    assert anchoring.client().root_at(state.contract, 10) == services.root_at(10)
    assert anchoring.anchor_pending() == "up-to-date"
    add(5)
    assert anchoring.anchor_pending() == "anchored"
    assert services.latest_anchor().tree_size == 15  # type: ignore[union-attr]
    assert services.pending_leaves() == 0


def test_anchored_bundle_verifies_offline_and_against_the_chain() -> None:
    add(7)
    anchoring.anchor_pending()
    entry = services.entry_at(4)
    data = services.bundle_json(entry)
    chain = anchoring.client()
    assert bundle.verify(data, rpc_root_at=lambda _cid, contract, size: chain.root_at(contract, size)) == []
    tampered = {**data, "tree_size": data["tree_size"] - 1}
    assert bundle.verify(tampered)


def test_node_down_backs_off_and_loses_nothing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    add(3)

    def down() -> object:
        raise ChainUnavailable("connection refused")

    monkeypatch.setattr(anchoring, "client", down)
    now = clock.utcnow()
    with clock.frozen(now):
        assert anchoring.anchor_pending() == "node-unavailable"
        assert anchoring.anchor_pending() == "backing-off"
    state = anchoring.chain_state()
    assert state.failures == 1 and "refused" in (state.last_error or "")
    with clock.frozen(now + timedelta(seconds=3)):
        assert anchoring.anchor_pending() == "node-unavailable"
    assert anchoring.chain_state().failures == 2
    add(2)  # writes carry on while the node is down
    monkeypatch.undo()
    with clock.frozen(now + timedelta(minutes=11)):
        assert anchoring.anchor_pending() == "anchored"
    assert services.latest_anchor().tree_size == 5  # type: ignore[union-attr]
    assert anchoring.chain_state().failures == 0


def test_a_chain_that_lost_our_contract_raises_the_alarm() -> None:
    add(2)
    anchoring.anchor_pending()
    state = anchoring.chain_state()
    state.contract = "0x" + "11" * 20  # as if pointed at a reset chain: no code at the address
    db.session.commit()
    add(1)
    with pytest.raises(anchoring.ChainMismatch):
        anchoring.anchor_pending()
    assert "不存在" in (anchoring.chain_state().alarm or "")
    assert any("不存在" in p for p in audit.check_chain())


def test_a_different_root_on_chain_is_caught_by_the_audit() -> None:
    add(4)
    anchoring.anchor_pending()
    anchor = services.latest_anchor()
    assert anchor is not None
    anchor.root_hash = b"\x42" * 32
    db.session.commit()
    assert any("根哈希与数据库不符" in p for p in audit.check_chain())


def test_a_tree_size_another_anchorer_recorded_meanwhile_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # No transaction is held across the chain call: the scheduler and `ledger anchor` by hand can both anchor the
    # same signed head. The second to write its row must not fail (a duplicate key once failed a CI run).
    add(4)
    real_client = anchoring.client

    class Racing:
        def __init__(self) -> None:
            self.chain = real_client()

        def __getattr__(self, name: str) -> object:
            return getattr(self.chain, name)

        def anchor(self, contract: str, tree_size: int, root_hash: bytes) -> object:
            receipt = self.chain.anchor(contract, tree_size, root_hash)
            # The other anchorer records the same head first (its own commit).
            db.session.add(
                LedgerAnchor(
                    tree_size=tree_size,
                    root_hash=root_hash,
                    chain_id=self.chain.chain_id(),
                    contract=contract,
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    block_time=receipt.block_time,
                    gas_used=receipt.gas_used,
                    anchored_at=clock.utcnow(),
                )
            )
            db.session.commit()
            return receipt

    assert anchoring.anchor_pending() == "anchored"  # deploys the contract first
    add(3)
    monkeypatch.setattr(anchoring, "client", Racing)
    assert anchoring.anchor_pending() == "up-to-date"
    assert services.latest_anchor().tree_size == 7  # type: ignore[union-attr]
    assert services.pending_leaves() == 0
