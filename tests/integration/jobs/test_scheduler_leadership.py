"""One scheduler leads, the others stand by: no job runs twice, and a standby takes over.

The process test starts two real `honestmeter scheduler` processes against one database (PostgreSQL:
the advisory lock; SQLite: the file lock), kills the leader, and reads `job_runs` to show that every
job ran exactly once per schedule slot and that the standby took over.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from honestmeter.extensions import db
from honestmeter.jobs import leadership, registry
from honestmeter.jobs.models import JobRun
from tests.conftest import empty_database, make_test_app

REPO = Path(__file__).resolve().parents[3]


def _on_postgres() -> bool:
    return "postgresql" in os.environ.get("TEST_DATABASE_URL", "")


# ---------------------------------------------------------------- the locks themselves


@pytest.mark.skipif(not _on_postgres(), reason="the advisory lock is PostgreSQL's")
def test_advisory_lock_has_one_holder_and_passes_on(tmp_path: Path) -> None:
    with empty_database(tmp_path) as plain_url:
        url = plain_url.replace("postgresql://", "postgresql+psycopg://", 1)
        engines = [sa.create_engine(url) for _ in range(3)]
        first, second = (leadership.PostgresLeadership(e) for e in engines[:2])
        try:
            assert first.ensure() is True
            assert second.ensure() is False
            assert first.ensure() is True  # still held: the leader keeps running jobs
            first.release()
            assert second.ensure() is True
            assert first.ensure() is False

            # The leader's (second's) connection dies (database restart, network cut): the lock goes
            # with it, the standby takes over, and the old leader finds at its next tick that it lost.
            with engines[2].connect() as admin:
                admin.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND objid = :lo AND classid = :hi"
                    ),
                    {"hi": leadership.ADVISORY_LOCK_KEY >> 32, "lo": leadership.ADVISORY_LOCK_KEY & 0xFFFFFFFF},
                )
                admin.commit()
            assert first.ensure() is True
            assert second.ensure() is False
        finally:
            first.release()
            second.release()
            for engine in engines:
                engine.dispose()


def test_file_lock_has_one_holder_and_passes_on(tmp_path: Path) -> None:
    first = leadership.FileLeadership(tmp_path / "scheduler.lock")
    second = leadership.FileLeadership(tmp_path / "scheduler.lock")
    assert first.ensure() is True
    assert second.ensure() is False
    first.release()
    assert second.ensure() is True
    assert first.ensure() is False
    second.release()


def test_a_standby_does_not_run_or_record_the_job(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from honestmeter.jobs import scheduler

    held = leadership.FileLeadership(tmp_path / "scheduler.lock")
    assert held.ensure()
    standby = leadership.FileLeadership(tmp_path / "scheduler.lock")
    spec = registry.JobSpec("probe.never", "no.such.module:fn", "interval", {"seconds": 1})
    before = db.session.scalar(sa.select(sa.func.count()).select_from(JobRun))
    assert scheduler.run_job(app, spec, standby) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == before
    held.release()


def test_a_new_leader_closes_the_runs_a_dead_leader_left(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from honestmeter import clock
    from honestmeter.jobs import scheduler

    started = clock.utcnow() - timedelta(minutes=5)
    orphan = JobRun(job_id="ratings.recompute", started_at=started, host="dead:1")  # killed mid-run
    db.session.add(orphan)
    db.session.flush()
    orphan_id = orphan.id
    lock = leadership.FileLeadership(tmp_path / "scheduler.lock")
    spec = registry.JobSpec("probe.ok", "honestmeter.clock:utcnow", "interval", {"seconds": 1})
    try:
        assert scheduler.run_job(app, spec, lock) is True
    finally:
        lock.release()
    closed = db.session.get(JobRun, orphan_id)
    assert closed is not None and (closed.ok, closed.error) == (False, scheduler.INTERRUPTED)
    assert closed.finished_at is not None
    newest = db.session.scalars(sa.select(JobRun).where(JobRun.job_id == "probe.ok")).one()
    assert newest.ok is True  # this term's own run is not touched


# ---------------------------------------------------------------- two real scheduler processes


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path) as url:
        scratch = make_test_app(url, tmp_path)
        with scratch.app_context():
            upgrade()
            db.engine.dispose()
        yield url


def _start(url: str, var_dir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HONESTMETER_VAR_DIR": str(var_dir),
        "SECRET_KEY": "scheduler-test",
        "LEDGER_CHAIN": "eth-tester",
        "SCHEDULER_HEARTBEAT_SECONDS": "1",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.jobs.scheduler_probe"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _runs(url: str) -> list[tuple[str, datetime, str]]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return [
                (r.job_id, r.started_at, r.host)
                for r in connection.execute(
                    sa.select(JobRun.job_id, JobRun.started_at, JobRun.host).order_by(JobRun.id)
                )
            ]
    finally:
        engine.dispose()


def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError("timed out")


def test_two_scheduler_processes_run_every_job_once(database: str, tmp_path: Path) -> None:
    var_dir = tmp_path / "var"  # shared, as on one host; the PostgreSQL lock does not need it
    var_dir.mkdir()
    with ExitStack() as files:
        logs = [files.enter_context((tmp_path / f"scheduler{i}.log").open("wb")) for i in range(2)]
        runs = _run_two_schedulers(database, var_dir, logs)
    said = "\n".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("scheduler*.log")))
    assert "standing by" in said

    # Each two-second cron slot ran once, whichever process led at the time.
    slots = Counter(started.replace(microsecond=0).timestamp() // 2 for job, started, _ in runs if job == "probe.cron")
    assert slots, "the cron probe never ran"
    assert max(slots.values()) == 1, f"a cron slot ran more than once: {slots}"
    # Leadership passed once, from the killed leader to the standby, and never back or to and fro: the
    # hosts of all runs, in order, read A…A B…B. Two leaders at once would interleave.
    order = [host for _, _, host in runs]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches == 1 and len(set(order)) == 2, f"runs interleave between processes: {order}"
    # Within one leader, the interval probe ran once a second, not more often.
    for host in set(order):
        times = [started for job, started, h in runs if job == "probe.interval" and h == host]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert all(gap > 0.5 for gap in gaps), f"probe.interval ran twice within a second on {host}: {gaps}"


def _run_two_schedulers(database: str, var_dir: Path, logs: list[IO[bytes]]) -> list[tuple[str, datetime, str]]:
    procs = [_start(database, var_dir, log) for log in logs]
    try:
        # Every job that runs at start has run once; then a few seconds of both processes ticking.
        startup = {s.id for s in registry.specs() if s.run_at_start} | {"probe.interval"}
        _wait_for(lambda: startup <= {job for job, _, _ in _runs(database)}, timeout=90)
        time.sleep(6)
        runs = _runs(database)
        leaders = {host for _, _, host in runs}
        assert len(leaders) == 1, f"jobs ran in more than one process: {leaders}"
        (leader,) = leaders
        starts = Counter(job for job, _, _ in runs)
        for job in startup - {"probe.interval", "jobs.heartbeat"}:
            assert starts[job] == 1, f"{job} ran {starts[job]} times at start"

        # Kill the leader outright (no clean release): the standby takes over within a few ticks.
        leader_pid = int(leader.rsplit(":", 1)[1])
        victim = next(p for p in procs if p.pid == leader_pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = len(runs)
        _wait_for(lambda: any(host != leader for _, _, host in _runs(database)[killed_at:]), timeout=30)
        time.sleep(5)
        runs = _runs(database)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return runs
