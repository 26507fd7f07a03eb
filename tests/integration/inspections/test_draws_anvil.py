"""The block-hash beacon on a real anvil node: the anchor's block, and a clear error while the node is away."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from web3 import Web3

from honestmeter.extensions import db
from honestmeter.inspections import draw
from honestmeter.inspections.draws import services as draws
from honestmeter.inspections.models import DrawStatus, PlanStatus
from honestmeter.ledger import anchoring
from honestmeter.ledger.anvil import AnvilNode
from tests.conftest import free_port
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory


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
    monkeypatch.setitem(app.config, "LEDGER_CHAIN", f"http://127.0.0.1:{free_port()}")
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
