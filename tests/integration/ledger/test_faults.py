"""Faults: the chain node killed in the middle of a run of writes; concurrent appenders on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ledger import anchoring, audit, merkle, services
from honestmeter.ledger.anvil import AnvilNode
from honestmeter.ledger.models import LedgerEntry
from tests.conftest import empty_database, make_test_app


def write(n: int, tag: str) -> None:
    services.append_many([services.Record("fault", f"{tag}-{i}", {"i": i}) for i in range(n)])
    db.session.commit()


def test_node_killed_mid_run_then_every_record_is_anchored(anvil_chain: AnvilNode) -> None:
    write(20, "a")
    assert anchoring.anchor_pending() == "anchored"
    write(15, "b")
    time.sleep(1.5)  # let anvil dump its state (--state-interval 1) before it dies
    anvil_chain.kill()
    start = clock.utcnow()
    with clock.frozen(start):
        assert anchoring.anchor_pending() == "node-unavailable"
    for round_ in range(3):  # writes go on while the node is down, and nothing is refused
        write(10, f"c{round_}")
        with clock.frozen(start + timedelta(seconds=1 + round_)):
            assert anchoring.anchor_pending() in {"node-unavailable", "backing-off"}
    assert services.latest_anchor().tree_size == 20  # type: ignore[union-attr]
    anvil_chain.ensure_running()  # the supervisor brings it back on the same state
    with clock.frozen(start + timedelta(minutes=15)):
        assert anchoring.anchor_pending() == "anchored"
    assert services.tree_size() == 65
    assert services.latest_anchor().tree_size == 65  # type: ignore[union-attr]
    assert services.pending_leaves() == 0
    assert audit.check_log() == [] and audit.check_chain() == []


WORKER = """
import sys
from honestmeter.app import create_app
from honestmeter.extensions import db
from honestmeter.ledger import services
number, count = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    for i in range(count):
        services.append(services.Record("concurrent", f"{number}-{i}", {"worker": number, "i": i}))
        db.session.commit()
"""


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="concurrent writers are tested on PostgreSQL (SQLite has a single writer by design)",
)
def test_concurrent_appenders_get_gap_free_commit_ordered_leaves(tmp_path: Path) -> None:
    """Eight processes (like gunicorn workers) append at once, each record in its own transaction.
    Leaves must be numbered 0..n-1 with no gap, and the head must match the leaves in index order."""
    processes, per_process = 8, 30
    with empty_database(tmp_path) as url:
        scratch = make_test_app(url, tmp_path)
        with scratch.app_context():
            upgrade()
            db.engine.dispose()
        env = {**os.environ, "DATABASE_URL": url, "HONESTMETER_VAR_DIR": str(tmp_path), "SECRET_KEY": "t"}
        workers = [
            subprocess.Popen([sys.executable, "-c", WORKER, str(n), str(per_process)], env=env)
            for n in range(processes)
        ]
        assert [w.wait(timeout=120) for w in workers] == [0] * processes
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(LedgerEntry.leaf_index, LedgerEntry.leaf_hash).order_by(LedgerEntry.leaf_index)
            ).all()
            head_size, frontier = connection.execute(sa.text("SELECT size, frontier FROM ledger_head")).one()
        engine.dispose()
    assert [r.leaf_index for r in rows] == list(range(processes * per_process))
    recomputed = merkle.Frontier(0, [])
    for row in rows:
        recomputed.append(row.leaf_hash)
    assert head_size == len(rows)
    assert merkle.Frontier(head_size, [frontier[i : i + 32] for i in range(0, len(frontier), 32)]).root() == (
        recomputed.root()
    )
