"""Fault: PostgreSQL restarts in the middle of a burst of business writes, once as a crash (immediate: in-flight
transactions die, the start replays the WAL) and once as an operator's fast restart (sessions terminated).

The application's processes recover by themselves: the pool's pre-ping (SQLALCHEMY_ENGINE_OPTIONS) replaces dead
connections, and a transaction cut off is rolled back whole and retried, as a user would retry a failed request.
Afterwards every business row has its ledger leaf and every leaf its row, once, and the tree is consistent.

Runs on a private throwaway cluster (never the shared server), in the PostgreSQL run of the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.faults.helpers import (
    PrivatePostgres,
    Progress,
    assert_all_anchored,
    assert_nothing_lost,
    deployment,
    fork,
    join,
    write_merchants,
)

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="a PostgreSQL fault: runs in the PostgreSQL run of the suite (on a private cluster)",
)


def test_database_restarted_twice_mid_burst_recovers_without_restarting_the_app(
    private_postgres: PrivatePostgres, tmp_path: Path, real_session: None
) -> None:
    url = private_postgres.create_database("honestmeter")
    with deployment(url, tmp_path / "var") as deployed:
        web = deployed.app.test_client()
        progress = Progress(tmp_path / "writer.log")
        writer = fork(write_merchants, deployed, "pg", progress.path)
        progress.wait(30, writer)
        assert deployed.anchor() == "anchored"  # this process now holds pooled connections
        assert web.get("/api/v1/ledger/checkpoint").status_code == 200
        postmasters = {private_postgres.postmaster_pid()}

        for mode in ("immediate", "fast"):
            private_postgres.restart(mode)
            postmasters.add(private_postgres.postmaster_pid())
            # The first request after the restart checks out a dead pooled connection: pre-ping replaces it.
            assert web.get("/api/v1/ledger/checkpoint").status_code == 200
            progress.more(20, writer)  # the same writer process carries on
            assert deployed.anchor() == "anchored"  # and so does the anchoring job

        progress.stop()
        assert join(writer) == 0
        assert len(postmasters) == 3  # two real restarts
        deployed.anchor_until("anchored", "up-to-date")
        assert_nothing_lost(deployed, progress.expected_codes("pg"))
        assert_all_anchored(deployed)
