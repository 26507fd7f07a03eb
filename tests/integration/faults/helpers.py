"""What the fault tests share: a deployment on its own database, business writers in child processes (which may
crash), a real chain node to kill, a private PostgreSQL cluster to restart, and the checks that nothing was lost.

The per-test SAVEPOINT session of tests/conftest.py cannot be seen by other processes, so a fault test runs on a
database of its own (SQLite file or scratch PostgreSQL database, as the run's backend), with the Flask-SQLAlchemy
session the application really uses. Child processes are forked from the test process (the modules are already
imported, so a child costs milliseconds rather than seconds of imports) and build their own app and engine.
"""

from __future__ import annotations

import multiprocessing
import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from web3 import Web3

from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import anchoring, anvil, audit, services
from honestmeter.ledger.anvil import AnvilNode
from honestmeter.ledger.chain import Web3AnchorClient
from honestmeter.ledger.models import LedgerEntry
from honestmeter.merchants import services as merchant_services
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from tests.conftest import make_test_app

# The session the application uses, taken before tests/conftest.py's db_session fixture swaps in its own.
REAL_SESSION = db.session
WAIT = 120.0  # seconds: a guard against hanging, never a timed assertion
REGION = "330106"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- a deployment on its own database


@dataclass
class Deployment:
    url: str
    var_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    app: Flask = field(init=False)

    def __post_init__(self) -> None:
        self.app = self.make_app()

    def make_app(self) -> Flask:
        """Another app on the same database and var/ (what a second process of the deployment builds)."""
        return make_test_app(self.url, self.var_dir, **self.config)

    @contextmanager
    def context(self) -> Iterator[None]:
        """One unit of work of this deployment's app, with a session of its own (like a request or a job run)."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def anchor(self) -> str:
        """One run of the anchoring job."""
        with self.context():
            return anchoring.anchor_pending()

    def anchor_until(self, *done: str) -> list[str]:
        """Run the anchoring job every 0.1 s (as the scheduler would, only more often) until it says one of
        `done` ("anchored" unless given); returns every outcome."""
        wanted = done or ("anchored",)
        outcomes: list[str] = []

        def finished() -> bool:
            outcomes.append(self.anchor())
            return outcomes[-1] in wanted

        wait_for(finished, f"the anchoring job to say {' or '.join(wanted)}", interval=0.1)
        return outcomes


@contextmanager
def deployment(url: str, var_dir: Path, **config: Any) -> Iterator[Deployment]:
    """A migrated database at `url` with an app on it; its engine is disposed afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    deployed = Deployment(url, var_dir, dict(config))
    with deployed.app.app_context():
        upgrade()
    try:
        yield deployed
    finally:
        kill_children()
        with deployed.app.app_context():
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------- business writers in child processes


def merchant_codes(prefix: str, count: int) -> list[str]:
    """The USCCs a writer registers, in order, reproducible from its prefix."""
    rng = random.Random(prefix)
    return [uscc.random_code(rng, REGION) for _ in range(count)]


def write_merchants(
    deployed: Deployment, prefix: str, progress: Path, *, count: int | None = None, crash_after_last: bool = False
) -> None:
    """Register merchants through the business service, one transaction each, like requests of a web worker:
    `count` of them, or until the file `<progress>.stop` appears.

    Logs `ok <uscc>` once a commit returned, `dup <uscc>` when a retry finds the row of an attempt whose commit
    went through although its answer was lost, `error <name>` for a database error (then retries, as a user
    would). With crash_after_last the process kills itself (SIGKILL) right after its last commit.
    """
    app = deployed.make_app()
    try:
        _write(app, prefix, progress, count)
    finally:
        if not crash_after_last:  # a crash leaves its connections to the kernel, as a real one does
            with app.app_context():
                db.engine.dispose()
    if crash_after_last:
        os.kill(os.getpid(), signal.SIGKILL)


def _write(app: Flask, prefix: str, progress: Path, count: int | None) -> None:
    rng = random.Random(prefix)
    stop = progress.with_suffix(".stop")
    errors_in_a_row = 0
    i = 0
    with progress.open("a", encoding="utf-8") as out:
        while (count is None or i < count) and not stop.exists():
            code = uscc.random_code(rng, REGION)
            facts = merchant_services.MerchantFacts(
                uscc=code,
                name=f"{prefix}计量商户{i:05d}",
                sector_code="optical",
                region_code=REGION,
                address=f"杭州市西湖区文三路{i + 1}号",
                legal_representative="钱七",
            )
            while True:
                try:
                    with app.app_context():
                        merchant_services.register_merchant(facts)
                except ValidationFailed as err:
                    if err.field != "uscc":
                        raise
                    status = "dup"
                except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
                    errors_in_a_row += 1
                    if errors_in_a_row > 2_000:
                        raise
                    out.write(f"error {type(err.orig).__name__}\n")
                    out.flush()
                    time.sleep(0.02)
                    continue
                else:
                    status = "ok"
                errors_in_a_row = 0
                out.write(f"{status} {code}\n")
                out.flush()
                break
            i += 1


def fork(target: Callable[..., None], *args: Any, **kwargs: Any) -> multiprocessing.process.BaseProcess:
    """Run `target` in a forked child process (it must build its own app: see Deployment.make_app)."""
    process = multiprocessing.get_context("fork").Process(target=target, args=args, kwargs=kwargs, daemon=True)
    process.start()
    CHILDREN.append(process)
    return process


CHILDREN: list[multiprocessing.process.BaseProcess] = []  # killed after each test (conftest.py), should it fail


def kill_children() -> None:
    while CHILDREN:
        process = CHILDREN.pop()
        if process.exitcode is None:
            process.kill()
            process.join(10)


@dataclass
class Progress:
    """A writer's log, read while it runs."""

    path: Path

    def lines(self) -> list[list[str]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.split() for line in text.splitlines() if line]

    def count(self, *statuses: str) -> int:
        return sum(1 for parts in self.lines() if parts[0] in statuses)

    def committed(self) -> int:
        return self.count("ok", "dup")

    def stop(self) -> None:
        """Ask the writer to finish after the record it is writing."""
        self.path.with_suffix(".stop").touch()

    def expected_codes(self, prefix: str) -> set[str]:
        """The USCCs of every record the writer finished (in order, so the first n of its sequence)."""
        return set(merchant_codes(prefix, self.committed()))

    def more(self, n: int, process: multiprocessing.process.BaseProcess | None = None) -> None:
        self.wait(self.committed() + n, process)

    def errors(self) -> Counter[str]:
        return Counter(parts[1] for parts in self.lines() if parts[0] == "error")

    def wait(self, committed: int, process: multiprocessing.process.BaseProcess | None = None) -> None:
        def reached() -> bool:
            if process is not None and process.exitcode not in (None, 0):
                raise AssertionError(f"writer died with exit code {process.exitcode}")
            return self.committed() >= committed

        wait_for(reached, f"{committed} commits in {self.path.name}")


def join(process: multiprocessing.process.BaseProcess) -> int | None:
    process.join(WAIT)
    if process.exitcode is None:
        process.kill()
        raise AssertionError("child process hung")
    return process.exitcode


# ---------------------------------------------------------------- what must hold afterwards


def assert_nothing_lost(deployed: Deployment, expected_codes: set[str]) -> None:
    """Every business row has its ledger leaf and every leaf its row, once; the log hashes to every signed and
    anchored root and each row re-derives to its newest record."""
    with deployed.context():
        merchants = dict(db.session.execute(sa.select(Merchant.id, Merchant.uscc)).tuples().all())
        leaves = Counter(
            db.session.scalars(sa.select(LedgerEntry.record_id).where(LedgerEntry.record_type == "merchant"))
        )
        assert set(merchants.values()) == expected_codes
        assert set(leaves) == {str(i) for i in merchants}  # each row its leaf, each leaf its row
        assert set(leaves.values()) == {1}  # a retried write did not append twice
        assert audit.check_log() == []
        assert audit.check_rows() == []


def assert_all_anchored(deployed: Deployment) -> int:
    """The newest anchor covers every leaf and the chain holds every anchored root; returns the tree size."""
    with deployed.context():
        size = services.tree_size()
        latest = services.latest_anchor()
        assert latest is not None and latest.tree_size == size
        assert services.pending_leaves() == 0
        assert audit.check_chain() == []
        return size


def anchored_events(url: str, contract: str) -> Counter[int]:
    """How many Anchored events each tree size has on the chain (tests only: reads the logs from block 0)."""
    client = Web3AnchorClient.connect(url)
    topic = Web3.keccak(text="Anchored(uint64,bytes32)")
    logs = client.web3.eth.get_logs({"address": Web3.to_checksum_address(contract), "fromBlock": 0, "topics": [topic]})
    return Counter(int.from_bytes(bytes(entry["topics"][1]), "big") for entry in logs)


def contract_of(deployed: Deployment) -> str:
    with deployed.context():
        contract = anchoring.chain_state().contract
    assert contract is not None
    return contract


# ---------------------------------------------------------------- the chain node


def crash(node: AnvilNode) -> None:
    """SIGKILL the node as a crash would, and wait until it is gone (its supervisor then sees it dead)."""
    assert node.pid is not None
    os.kill(node.pid, signal.SIGKILL)
    wait_for(lambda: not node.alive(), "anvil to exit")


def wait_saved(node: AnvilNode, block: int) -> None:
    """Until anvil's periodic dump (--state-interval 1) holds `block`: a crash after that loses nothing."""
    assert anvil.wait_saved(node.state_file, block, timeout=WAIT), f"anvil did not save block {block}"


# ---------------------------------------------------------------- a private PostgreSQL cluster


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian keeps them under /usr/lib/postgresql/N/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _owner() -> tuple[list[str], int | None]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise RuntimeError("running as root and there is no postgres user to run a cluster as") from None
    return ["runuser", "-u", "postgres", "--"], uid


class PrivatePostgres:
    """A throwaway cluster on a free loopback port, in a temporary directory, to restart at will.

    Never the shared server: other people's tests run on it.
    """

    def __init__(self, bindir: Path, port: int, *, fsync: bool = False) -> None:
        self.bindir, self.port = bindir, port
        self.prefix, uid = _owner()
        self.root = Path(tempfile.mkdtemp(prefix="hm-pg-"))
        if uid is not None:
            os.chown(self.root, uid, -1)
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync={'on' if fsync else 'off'}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bindir / program), *args], check=True, capture_output=True)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        self._pg_ctl("-o", self.options, "start")

    def restart(self, mode: str = "immediate") -> None:
        """Stop (`immediate`: a crash, in-flight transactions die and the start replays the WAL; `fast`: the
        administrator's shutdown, sessions are terminated) and start again."""
        self._pg_ctl("-m", mode, "-o", self.options, "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("-m", "immediate", "stop")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
