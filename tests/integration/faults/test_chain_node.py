"""Fault: the chain node is killed, twice, during a burst of business writes while the anchoring job runs.

This extends tests/integration/ledger/test_faults.py (one kill, leaves appended by the test itself, the node
restarted by hand): here the writes come from another process through a business service, the node is the embedded
default's anvil supervised by the app (the anchoring job itself restarts it from var/chain/), and it dies once with
an anchor transaction in flight and once between two anchors. Afterwards: no leaf lost, every leaf anchored, no tree
size anchored twice, and `ledger audit` passes (log, rows, chain).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web3.eth import Eth

from honestmeter.extensions import db
from honestmeter.ledger import anchoring, services
from honestmeter.ledger.anvil import AnvilNode
from honestmeter.ledger.models import LedgerAnchor
from tests.conftest import ANVIL, free_port
from tests.integration.faults.helpers import (
    Progress,
    anchored_events,
    assert_all_anchored,
    assert_nothing_lost,
    contract_of,
    crash,
    deployment,
    fork,
    join,
    wait_saved,
    write_merchants,
)

pytestmark = pytest.mark.skipif(ANVIL is None, reason="node_modules/.bin/anvil missing: run `make install`")


@pytest.fixture
def supervised(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This test's embedded node: the app starts it on first use; stopped at the end."""
    monkeypatch.setattr(anchoring, "_anvil", None)
    yield
    if anchoring._anvil is not None:
        anchoring._anvil.stop()


def test_node_killed_twice_during_a_burst_of_writes_loses_nothing(
    own_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, supervised: None
) -> None:
    port = free_port()
    with deployment(own_database, tmp_path / "var", LEDGER_CHAIN="embedded", LEDGER_ANVIL_PORT=port) as deployed:
        progress = Progress(tmp_path / "writer.log")
        writer = fork(write_merchants, deployed, "chain", progress.path)

        progress.wait(20, writer)
        assert deployed.anchor() == "anchored"  # the first run starts the embedded node
        node = anchoring._anvil
        assert isinstance(node, AnvilNode) and node.alive()
        pids = [node.pid]

        # 1. Killed with an anchor transaction in flight: sent and mined, the receipt not yet read. The node
        #    saved the block before it died, so the chain holds an anchor the database never recorded.
        progress.more(20, writer)
        read_receipt = Eth.wait_for_transaction_receipt

        def die_before_the_receipt(self: Eth, tx_hash: Any, *args: Any, **kwargs: Any) -> Any:
            wait_saved(node, self.get_transaction_receipt(tx_hash)["blockNumber"])
            crash(node)
            return read_receipt(self, tx_hash, *args, **kwargs)

        with monkeypatch.context() as patch:
            patch.setattr(Eth, "wait_for_transaction_receipt", die_before_the_receipt)
            assert deployed.anchor() == "node-unavailable"
        with deployed.context():
            failed_at = services.tree_size()
            anchored = services.latest_anchor()
            assert anchored is not None and anchored.tree_size < failed_at
        progress.more(20, writer)  # business writes go on while the node is down
        deployed.anchor_until("anchored")  # backs off, then restarts the node and anchors
        assert node.alive() and node.pid not in pids
        pids.append(node.pid)
        with deployed.context():
            anchored = services.latest_anchor()
            assert anchored is not None and anchored.tree_size > failed_at
            block = anchored.block_number

        # 2. Killed between anchors, once its periodic dump has saved the newest one. Writes go on; the next run
        #    of the job restarts the node from var/chain/ and anchors them.
        wait_saved(node, block)
        crash(node)
        progress.more(20, writer)
        assert deployed.anchor_until("anchored")[-1] == "anchored"
        assert node.alive() and node.pid not in pids

        progress.more(20, writer)
        progress.stop()
        assert join(writer) == 0
        deployed.anchor_until("anchored", "up-to-date")

        assert progress.count("ok") == progress.committed() and not progress.errors()
        assert_nothing_lost(deployed, progress.expected_codes("chain"))
        size = assert_all_anchored(deployed)
        events = anchored_events(node.url, contract_of(deployed))
        assert max(events) == size
        assert set(events.values()) == {1}  # no tree size anchored twice
        with deployed.context():
            recorded = set(db.session.scalars(sa.select(LedgerAnchor.tree_size)))
        # The anchor mined just before the first crash is on the chain, though the database never recorded it;
        # every recorded one is there.
        assert recorded < set(events) and len(set(events) - recorded) == 1


def test_node_killed_the_moment_an_anchor_is_recorded_keeps_anchoring(
    own_database: str, tmp_path: Path, supervised: None
) -> None:
    """The embedded anvil saves its chain once a second. An anchor is recorded only once the node has saved its
    block, so a crash right after the job says "anchored" cannot leave the database ahead of the restarted
    chain (which raised the chain alarm and stopped anchoring for good)."""
    port = free_port()
    with deployment(own_database, tmp_path / "var", LEDGER_CHAIN="embedded", LEDGER_ANVIL_PORT=port) as deployed:
        for round_ in range(3):
            progress = Progress(tmp_path / f"writer{round_}.log")
            write_merchants(deployed, f"now{round_}", progress.path, count=5)
            assert deployed.anchor() == "anchored"
            node = anchoring._anvil
            assert node is not None
            crash(node)  # at once: no waiting for the node's next dump
            outcomes = deployed.anchor_until("anchored", "up-to-date")
            assert outcomes[-1] in {"anchored", "up-to-date"}
            with deployed.context():
                assert anchoring.chain_state().alarm is None
        size = assert_all_anchored(deployed)
        assert max(anchored_events(anchoring._anvil.url, contract_of(deployed))) == size  # type: ignore[union-attr]
