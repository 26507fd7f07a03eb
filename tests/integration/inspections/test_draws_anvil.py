"""The block-hash beacon on a real anvil node: the anchor's block, and a clear error while the node is away."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from web3 import Web3

from honestmeter.extensions import db
from honestmeter.inspections import draw, draws
from honestmeter.inspections.models import DrawStatus, PlanStatus
from honestmeter.ledger import anchoring
from honestmeter.ledger.anvil import AnvilNode, find_anvil
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory

REPO = Path(__file__).resolve().parents[3]
ANVIL = find_anvil(REPO)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def anvil_chain(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnvilNode]:
    if ANVIL is None:
        pytest.skip("node_modules/.bin/anvil missing: run `make install`")
    with AnvilNode(ANVIL, tmp_path / "chain", port=_free_port()) as node:
        monkeypatch.setitem(app.config, "LEDGER_CHAIN", node.url)
        yield node


def test_fallback_beacon_is_the_anchor_block_hash_on_anvil(
    app: Flask, anvil_chain: AnvilNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    for grade in ("A", "B", "B", "C", "D", None, None):
        MerchantFactory(grade=grade)
    for _ in range(3):
        InspectorFactory()
    plan = PlanFactory(status=PlanStatus.SCHEDULED, draw_at=datetime(2026, 11, 1, tzinfo=UTC))
    db.session.commit()
    d = draws.announce(plan.id)
    assert draws.draw_job() == "1 waiting for the anchor"
    assert anchoring.anchor_pending() == "anchored"
    covering = draws.covering_anchor(draws.announcement_record(d).leaf_index)  # type: ignore[union-attr]
    assert covering is not None

    # The node goes away: the reveal fails loudly and leaves the draw as it was, never using another value.
    monkeypatch.setitem(app.config, "LEDGER_CHAIN", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(draws.BeaconUnavailable):
        draws.reveal(d.id)
    assert draws.draw_job() == "1 waiting for the anchor"
    db.session.refresh(d)
    assert d.status == DrawStatus.ANNOUNCED and d.beacon_value is None

    monkeypatch.setitem(app.config, "LEDGER_CHAIN", anvil_chain.url)
    assert "revealed" in draws.draw_job()
    db.session.refresh(d)
    block = Web3(Web3.HTTPProvider(anvil_chain.url)).eth.get_block(covering.block_number)
    assert d.beacon_value == bytes(block["hash"])
    assert draw.verify_bundle(draws.bundle(d)) == []
