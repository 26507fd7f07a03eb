"""Benchmark: faults (DESIGN §9: chain node killed mid-anchoring, database restart, crashes → 0 records lost, 0 jobs
run twice), each beside a baseline burst without faults in the same run.

Usage: .venv/bin/python bench/faults.py [--records 10000] [--writers 2] [--anchor-every 1] [--uploads 2000]
       [--backends sqlite,postgresql] [--scenarios baseline,chain,unsaved,hung,postgres,crash,disk] [--quick]

Every scenario starts from a fresh database and var/ directory and uses the deployment's real parts. Business writes
are merchant registrations through `merchants.services.register_merchant` (a directory row and its ledger leaf in
one transaction) by --writers forked processes, one transaction per record like web workers' requests, retrying a
failed one as a user would. This process is the scheduler: it runs the anchoring job (`anchoring.anchor_pending`)
every --anchor-every seconds on the embedded default chain (anvil from node_modules, supervised by the job, state in
var/chain/ dumped every second). PostgreSQL runs on a private throwaway cluster (initdb in a temporary directory, on
a free port, fsync on), never on the shared server; SQLite keeps its file under var/, as the embedded default does.

  baseline   the burst, no fault
  chain      anvil SIGKILLed twice: once with an anchor transaction in flight (mined, receipt not yet read), once
             between anchors after its state dump; the job backs off, restarts it and anchors
  unsaved    anvil SIGKILLed the moment the job reports an anchor: the job records an anchor only once anvil's
             one-second state dump holds its block, so the restarted chain has every recorded root
  hung       anvil SIGSTOPped for 15 s (it accepts connections and answers nothing), then SIGCONTed
  postgres   the PostgreSQL cluster restarted twice mid-burst (immediate = a crash, then fast)
  crash      each writer SIGKILLed at a random moment and replaced; the scheduler SIGKILLed twice between the chain
             transaction and recording it (the next run anchors; re-sending an anchored size is a no-op)
  disk       var/ on a tmpfs that fills up during a burst of complaint uploads (a photo file and a row) mixed with
             merchant registrations; a ballast file is deleted (space freed) once writes are refused; uploads go on

Figures per scenario: records written (commits acknowledged to the writer), leaves lost (acknowledged records without
their row, rows without their leaf, leaves without their row), leaves anchored at the end, jobs run twice (tree sizes
anchored more than once on the chain, records appended twice), recovery time (from the fault to the first success
after it: a commit for the database and the disk, an anchor covering every leaf written before the fault for the
chain, crashed writers and the scheduler), throughput against the baseline, the longest pause between two commits,
and `ledger audit`. For `disk`: uploads refused,
partial files left, rows pointing at missing files. Exits 1 on any loss, duplicate, partial file or audit failure.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import multiprocessing
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from figures import report, section, summary
from flask import Flask
from flask_migrate import upgrade
from web3 import Web3
from web3.eth import Eth

from honestmeter import attachments, storage
from honestmeter.app import REPO_DIR, create_app
from honestmeter.complaints import services as complaints
from honestmeter.complaints.models import Complaint
from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import anchoring, anvil, audit
from honestmeter.ledger import services as ledger
from honestmeter.ledger.anvil import AnvilNode, find_anvil
from honestmeter.ledger.chain import Web3AnchorClient
from honestmeter.ledger.models import LedgerAnchor, LedgerEntry
from honestmeter.merchants import services as merchants
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant

REGION = "330106"
SCENARIOS = ("baseline", "chain", "unsaved", "hung", "postgres", "crash", "disk")
SMALL = ("unsaved", "hung")  # about behaviour, not volume: a quarter of --records
PNG = b"\x89PNG\r\n\x1a\n"
WAIT = 300.0  # seconds: a guard against hanging


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------ a private PostgreSQL cluster


class PrivatePostgres:
    """A throwaway cluster on a free loopback port in a temporary directory (as the postgres user when root)."""

    def __init__(self, bindir: Path, *, fsync: bool) -> None:
        self.bindir, self.port = bindir, free_port()
        self.prefix: list[str] = []
        self.root = Path(tempfile.mkdtemp(prefix="hm-bench-pg-"))
        if os.geteuid() == 0:
            self.prefix = ["runuser", "-u", "postgres", "--"]
            os.chown(self.root, pwd.getpwnam("postgres").pw_uid, -1)
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync={'on' if fsync else 'off'} "
            "-c max_connections=60"
        )
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self._pg_ctl("-o", self.options, "start")
        self.version = self._scalar("SHOW server_version").split()[0]

    def _run(self, program: str, *args: str) -> None:
        argv = [*self.prefix, str(self.bindir / program), *args]
        subprocess.run(argv, check=True, capture_output=True)  # noqa: S603 — our own binaries and arguments

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", *args)

    def _scalar(self, sql: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            result = conn.exec_driver_sql(sql)
            value = str(result.scalar()) if result.returns_rows else ""
        engine.dispose()
        return value

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._scalar(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def restart(self, mode: str) -> None:
        self._pg_ctl("-m", mode, "-o", self.options, "restart")

    def remove(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


# ------------------------------------------------------------------ a deployment and its processes


@dataclass
class Deployment:
    backend: str
    url: str
    var_dir: Path
    port: int = field(default_factory=free_port)

    def make_app(self) -> Flask:
        return create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.url,
                "SECRET_KEY": "bench-faults",
                "VAR_DIR": str(self.var_dir),
                "LEDGER_CHAIN": "embedded",
                "LEDGER_ANVIL_PORT": self.port,
                "RATELIMIT_ENABLED": False,
            }
        )


def forget_parent(parent: Flask) -> None:
    """In a forked child: never use (or close) the parent's pooled connections, nor supervise its chain node."""
    with parent.app_context():
        db.engine.dispose(close=False)
    anchoring._anvil = None  # the parent supervises the node; the child finds its port open and just uses it


def log_line(out: Any, *parts: object) -> None:
    out.write(" ".join(str(p) for p in (*parts, f"{time.time():.3f}")) + "\n")
    out.flush()


def write_merchants(dep: Deployment, parent: Flask, prefix: str, start: int, count: int, log: Path) -> None:
    """A writer process: merchants `start`..`count-1` of its sequence, one transaction each. Logs `ok`, `dup` (a
    retry found the row of an attempt whose commit went through), or `error` (then retries)."""
    forget_parent(parent)
    app = dep.make_app()
    rng = random.Random(prefix)
    codes = [uscc.random_code(rng, REGION) for _ in range(count)]
    with log.open("a", encoding="utf-8") as out:
        for i in range(start, count):
            facts = merchants.MerchantFacts(
                uscc=codes[i],
                name=f"{prefix}计量商户{i:06d}",
                sector_code="optical",
                region_code=REGION,
                address=f"杭州市西湖区文三路{i + 1}号",
                legal_representative="钱七",
            )
            for _attempt in range(10_000):
                try:
                    with app.app_context():
                        merchants.register_merchant(facts)
                except ValidationFailed as err:
                    if err.field != "uscc":
                        raise
                    log_line(out, "dup", codes[i])
                except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
                    kind = "dbfull" if "full" in str(err.orig) else "error"
                    log_line(out, kind, type(err.orig).__name__, "/" + "_".join(str(err.orig).split())[:60])
                    time.sleep(0.05)
                    continue
                else:
                    log_line(out, "ok", codes[i])
                break
            else:
                raise RuntimeError(f"{prefix}: record {i} failed 10,000 times")


def upload_complaints(dep: Deployment, parent: Flask, prefix: str, start: int, count: int, log: Path) -> None:
    """An uploader process: complaints with one photo each (distinct bytes, so distinct files). Logs `ok <sha>`,
    `full` (StorageFull: the page would show the message), `dbfull`/`error` (a database error), and retries."""
    forget_parent(parent)
    app = dep.make_app()
    rng = random.Random(prefix)
    size = int(os.environ.get("HM_BENCH_PHOTO_BYTES", "32768"))
    photos = [PNG + rng.randbytes(size - len(PNG)) for _ in range(count)]
    with log.open("a", encoding="utf-8") as out:
        for i in range(start, count):
            entry = complaints.NewComplaint(
                category="short_weight",
                description=f"买了两斤苹果，回家用电子秤称只有一斤七两。（{prefix}-{i}）",
                merchant="街口无名水果摊",
                photos=[attachments.Upload(photos[i], f"{prefix}-{i}.png")],
            )
            for _attempt in range(10_000):
                try:
                    with app.app_context():
                        complaints.submit(entry)
                except storage.StorageFull:
                    log_line(out, "full", "-")
                    time.sleep(0.05)
                    continue
                except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
                    log_line(out, "dbfull" if "full" in str(err.orig) else "error", type(err.orig).__name__)
                    time.sleep(0.05)
                    continue
                else:
                    log_line(out, "ok", hashlib.sha256(photos[i]).hexdigest())
                break


Worker = Callable[[Deployment, Flask, str, int, int, Path], None]


@dataclass
class Slot:
    """One writer's sequence of records, possibly over several processes (a crashed one is replaced)."""

    prefix: str
    count: int
    log: Path
    worker: Worker
    process: multiprocessing.process.BaseProcess | None = None

    def lines(self) -> list[list[str]]:
        try:
            text = self.log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.split() for line in text.splitlines() if line.strip()]

    def done(self) -> int:
        return sum(1 for parts in self.lines() if parts[0] in {"ok", "dup"})


class Writers:
    def __init__(self, dep: Deployment, parent: Flask, logs: Path, plan: list[tuple[str, int, Worker]]) -> None:
        self.dep, self.parent = dep, parent
        self.slots = [Slot(prefix, count, logs / f"{prefix}.log", worker) for prefix, count, worker in plan]
        for slot in self.slots:
            self.start(slot)

    def start(self, slot: Slot) -> None:
        context = multiprocessing.get_context("fork")
        args = (self.dep, self.parent, slot.prefix, slot.done(), slot.count, slot.log)
        slot.process = context.Process(target=slot.worker, args=args, daemon=True)
        slot.process.start()

    def done(self) -> int:
        return sum(slot.done() for slot in self.slots)

    def total(self) -> int:
        return sum(slot.count for slot in self.slots)

    def running(self) -> bool:
        for slot in self.slots:
            assert slot.process is not None  # noqa: S101
            code = slot.process.exitcode
            if code not in (None, 0):
                tail = "\n".join(" ".join(parts) for parts in slot.lines()[-5:])
                raise RuntimeError(f"writer {slot.prefix} died with exit code {code}; its log ends:\n{tail}")
        return any(slot.process is not None and slot.process.exitcode is None for slot in self.slots)

    def crash_and_replace(self, slot: Slot) -> float:
        """SIGKILL the slot's process wherever it is, start a replacement on the rest; returns the kill time."""
        assert slot.process is not None  # noqa: S101
        os.kill(slot.process.pid or 0, signal.SIGKILL)
        killed = time.time()
        slot.process.join()
        self.start(slot)
        return killed

    def kill_all(self) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.exitcode is None:
                slot.process.kill()
                slot.process.join()

    def lines(self) -> list[list[str]]:
        return [parts for slot in self.slots for parts in slot.lines()]


# ------------------------------------------------------------------ the scheduler (this process) and the chain


class Hooks:
    """Faults injected into this process's anchoring job (web3's receipt wait is where an anchor is in flight)."""

    in_flight: Callable[[], None] | None = None


_read_receipt = Eth.wait_for_transaction_receipt


def _receipt_with_hook(self: Eth, *args: Any, **kwargs: Any) -> Any:
    hook, Hooks.in_flight = Hooks.in_flight, None
    if hook is not None:
        hook()
    return _read_receipt(self, *args, **kwargs)


Eth.wait_for_transaction_receipt = _receipt_with_hook  # type: ignore[method-assign]


def anchor_once(app: Flask) -> str:
    with app.app_context():
        try:
            return anchoring.anchor_pending()
        except anchoring.ChainMismatch:
            return "alarm"
        except Exception as err:  # a failing run is recorded and retried, as the scheduler does
            db.session.rollback()
            return f"failed: {type(err).__name__}: {err}"[:200]
        finally:
            db.session.remove()


def sizes(app: Flask) -> tuple[int, int]:
    """(tree size, newest anchored tree size); retried while the database is away (a restart)."""
    for _attempt in range(600):
        with app.app_context():
            try:
                anchored = ledger.latest_anchor()
                return ledger.tree_size(), anchored.tree_size if anchored else 0
            except (sa.exc.OperationalError, sa.exc.InterfaceError):
                db.session.rollback()
            finally:
                db.session.remove()
        time.sleep(0.1)
    raise RuntimeError("the database did not come back within a minute")


def node() -> AnvilNode:
    supervised = anchoring._anvil
    if supervised is None:
        raise RuntimeError("the embedded chain node has not been started yet")
    return supervised


def crash_node() -> float:
    supervised = node()
    assert supervised.pid is not None  # noqa: S101
    os.kill(supervised.pid, signal.SIGKILL)
    killed = time.time()
    wait_for(lambda: not supervised.alive(), "anvil to exit")
    return killed


def wait_saved(block: int) -> None:
    """Until anvil's periodic dump holds `block` (a crash after it loses nothing)."""
    supervised = node()
    if not anvil.wait_saved(supervised.state_file, block, timeout=30):
        state = anvil.saved_block(supervised.state_file)
        raise RuntimeError(
            f"anvil did not save block {block}: state file at {state}, alive {supervised.alive()}\n"
            + supervised.log_tail()
        )


def newest_anchor_block(app: Flask) -> int:
    with app.app_context():
        try:
            anchored = ledger.latest_anchor()
            return anchored.block_number if anchored else 0
        finally:
            db.session.remove()


# ------------------------------------------------------------------ one burst


@dataclass
class Burst:
    """What the scheduler loop saw: job outcomes and when, and the recovery of each fault."""

    started: float = field(default_factory=time.time)
    ended: float = 0.0
    outcomes: list[tuple[float, str, int]] = field(default_factory=list)  # (time, outcome, anchored size)
    recoveries: list[tuple[str, float]] = field(default_factory=list)  # (fault, seconds)
    faults: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def anchored_after(self, since: float, size: int) -> float | None:
        """When the first run after `since` anchored a tree covering `size` leaves."""
        for at, outcome, anchored in self.outcomes:
            if at > since and outcome in {"anchored", "up-to-date"} and anchored >= size:
                return at
        return None


Fault = Callable[["Run", Burst], None]  # called every loop turn; fires once its threshold is reached


@dataclass
class Run:
    dep: Deployment
    app: Flask
    writers: Writers
    anchor_every: float
    pending_checks: list[Callable[[], bool]] = field(default_factory=list)

    def progress(self) -> float:
        return self.writers.done() / max(1, self.writers.total())


def burst(run: Run, faults: list[Fault], *, settle: float = 120.0) -> Burst:
    """Run the writers to the end while anchoring; then anchor until every leaf is, or `settle` seconds pass."""
    seen = Burst()
    next_anchor = 0.0
    while run.writers.running():
        for fault in faults:
            fault(run, seen)
        now = time.monotonic()
        if now >= next_anchor:
            outcome = anchor_once(run.app)
            seen.outcomes.append((time.time(), outcome, sizes(run.app)[1]))
            next_anchor = now + run.anchor_every
        time.sleep(0.02)
    seen.ended = time.time()
    for fault in faults:  # a fault scheduled past the end still fires (small --quick runs)
        fault(run, seen)
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        outcome = anchor_once(run.app)
        size, anchored = sizes(run.app)
        seen.outcomes.append((time.time(), outcome, anchored))
        if anchored == size or outcome == "alarm":
            break
        time.sleep(min(1.0, run.anchor_every))
    return seen


@dataclass
class Verdict:
    scenario: str
    backend: str
    written: int
    seconds: float
    lost: int
    size: int
    anchored: int
    twice: int
    recovery: str
    problems: list[str]
    extra: str = ""
    informative: bool = False

    @property
    def ok(self) -> bool:
        anchored_all = self.anchored == self.size or self.informative
        return self.lost == 0 and self.twice == 0 and not self.problems and anchored_all


def chain_events(dep: Deployment, contract: str | None) -> Counter[int]:
    if contract is None:
        return Counter()
    client = Web3AnchorClient.connect(f"http://127.0.0.1:{dep.port}")
    topic = Web3.keccak(text="Anchored(uint64,bytes32)")
    logs = client.web3.eth.get_logs({"address": Web3.to_checksum_address(contract), "fromBlock": 0, "topics": [topic]})
    return Counter(int.from_bytes(bytes(entry["topics"][1]), "big") for entry in logs)


def verify(run: Run, seen: Burst, scenario: str, *, informative: bool = False) -> Verdict:
    acked = {parts[1] for parts in run.writers.lines() if parts[0] in {"ok", "dup"} and len(parts[1]) == 18}
    with run.app.app_context():
        rows = dict(db.session.execute(sa.select(Merchant.uscc, Merchant.id)).tuples().all())
        leaves = Counter(
            db.session.scalars(sa.select(LedgerEntry.record_id).where(LedgerEntry.record_type == "merchant"))
        )
        size = ledger.tree_size()
        newest = ledger.latest_anchor()
        anchored = newest.tree_size if newest else 0
        recorded = set(db.session.scalars(sa.select(LedgerAnchor.tree_size)))
        state = anchoring.chain_state()
        contract, alarm = state.contract, state.alarm
        problems = audit.check_log() + audit.check_rows()
        problems += audit.check_chain() if not informative else []
        db.session.remove()
    ids = {str(i) for i in rows.values()}
    lost = len(acked - set(rows)) + len(ids - set(leaves)) + len(set(leaves) - ids)
    events = chain_events(run.dep, contract)
    twice = sum(1 for n in events.values() if n > 1) + sum(1 for n in leaves.values() if n > 1)
    if recorded - set(events) and not informative:
        problems.append(f"anchors recorded but not on the chain: {sorted(recorded - set(events))[:5]}")
    if alarm:
        seen.notes.append(f"alarm: {alarm[:120]}")
    orphans = len(set(events) - recorded)
    if orphans:
        seen.notes.append(f"{orphans} anchor(s) on the chain the database never recorded (crash mid-anchoring)")
    errors = Counter(parts[1] for parts in run.writers.lines() if parts[0] in {"error", "dbfull"})
    if errors:
        seen.notes.append("writers' failed attempts, retried: " + ", ".join(f"{n} {e}" for e, n in errors.items()))
    commits = sorted(float(parts[-1]) for parts in run.writers.lines() if parts[0] in {"ok", "dup"})
    if len(commits) > 1:
        seen.notes.append(f"longest pause between commits {max(b - a for a, b in itertools.pairwise(commits)):.1f} s")
    by_kind: dict[str, list[float]] = {}
    for what, seconds in seen.recoveries:
        by_kind.setdefault(what, []).append(seconds)
    recovery = (
        "; ".join(
            f"{what} {max(times):.1f} s" + (f" (worst of {len(times)})" if len(times) > 1 else "")
            for what, times in by_kind.items()
        )
        or "—"
    )
    return Verdict(
        scenario,
        run.dep.backend,
        len(acked),
        seen.ended - seen.started,
        lost,
        size,
        anchored,
        twice,
        recovery,
        problems[:5],
        "; ".join(seen.notes),
        informative,
    )


# ------------------------------------------------------------------ the faults


def at_progress(share: float, fire: Callable[[Run, Burst], None]) -> Fault:
    """Fire once `share` of the records are written and the faults before have recovered (faults never overlap)."""
    fired = False

    def fault(run: Run, seen: Burst) -> None:
        nonlocal fired
        if not fired and (run.progress() >= share or seen.ended) and not run.pending_checks:
            fired = True
            fire(run, seen)

    return fault


def kill_node_in_flight(run: Run, seen: Burst) -> None:
    """At the next anchor transaction the job sends: mined, then anvil dies before the job reads the receipt."""
    state: dict[str, float] = {}

    def die() -> None:  # inside the job's transaction: read with its session (on SQLite it holds the write lock)
        state["size"] = ledger.tree_size()
        recorded = ledger.latest_anchor()
        if recorded is not None:  # the anchors already recorded are saved: a crash must not lose them (`unsaved`)
            wait_saved(recorded.block_number)
        state["killed"] = crash_node()

    Hooks.in_flight = die
    seen.faults.append("node killed with an anchor in flight")
    run.pending_checks.append(lambda: _recovered(run, seen, state, "node (anchor in flight)"))


def _recovered(run: Run, seen: Burst, state: dict[str, float], what: str) -> bool:
    """Recovered once a run after the fault anchored every leaf written before it."""
    killed = state.get("killed")
    if killed is None:
        return False
    done = seen.anchored_after(killed, int(state["size"]))
    if done is None:
        return False
    seen.recoveries.append((what, done - killed))
    return True


def kill_node_after_save(run: Run, seen: Burst) -> None:
    wait_saved(newest_anchor_block(run.app))
    state = {"size": float(sizes(run.app)[0]), "killed": crash_node()}
    seen.faults.append("node killed between anchors")
    run.pending_checks.append(lambda: _recovered(run, seen, state, "node (between anchors)"))


def kill_node_unsaved(run: Run, seen: Burst) -> None:
    """Right after an anchor the database recorded, before anvil's next dump (within ~1 s)."""
    for _ in range(200):
        outcome = anchor_once(run.app)
        seen.outcomes.append((time.time(), outcome, sizes(run.app)[1]))
        if outcome == "anchored":
            break
        time.sleep(0.05)
    crash_node()
    seen.faults.append("node killed before saving a recorded anchor")


def hang_node(seconds: float) -> Callable[[Run, Burst], None]:
    """SIGSTOP anvil for `seconds` (a hung node: connections are accepted, nothing answers), then SIGCONT."""

    def fire(run: Run, seen: Burst) -> None:
        supervised = node()
        assert supervised.pid is not None  # noqa: S101
        state = {"size": float(sizes(run.app)[0])}
        os.kill(supervised.pid, signal.SIGSTOP)
        state["stopped"] = time.time()

        def resume() -> None:
            os.kill(supervised.pid or 0, signal.SIGCONT)
            state["killed"] = time.time()  # recovery counts from the node answering again

        threading.Timer(seconds, resume).start()
        seen.faults.append(f"node hung (SIGSTOP) for {seconds:g} s")
        run.pending_checks.append(lambda: _recovered(run, seen, state, "node (after it answers again)"))

    return fire


def restart_postgres(cluster: PrivatePostgres, mode: str) -> Callable[[Run, Burst], None]:
    def fire(run: Run, seen: Burst) -> None:
        began = time.time()
        cluster.restart(mode)
        back = time.time()
        seen.faults.append(f"PostgreSQL restarted ({mode}, down {back - began:.1f} s)")

        def recovered() -> bool:
            after = [float(p[-1]) for p in run.writers.lines() if p[0] in {"ok", "dup"} and float(p[-1]) > back]
            if not after:
                return False
            seen.recoveries.append((f"database ({mode})", min(after) - began))
            return True

        run.pending_checks.append(recovered)

    return fire


def crash_writers(run: Run, seen: Burst) -> None:
    """Each writer SIGKILLed wherever it is (mid-transaction or between), replaced by a process on the rest."""
    for slot in run.writers.slots:
        if slot.process is None or slot.process.exitcode is not None:
            continue
        time.sleep(random.random() * 0.2)
        state = {"size": float(sizes(run.app)[0])}
        state["killed"] = run.writers.crash_and_replace(slot)
        run.pending_checks.append(lambda state=state: _recovered(run, seen, state, "writer"))
    seen.faults.append(f"{len(run.writers.slots)} writers killed and replaced")


def crash_scheduler(run: Run, seen: Burst) -> None:
    """The anchoring job in a separate scheduler process, SIGKILLed once the chain mined its anchor."""
    if sizes(run.app)[0] == sizes(run.app)[1]:
        return
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_anchor_and_die, args=(run.dep, run.app), daemon=True)
    child.start()
    child.join(WAIT)
    killed = time.time()
    if child.exitcode != -signal.SIGKILL:
        seen.notes.append(f"scheduler child ended with {child.exitcode} (no anchor was due?)")
        return
    state = {"size": float(sizes(run.app)[0]), "killed": killed}
    seen.faults.append("scheduler killed after its chain transaction")
    run.pending_checks.append(lambda: _recovered(run, seen, state, "scheduler"))


def _anchor_and_die(dep: Deployment, parent: Flask) -> None:
    forget_parent(parent)
    send = Web3AnchorClient.anchor

    def anchor_and_die(self: Web3AnchorClient, *args: Any, **kwargs: Any) -> Any:
        send(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    Web3AnchorClient.anchor = anchor_and_die  # type: ignore[method-assign]
    Hooks.in_flight = None
    anchor_once(dep.make_app())


def checks(run: Run, seen: Burst) -> None:
    run.pending_checks[:] = [check for check in run.pending_checks if not check()]


# ------------------------------------------------------------------ scenarios


@contextmanager
def deployment(
    backend: str, tmp: Path, name: str, cluster: PrivatePostgres | None, *, var_dir: Path | None = None
) -> Iterator[tuple[Deployment, Flask]]:
    var = var_dir or tmp / name
    var.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{var / 'honestmeter.db'}" if backend == "SQLite" else cluster.create_database(name)  # type: ignore[union-attr]
    dep = Deployment(backend, url, var)
    app = dep.make_app()
    with app.app_context():
        upgrade()
        db.session.remove()
    anchoring._anvil = None
    try:
        yield dep, app
    finally:
        if anchoring._anvil is not None:
            anchoring._anvil.stop()
            anchoring._anvil = None
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def merchant_writers(dep: Deployment, app: Flask, logs: Path, records: int, writers: int, tag: str) -> Writers:
    logs.mkdir(parents=True, exist_ok=True)
    per = records // writers
    plan: list[tuple[str, int, Worker]] = [(f"{tag}{k}", per, write_merchants) for k in range(writers)]
    return Writers(dep, app, logs, plan)


def scenario(
    name: str, backend: str, args: argparse.Namespace, tmp: Path, cluster: PrivatePostgres | None, faults: list[Fault]
) -> Verdict:
    with deployment(backend, tmp, f"{name}_{backend.lower()}", cluster) as (dep, app):
        records = args.records // 4 if name in SMALL else args.records
        writers = merchant_writers(dep, app, tmp / f"{name}_{backend}_logs", records, args.writers, name[:3])
        run = Run(dep, app, writers, args.anchor_every)
        try:
            seen = burst(run, [*faults, checks], settle=20.0 if name == "unsaved" else 120.0)
            checks(run, seen)
        finally:
            writers.kill_all()
        verdict = verify(run, seen, name)
    if seen.faults:
        verdict.extra = "; ".join([*seen.faults, *([verdict.extra] if verdict.extra else [])])
    return verdict


class Unavailable(RuntimeError):
    """A scenario this machine cannot run (no root for a tmpfs)."""


@contextmanager
def tmpfs(mount: Path, size_mb: int) -> Iterator[Path]:
    mount.mkdir()
    mounted = subprocess.run(  # noqa: S603 — fixed argv
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise Unavailable(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)  # noqa: S603, S607


def free_when_full(writers: Writers, ballast: Path) -> Fault:
    """The operator's answer to a full disk: two seconds after the first refusal, delete the ballast file."""
    freed: dict[str, float] = {}

    def fault(run: Run, seen: Burst) -> None:
        if freed:
            return
        refused = [float(p[-1]) for p in writers.lines() if p[0] in {"full", "dbfull"}]
        if not refused or time.time() - min(refused) < 2.0:
            return
        ballast.unlink()
        freed["at"] = time.time()
        seen.faults.append(f"disk full for {freed['at'] - min(refused):.1f} s, then space freed")

        def recovered() -> bool:
            after = [float(p[-1]) for p in writers.lines() if p[0] == "ok" and float(p[-1]) > freed["at"]]
            if not after:
                return False
            seen.recoveries.append(("uploads after space freed", min(after) - freed["at"]))
            return True

        run.pending_checks.append(recovered)

    return fault


def check_files(app: Flask, var: Path, writers: Writers, verdict: Verdict, seen: Burst) -> None:
    """Every acknowledged upload has its row, every row its whole file; no temporary or partial file is left."""
    refused = Counter(p[0] for p in writers.lines() if p[0] in {"full", "dbfull", "error"})
    uploaded = {p[1] for slot in writers.slots if slot.prefix.startswith("up") for p in slot.lines() if p[0] == "ok"}
    with app.app_context():
        listed = [item for photos in db.session.scalars(sa.select(Complaint.photos)) for item in photos or []]
        db.session.remove()

    def intact(path: Path, sha256: str) -> bool:
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256

    missing = sum(1 for item in listed if not intact(var / item["path"], item["sha256"]))
    uploads = var / "uploads"
    files = [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []
    partial = [p for p in files if p.name.startswith(storage.TEMP_PREFIX) or not intact(p, p.name)]
    referenced = {item["sha256"] for item in listed}
    orphans = sum(1 for p in files if p.name not in referenced)
    if uploaded - referenced:
        verdict.problems.append(f"{len(uploaded - referenced)} acknowledged uploads without their row")
    if missing:
        verdict.problems.append(f"{missing} rows pointing at missing or altered files")
    if partial:
        verdict.problems.append(f"{len(partial)} partial or temporary files left: {partial[:3]}")
    verdict.extra = "; ".join(
        [
            *seen.faults,
            f"{len(uploaded):,} uploads stored, refused attempts: "
            + ", ".join(f"{n:,} {k}" for k, n in sorted(refused.items())),
            f"{len(partial)} partial files, {missing} rows pointing at missing files, "
            f"{orphans} complete unreferenced files",
            *([verdict.extra] if verdict.extra else []),
        ]
    )
    verdict.written += len(uploaded)


def disk_scenario(backend: str, args: argparse.Namespace, tmp: Path, cluster: PrivatePostgres | None) -> Verdict:
    """Uploads and merchant registrations while var/ (a tmpfs) fills up; a ballast file is then deleted."""
    photo = int(os.environ.setdefault("HM_BENCH_PHOTO_BYTES", "32768"))
    needed = args.uploads * photo
    size_mb = max(64, needed * 2 // (1 << 20))
    with tmpfs(tmp / f"disk_{backend.lower()}", size_mb) as mount:
        var = mount / "var"
        with deployment(backend, tmp, f"disk_{backend.lower()}", cluster, var_dir=var) as (dep, app):
            ballast = mount / "ballast"
            with ballast.open("wb") as fh:  # what is left free holds about half the uploads
                fh.write(b"\0" * ((size_mb << 20) - needed // 2 - (8 << 20)))
            logs = tmp / f"disk_{backend}_logs"
            logs.mkdir()
            per = args.uploads // args.writers
            plan: list[tuple[str, int, Worker]] = [(f"up{k}", per, upload_complaints) for k in range(args.writers)]
            plan += [(f"dm{k}", args.records // (4 * args.writers), write_merchants) for k in range(args.writers)]
            writers = Writers(dep, app, logs, plan)
            run = Run(dep, app, writers, args.anchor_every)
            try:
                seen = burst(run, [free_when_full(writers, ballast), checks])
                checks(run, seen)
            finally:
                writers.kill_all()
            verdict = verify(run, seen, "disk")
            check_files(app, var, writers, verdict, seen)
            return verdict


# ------------------------------------------------------------------ main


def faults_of(name: str, cluster: PrivatePostgres | None) -> list[Fault]:
    if name == "chain":
        return [at_progress(0.3, kill_node_in_flight), at_progress(0.65, kill_node_after_save)]
    if name == "unsaved":
        return [at_progress(0.5, kill_node_unsaved)]
    if name == "hung":
        return [at_progress(0.4, hang_node(15.0))]
    if name == "postgres":
        assert cluster is not None  # noqa: S101
        return [
            at_progress(0.3, restart_postgres(cluster, "immediate")),
            at_progress(0.65, restart_postgres(cluster, "fast")),
        ]
    if name == "crash":
        return [
            at_progress(0.25, crash_writers),
            at_progress(0.4, crash_scheduler),
            at_progress(0.6, crash_writers),
            at_progress(0.75, crash_scheduler),
        ]
    return []


def table(verdicts: list[Verdict], baselines: dict[str, float]) -> None:
    print(
        "\n| fault | backend | records written | records/s (vs baseline) | leaves lost | leaves anchored "
        "| jobs run twice | recovery time | audit | result |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    for v in verdicts:
        rate = v.written / v.seconds if v.seconds else 0
        base = baselines.get(v.backend)
        comparable = v.scenario not in {"baseline", "disk"}  # disk: uploads and registrations, another workload
        versus = f" ({rate / base:.0%})" if base and comparable else ""
        result = "informative" if v.informative else ("PASS" if v.ok else "FAIL")
        audit_text = "OK" if not v.problems else "; ".join(v.problems)
        print(
            f"| {v.scenario} | {v.backend} | {v.written:,} | {rate:,.0f}{versus} | {v.lost} | "
            f"{v.anchored:,} / {v.size:,} | {v.twice} | {v.recovery} | {audit_text} | {result} |"
        )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="business writes per scenario")
    parser.add_argument("--writers", type=int, default=2, help="writer processes")
    parser.add_argument("--anchor-every", type=float, default=1.0, help="seconds between anchoring job runs")
    parser.add_argument("--uploads", type=int, default=2_000, help="complaint uploads in the disk scenario")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--pg-fsync", choices=("on", "off"), default="on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a tenth of the records and uploads: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.records, args.uploads = max(400, args.records // 10), max(200, args.uploads // 10)
    return args


def run_backend(backend: str, args: argparse.Namespace, tmp: Path, verdicts: list[Verdict]) -> None:
    cluster = None
    if backend == "PostgreSQL":
        bindir = postgres_bindir()
        if bindir is None:
            print("  PostgreSQL server binaries not installed: PostgreSQL skipped")
            return
        cluster = PrivatePostgres(bindir, fsync=args.pg_fsync == "on")
        print(f"  private PostgreSQL {cluster.version} cluster on port {cluster.port} (fsync {args.pg_fsync})")
    try:
        for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            if name == "postgres" and cluster is None:
                continue
            section(f"{name}, {backend}")
            if name == "disk":
                try:
                    verdict = disk_scenario(backend, args, tmp, cluster)
                except Unavailable as err:
                    print(f"  skipped: {err}")
                    continue
            else:
                verdict = scenario(name, backend, args, tmp, cluster, faults_of(name, cluster))
            verdicts.append(verdict)
            rate = verdict.written / verdict.seconds if verdict.seconds else 0.0
            report(
                f"{name}, {backend}",
                f"{verdict.written:,} records in {verdict.seconds:.1f} s ({rate:,.0f}/s); lost {verdict.lost}; "
                f"anchored {verdict.anchored:,} of {verdict.size:,}; run twice {verdict.twice}; "
                f"recovery {verdict.recovery}; audit {'OK' if not verdict.problems else verdict.problems}"
                + (f" — {verdict.extra}" if verdict.extra else ""),
                "" if verdict.informative else "0 lost, 0 twice, all anchored, audit OK",
                None if verdict.informative else verdict.ok,
            )
    finally:
        if cluster is not None:
            cluster.remove()


def main() -> None:
    args = arguments()
    random.seed(args.seed)
    backends = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    chosen = [backends[b.strip()] for b in args.backends.split(",") if b.strip()]
    if find_anvil(REPO_DIR) is None:
        raise SystemExit("anvil not found under node_modules: run make install")
    started = time.perf_counter()
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    print(
        f"{args.records:,} business writes per scenario by {args.writers} processes, anchoring every "
        f"{args.anchor_every:g} s on the embedded anvil"
    )
    verdicts: list[Verdict] = []
    with tempfile.TemporaryDirectory(prefix="hm-bench-faults-") as name:
        for backend in chosen:
            run_backend(backend, args, Path(name), verdicts)
    baselines = {v.backend: v.written / v.seconds for v in verdicts if v.scenario == "baseline" and v.seconds}
    table(verdicts, baselines)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at end {os.getloadavg()[0]:.2f}")
    summary()
    if not all(v.ok for v in verdicts):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
