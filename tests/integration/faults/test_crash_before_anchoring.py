"""Fault: the process dies (SIGKILL) after a business commit and before the anchoring job ran, or inside the job
after its chain transaction was mined and before it was recorded. The next run anchors; nothing is lost and no tree
size is anchored twice (DESIGN §4.4: re-sending an anchored tree size is a no-op)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.jobs import registry, scheduler
from honestmeter.jobs.models import JobRun
from honestmeter.ledger import anchoring, services
from honestmeter.ledger.anvil import AnvilNode
from honestmeter.ledger.chain import Web3AnchorClient
from tests.conftest import ANVIL, free_port
from tests.integration.faults.helpers import (
    Deployment,
    Progress,
    anchored_events,
    assert_all_anchored,
    assert_nothing_lost,
    contract_of,
    deployment,
    fork,
    join,
    write_merchants,
)

pytestmark = pytest.mark.skipif(ANVIL is None, reason="node_modules/.bin/anvil missing: run `make install`")
JOB = "ledger.anchor_pending"
KILLED = -signal.SIGKILL


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[AnvilNode]:
    """A real node outliving the processes that crash (like a production JSON-RPC node)."""
    assert ANVIL is not None
    with AnvilNode(ANVIL, tmp_path / "chain", port=free_port()) as node:
        yield node


def run_anchor_job(app: Any) -> bool | None:
    """The anchoring job as the scheduler runs it (recorded in job_runs)."""
    spec = next(s for s in registry.specs() if s.id == JOB)
    return scheduler.run_job(app, spec)


def work_then_crash(deployed: Deployment, first: Path, second: Path) -> None:
    """A process of the deployment that writes, anchors, writes again and dies right after that commit."""
    write_merchants(deployed, "before", first, count=20)
    run_anchor_job(deployed.make_app())
    write_merchants(deployed, "after", second, count=10, crash_after_last=True)


def test_a_crash_after_the_business_commit_is_anchored_on_the_next_run(
    own_database: str, tmp_path: Path, chain: AnvilNode
) -> None:
    with deployment(own_database, tmp_path / "var", LEDGER_CHAIN=chain.url) as deployed:
        first, second = Progress(tmp_path / "first.log"), Progress(tmp_path / "second.log")
        assert join(fork(work_then_crash, deployed, first.path, second.path)) == KILLED
        assert first.count("ok") == 20 and second.count("ok") == 10
        with deployed.context():
            anchored = services.latest_anchor()
            assert anchored is not None and anchored.tree_size == 20
            assert services.tree_size() == 30  # the last ten committed, then the process died

        assert run_anchor_job(deployed.app) is True  # the next run, in another process
        assert_nothing_lost(deployed, first.expected_codes("before") | second.expected_codes("after"))
        assert assert_all_anchored(deployed) == 30
        assert anchored_events(chain.url, contract_of(deployed)) == Counter({20: 1, 30: 1})


def anchor_then_crash(deployed: Deployment) -> None:
    """Run the anchoring job and die the moment the chain has mined the anchor, before the database records it."""
    send = Web3AnchorClient.anchor

    def anchor_and_die(self: Web3AnchorClient, *args: Any, **kwargs: Any) -> Any:
        send(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    Web3AnchorClient.anchor = anchor_and_die  # type: ignore[method-assign] — in this child process only
    run_anchor_job(deployed.make_app())


def test_a_crash_between_the_chain_transaction_and_its_record_anchors_once(
    own_database: str, tmp_path: Path, chain: AnvilNode
) -> None:
    with deployment(own_database, tmp_path / "var", LEDGER_CHAIN=chain.url) as deployed:
        progress = Progress(tmp_path / "writes.log")
        write_merchants(deployed, "job", progress.path, count=12)
        assert run_anchor_job(deployed.app) is True
        more = Progress(tmp_path / "more.log")
        write_merchants(deployed, "more", more.path, count=8)

        assert join(fork(anchor_then_crash, deployed)) == KILLED
        contract = contract_of(deployed)
        with deployed.context():
            assert services.latest_anchor().tree_size == 12  # type: ignore[union-attr]
            assert anchoring.client().latest_tree_size(contract) == 20  # the chain has it, the database does not
            crashed = db.session.scalars(sa.select(JobRun).where(JobRun.job_id == JOB).order_by(JobRun.id)).all()
            assert [(r.ok, r.finished_at is None) for r in crashed] == [(True, False), (None, True)]

        assert run_anchor_job(deployed.app) is True  # the next run re-sends tree size 20: a no-op on the chain
        assert assert_all_anchored(deployed) == 20
        assert anchored_events(chain.url, contract) == Counter({12: 1, 20: 1})

        later = Progress(tmp_path / "later.log")
        write_merchants(deployed, "later", later.path, count=5)
        assert run_anchor_job(deployed.app) is True  # and anchoring carries on as before
        assert assert_all_anchored(deployed) == 25
        assert anchored_events(chain.url, contract) == Counter({12: 1, 20: 1, 25: 1})
        codes = progress.expected_codes("job") | more.expected_codes("more") | later.expected_codes("later")
        assert_nothing_lost(deployed, codes)
