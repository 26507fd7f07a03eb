"""Benchmark: mixed public traffic against gunicorn + PostgreSQL with 1 M merchants, while ledger appends, anchoring
on a real anvil node and the nightly grade recompute run; then a soak that watches the servers' memory (issue 8).

Usage: .venv/bin/python bench/load.py [--quick] [--merchants 1000000] [--seconds 120] [--soak-minutes 10]
                                      [--connections 8] [--clients 50000] [--append-every 1] [--append-batch 5]
                                      [--anchor-every 10] [--pg-url URL] [--keep] [--rebuild] [--build-only]
       --quick: 20,000 merchants, 30 s phases, a 1-minute soak (about 3–5 minutes once its world exists).
       --build-only builds (or finds) the kept world and stops.

Needs wrk (Debian package `wrk`) and anvil (`make install`: node_modules). The request mix is bench/load.lua.

World (untimed, built once and kept): PostgreSQL database `hm_bench_load` (`hm_bench_load_<n>` for other sizes).
- It starts as bench/public.py's world: cloned from `hm_bench_public` (`_<n>`) when a `public.py --keep` run left
  one with the same number of merchants (CREATE DATABASE … TEMPLATE, a file copy), else built the same way by
  public.build_world (1 M merchants, instruments, commitments; search indexes; VACUUM ANALYZE).
- Primed as a running system is: the initial grade pass (bench/grading.py's `timed_pass` on public.TODAY: every
  merchant gets a grade, a history row and a "credit_grade" ledger record, so the ledger holds about 1 M leaves),
  then 1 % of the merchants get a published 02 dated the next day (grading.nightly_changes): what the nightly
  recompute will find. About 10 minutes at 1 M; --rebuild does it again.
Each run works on a copy, `hm_bench_load_run` (TEMPLATE again; dropped afterwards unless --keep), so every run
starts from the same state. On the copy, before anything is timed: anvil is started by this script on a free
loopback port (honestmeter.ledger.anvil.AnvilNode, state in a temporary directory) and the anchoring job runs
once (LEDGER_CHAIN=http://127.0.0.1:PORT: it deploys the registry and anchors the whole log).

Servers: bench/public.py's gunicorn settings (2 workers, gthread, 4 threads) and apps: `public:bare_app()` (the
baseline: one small JSON route) and `public:site_app()` (the real application, rate limits raised, the limiter
still running; default page cache) with PROXY_HOPS=1, because the client sends X-Forwarded-For from --clients
addresses as nginx would: per-address state (the limiter's counters) sees many visitors, not one.

Client: wrk (C, so the client takes little of the 2 shared cores), --connections keep-alive connections, 2
threads, bench/load.lua. Each request picks a class by weight (MIX below), then one of the class's paths at random.
The site echoes X-Request-ID, so responses are matched to requests and latency, status and bytes are counted per
class; wrk counts socket errors (connect, read, write, timeout) and responses that are not 2xx/3xx. The mix, as
shares of requests:
- merchant page by QR: 45 %, of which 80 % a hot set of --hot merchants (busy premises scanned again and again)
  and 20 % a random merchant from --cold sampled over the whole directory (first scans, crawlers);
- name search page `/?q=` 8 % (bench/public.py's query mix: fragments of real names, pinyin initials, misses);
- open API: merchant detail 6 % (half hot, half random), search 3 %, search as CSV (100 rows) 1 %;
- verification: `/verify?leaf=` 2 %, the bundle its script fetches 2 %, `/api/v1/ledger/proof` 1 %, the
  checkpoint 1 % (leaves sampled from the whole log);
- the transparency page 2 %;
- static assets 29 % (stylesheet, app script and logo of every page, the verify page's script, the charts'
  scripts): fewer than the three a first visit loads per page, since browsers keep them.

Phases (one wrk run each; the site's figures come from bench/load.lua's per-class histograms, also kept per
--window seconds so that a run can be split by what ran next to it):
1. baseline: the bare route for --baseline-seconds (again at the very end; ratios use the mean of the two);
   warm-up (untimed): bench/public.py's warm_up walks the hot set (pages, then API) until throughput stops rising,
   then --warmup-seconds of the mix;
2. public only: the mix for --seconds;
3. public + anchoring + recompute: two processes are started first (and waited for): an appending process, one
   transaction of --append-batch ledger records (bench/ledger.py's inspection results) every --append-every
   seconds, standing in for the back office's writes; and a scheduler process running the anchoring job
   (`anchoring.anchor_pending`) every --anchor-every seconds against anvil and, when the phase starts, the nightly
   job `recompute.recompute_all` for the next day (what the scheduler's ratings.recompute runs; about 1 % of the
   merchants change). The mix runs for --seconds, then on in runs of 3 × --window until the recompute has
   finished; the figures are also split into the time windows that overlapped the recompute and those after it.
   Every append changes the ledger's tree size, which is part of the page cache's key: cached pages stop hitting.
4. soak (--soak-minutes, 0 to skip): one run of the mix with appends and anchoring still going; every
   --sample-every seconds the RSS of the gunicorn master and of every worker from /proc/<pid>/status. Printed per
   minute: throughput, latency, errors and mean RSS per process; then per process the first minute, the first
   minute after --soak-warmup and the last minute, and the least-squares slope (MB/min) after warm-up. A process
   is flagged when its RSS grew by more than --growth-threshold (5 %) from the first minute after warm-up to the
   last. Why 5 %: a worker holds about 200 MB, in which allocator noise moves RSS by a few MB (1–2 %); the page
   cache is bounded (PUBLIC_PAGE_CACHE_SIZE entries per worker, printed with the mean page size: about 15 MB) and
   full long before the soak starts, since appends make every page a new key; and the script prints the smallest
   leak per request the threshold catches at the measured request rate (a few hundred bytes over 10 minutes).
   Worker restarts (new pids) are reported.
At the end both processes stop, the anchoring job runs once more and the script checks that no leaf is left
unanchored.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grading
import ledger as ledger_bench
import public
import sqlalchemy as sa
from figures import report, section, summary
from flask import Flask
from flask_migrate import upgrade

from honestmeter.app import create_app
from honestmeter.config import normalize_database_url
from honestmeter.extensions import db
from honestmeter.ledger import anchoring
from honestmeter.ledger import services as ledger_services
from honestmeter.ledger.anvil import AnvilNode, find_anvil
from honestmeter.public import page_cache
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.rules import services as rules

LOAD_WORLD = "hm_bench_load"
RUN_DB = "hm_bench_load_run"
LUA = public.BENCH_DIR / "load.lua"
GRADED_ON = public.TODAY  # the kept world's grades are as of this day
NIGHT = GRADED_ON + timedelta(days=1)  # the nightly pass of every run
MARKER = "bench_load_world"  # a table in the kept world: built for these settings, priming finished
SECRET = "bench"  # noqa: S105 — the scratch servers' Flask secret, as in bench/public.py

# (class, share of requests in %, what it models)
MIX: tuple[tuple[str, float, str], ...] = (
    ("page_hot", 36, "GET /merchants/<uscc>, hot set (repeat QR scans at busy premises)"),
    ("page_cold", 9, "GET /merchants/<uscc>, a random merchant (first scan, crawler)"),
    ("search_page", 8, "GET /?q=… name search page"),
    ("api_detail_hot", 3, "GET /api/v1/merchants/<uscc>, hot set"),
    ("api_detail_cold", 3, "GET /api/v1/merchants/<uscc>, a random merchant"),
    ("api_search", 3, "GET /api/v1/merchants?q=…"),
    ("api_csv", 1, "GET /api/v1/merchants?q=…&format=csv&per_page=100"),
    ("verify_page", 2, "GET /verify?leaf=<leaf hash>"),
    ("ledger_bundle", 2, "GET /api/v1/ledger/bundle/<leaf hash> (what /verify's script fetches)"),
    ("ledger_proof", 1, "GET /api/v1/ledger/proof?leaf_hash=…"),
    ("ledger_checkpoint", 1, "GET /api/v1/ledger/checkpoint"),
    ("transparency", 2, "GET /transparency"),
    ("static_css", 10, "GET /static/css/app.css (17 kB)"),
    ("static_js", 9, "GET /static/js/app.js"),
    ("static_logo", 8, "GET /static/img/logo.svg"),
    ("static_verify_js", 1, "GET /static/js/verify.js"),
    ("static_charts", 1, "GET /static/vendor/chart.umd.min.js (210 kB) or /static/js/charts.js"),
)
STATIC = {
    "static_css": ["/static/css/app.css"],
    "static_js": ["/static/js/app.js"],
    "static_logo": ["/static/img/logo.svg"],
    "static_verify_js": ["/static/js/verify.js"],
    "static_charts": ["/static/vendor/chart.umd.min.js", "/static/js/charts.js"],
}
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


# ------------------------------------------------------------------ wrk runs and their figures


@dataclass
class ClassStats:
    hist: Counter[int] = field(default_factory=Counter)  # bucket floor(100 ln µs) → responses
    statuses: Counter[int] = field(default_factory=Counter)
    bytes: int = 0

    def add(self, other: ClassStats) -> None:
        self.hist.update(other.hist)
        self.statuses.update(other.statuses)
        self.bytes += other.bytes

    @property
    def responses(self) -> int:
        return sum(self.statuses.values())

    def ms(self, q: float) -> float:
        """The q-th percentile latency in ms (buckets are 1 % wide: the bucket's middle)."""
        total = sum(self.hist.values())
        if not total:
            return float("nan")
        rank, seen = max(1, math.ceil(q / 100 * total)), 0
        for bucket in sorted(self.hist):
            seen += self.hist[bucket]
            if seen >= rank:
                return math.exp((bucket + 0.5) / 100) / 1000
        raise AssertionError("unreachable")


Windows = dict[int, dict[str, ClassStats]]  # window number → class → figures


def merged(windows: Windows) -> dict[str, ClassStats]:
    out: dict[str, ClassStats] = {}
    for by_class in windows.values():
        for name, stats in by_class.items():
            out.setdefault(name, ClassStats()).add(stats)
    return out


@dataclass
class Slice:
    """One wrk run, or (split) some of its time windows."""

    t0: float  # time.monotonic() the windows count from
    window: float  # seconds
    seconds: float  # measured: wrk's duration, or the windows' share of it
    requests: int
    errors: Counter[str]  # connect, read, write, timeout (None-like 0 in a split), status: not 2xx/3xx
    wrk_ms: dict[str, float]  # wrk's own latency percentiles over the whole run
    windows: Windows
    start: float = 0.0  # time.monotonic() when wrk began sending (about)
    split: bool = False  # socket errors are only known per run

    def classes(self) -> dict[str, ClassStats]:
        return merged(self.windows)

    def span(self, w: int) -> tuple[float, float]:
        """The monotonic interval window w covers within the run."""
        lo, hi = self.t0 + w * self.window, self.t0 + (w + 1) * self.window
        return max(lo, self.start), min(hi, self.start + self.seconds)

    def part(self, keep: Callable[[Slice, int], bool]) -> Slice:
        """The windows w for which keep(self, w) holds."""
        chosen = {w: by_class for w, by_class in self.windows.items() if keep(self, w)}
        seconds = sum(max(0.0, hi - lo) for lo, hi in map(self.span, chosen))
        stats = merged(chosen)
        requests = sum(s.responses for s in stats.values())
        bad = sum(n for s in stats.values() for status, n in s.statuses.items() if not 200 <= status < 400)
        return Slice(self.t0, self.window, seconds, requests, Counter(status=bad), {}, chosen, self.start, True)


def write_mix(path: Path, classes: Sequence[tuple[str, float]], paths: dict[str, list[str]]) -> None:
    lines = [f"C\t{name}\t{weight}" for name, weight in classes]
    lines += [f"P\t{name}\t{p}" for name, _ in classes for p in paths[name]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _stats(found: dict[str, Any]) -> ClassStats:
    return ClassStats(
        Counter({int(k): int(v) for k, v in found["hist"].items()}),
        Counter({int(k): int(v) for k, v in found["statuses"].items()}),
        int(found["bytes"]),
    )


def wrk(port: int, mix: Path, seconds: float, args: argparse.Namespace, seed: int, window: float) -> Slice:
    """One wrk run of the mix in `mix` for `seconds` (whole seconds: wrk's -d), counted in windows of `window` s."""
    t0 = time.monotonic()
    command = [
        "wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", f"{args.timeout}s", "-s", str(LUA), f"http://127.0.0.1:{port}",
        "--", str(mix), str(seed), str(args.clients), repr(t0), repr(window),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 — our own argv
    ended = time.monotonic()
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    windows = {
        int(w): {name: _stats(found) for name, found in by_class.items()} for w, by_class in data["windows"].items()
    }
    measured = data["duration_us"] / 1e6
    return Slice(
        t0=t0,
        window=window,
        seconds=measured,
        requests=int(data["requests"]),
        errors=Counter({k: int(v) for k, v in data["errors"].items()}),
        wrk_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        windows=windows,
        start=ended - measured - 0.05,  # wrk's report and exit take a few ms after its clock stops
    )


@dataclass
class Phase:
    label: str
    load_average: float
    slices: list[Slice] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.slices)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.slices)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int | None:
        if any(s.split for s in self.slices):
            return None
        return sum(s.errors[k] for s in self.slices for k in SOCKET_ERRORS)

    def errors(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for s in self.slices:
            total.update(s.errors)
        return total

    def classes(self) -> dict[str, ClassStats]:
        out: dict[str, ClassStats] = {}
        for s in self.slices:
            for name, stats in s.classes().items():
                out.setdefault(name, ClassStats()).add(stats)
        return out

    def overall(self) -> ClassStats:
        total = ClassStats()
        for name, stats in self.classes().items():
            if name != "unmatched":
                total.add(stats)
        return total

    def ms(self, q: float) -> float:
        """Over every matched response; a run whose server echoes no request id (the bare app): wrk's own."""
        overall = self.overall()
        if overall.hist:
            return overall.ms(q)
        return max(s.wrk_ms[f"p{q:g}"] for s in self.slices)

    def unexpected(self, bare: bool = False) -> dict[str, dict[int, int]]:
        """Per class, the answers other than 200 (and any response the site sent without our request id)."""
        out = {}
        for name, stats in self.classes().items():
            if bare and name == "unmatched":
                continue
            odd = {status: n for status, n in stats.statuses.items() if status != 200 or name == "unmatched"}
            if odd:
                out[name] = odd
        return out

    def part(self, label: str, keep: Callable[[Slice, int], bool]) -> Phase:
        return Phase(label, self.load_average, [s.part(keep) for s in self.slices])


def run_phase(label: str, port: int, mix: Path, seconds: float, args: argparse.Namespace, window: float) -> Phase:
    phase = Phase(label, os.getloadavg()[0])
    phase.slices.append(wrk(port, mix, seconds, args, 1, window))
    return phase


def errors_text(phase: Phase, bare: bool = False) -> str:
    errors, sockets = phase.errors(), phase.socket_errors
    detail = ", ".join(f"{k} {errors[k]}" for k in SOCKET_ERRORS if errors[k])
    text = f"non-2xx/3xx {errors['status']}, socket errors " + ("(per run only)" if sockets is None else str(sockets))
    text += f" ({detail})" if detail else ""
    odd = phase.unexpected(bare)
    if odd:
        text += "; answers other than 200: " + "; ".join(f"{k} {v}" for k, v in sorted(odd.items()))
    return text


def describe(phase: Phase, bare: bool = False) -> str:
    return (
        f"{phase.rate:,.0f} req/s ({phase.requests:,} requests in {phase.seconds:.0f} s); "
        f"p50 {phase.ms(50):.1f} ms, p95 {phase.ms(95):.1f} ms, p99 {phase.ms(99):.1f} ms; {errors_text(phase, bare)}"
    )


# ------------------------------------------------------------------ the world


def admin_engine(args: argparse.Namespace) -> sa.Engine:
    return sa.create_engine(normalize_database_url(args.pg_url), isolation_level="AUTOCOMMIT")


def db_url(admin: sa.Engine, name: str) -> str:
    return normalize_database_url(admin.url.set(database=name).render_as_string(hide_password=False))


def exists(admin: sa.Engine, name: str) -> bool:
    with admin.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first() is not None


def scalar(admin: sa.Engine, name: str, sql: str) -> Any:
    """One value from database `name`, or None when it (or the table) is not there."""
    if not exists(admin, name):
        return None
    engine = sa.create_engine(db_url(admin, name))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    except sa.exc.ProgrammingError:
        return None
    finally:
        engine.dispose()


def clone(admin: sa.Engine, source: str, target: str) -> float:
    """CREATE DATABASE target as a file copy of source (which must have no open connections); seconds taken."""
    start = time.perf_counter()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {target} TEMPLATE {source} STRATEGY FILE_COPY")
    return time.perf_counter() - start


def make_app(url: str, var_dir: Path, chain: str = "eth-tester") -> Flask:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "VAR_DIR": str(var_dir), "SECRET_KEY": SECRET, "LEDGER_CHAIN": chain}
    )


def world_names(merchants: int) -> tuple[str, str]:
    suffix = "" if merchants == 1_000_000 else f"_{merchants}"
    return public.PG_SCRATCH_DB + suffix, LOAD_WORLD + suffix


def ensure_world(args: argparse.Namespace, admin: sa.Engine, tmp: Path) -> str:
    """The kept, primed world for these settings (built when missing or --rebuild); returns its name."""
    public_name, name = world_names(args.merchants)
    wanted = f"{args.merchants} merchants, {args.nightly_changes} nightly changes"
    if not args.rebuild and scalar(admin, name, f"SELECT settings FROM {MARKER}") == wanted:  # noqa: S608
        report("world", f"{name} reused ({wanted}; --rebuild builds it again)")
        return name
    start = time.perf_counter()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    app = None
    if scalar(admin, public_name, "SELECT count(*) FROM merchants") == args.merchants:
        try:
            seconds = clone(admin, public_name, name)
            report("world", f"cloned from bench/public.py's {public_name} in {seconds:.0f} s")
        except sa.exc.OperationalError as err:  # someone is connected to it
            report("world", f"could not clone {public_name} ({str(err).splitlines()[0]}): building it")
    if not exists(admin, name):
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        app = make_app(db_url(admin, name), tmp)
        with app.app_context():
            public.build_world(args, random.Random(20261123))
            db.session.remove()
    app = app or make_app(db_url(admin, name), tmp)
    with app.app_context():
        prime(args, wanted)
        db.session.remove()
        db.engine.dispose()
    report("world ready (untimed for the figures)", f"{name} in {time.perf_counter() - start:.0f} s")
    return name


def prime(args: argparse.Namespace, wanted: str) -> None:
    """Grade everyone as of GRADED_ON (the initial pass), then publish the facts the nightly pass will find."""
    upgrade()  # a no-op unless the code has a migration the cloned world lacks
    initial, sql = grading.timed_pass(GRADED_ON)
    report(
        "initial grade pass (priming; every merchant gets a grade and a credit_grade ledger record)",
        f"{initial}; SQL pass {sql:.0f} s",
    )
    touched = grading.nightly_changes(random.Random(8), args.merchants, args.nightly_changes, NIGHT)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        conn.exec_driver_sql(f"CREATE TABLE {MARKER} (settings text, built_at timestamptz DEFAULT now())")
        conn.exec_driver_sql(f"INSERT INTO {MARKER} (settings) VALUES (%s)", (wanted,))  # noqa: S608
    report("nightly facts", f"{touched:,} merchants got a published 02 dated {NIGHT}; ledger size {tree_size()}")


def tree_size() -> int:
    return int(ledger_services.tree_size())


@contextmanager
def run_copy(admin: sa.Engine, world: str, keep: bool) -> Iterator[str]:
    seconds = clone(admin, world, RUN_DB)
    report("run copy", f"{RUN_DB} cloned from {world} in {seconds:.0f} s")
    try:
        yield db_url(admin, RUN_DB)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)")


@dataclass
class Inputs:
    hot: list[str]
    cold: list[str]
    queries: list[str]
    leaves: list[str]


def prepare_run(url: str, tmp: Path, chain: str, args: argparse.Namespace) -> Inputs:
    """Anchor the copied log on the fresh chain (deploys the registry) and sample what the client asks for."""
    app = make_app(url, tmp, chain)
    rng = random.Random(20261124)
    with app.app_context():
        upgrade()  # a no-op unless the code has a migration the kept world lacks
        start = time.perf_counter()
        result = anchoring.anchor_pending()
        report("first anchoring (deploy + anchor the whole log)", f"{result} in {time.perf_counter() - start:.1f} s")
        db.session.execute(sa.text("SELECT setseed(0.42)"))
        codes = list(
            db.session.scalars(
                sa.text("SELECT uscc FROM merchants ORDER BY random() LIMIT :n"), {"n": args.hot + args.cold}
            )
        )
        sample = db.session.execute(
            sa.text("SELECT name, name_initials FROM merchants ORDER BY random() LIMIT 20000")
        ).all()
        leaves = list(
            db.session.scalars(
                sa.text("SELECT encode(leaf_hash, 'hex') FROM ledger_entries ORDER BY random() LIMIT :n"),
                {"n": args.leaves},
            )
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    queries = public.search_queries(rng, [r.name for r in sample], [r.name_initials for r in sample], args.queries)
    quoted = [urllib.parse.quote(q) for _, q in queries]
    return Inputs(codes[: args.hot], codes[args.hot :], quoted, leaves)


def mix_paths(inputs: Inputs) -> dict[str, list[str]]:
    return {
        "page_hot": [f"/merchants/{c}" for c in inputs.hot],
        "page_cold": [f"/merchants/{c}" for c in inputs.cold],
        "search_page": [f"/?q={q}" for q in inputs.queries],
        "api_detail_hot": [f"/api/v1/merchants/{c}" for c in inputs.hot],
        "api_detail_cold": [f"/api/v1/merchants/{c}" for c in reversed(inputs.cold)],
        "api_search": [f"/api/v1/merchants?q={q}" for q in inputs.queries],
        "api_csv": [f"/api/v1/merchants?q={q}&format=csv&per_page=100" for q in inputs.queries],
        "verify_page": [f"/verify?leaf={h}" for h in inputs.leaves],
        "ledger_bundle": [f"/api/v1/ledger/bundle/{h}" for h in inputs.leaves],
        "ledger_proof": [f"/api/v1/ledger/proof?leaf_hash={h}" for h in inputs.leaves],
        "ledger_checkpoint": ["/api/v1/ledger/checkpoint"],
        "transparency": ["/transparency"],
        **STATIC,
    }


def check_routes(port: int, paths: dict[str, list[str]]) -> None:
    """One request per class before anything is measured: a class that does not answer 200 stops the run."""
    conn = public.Connection(port)
    bad = {}
    for name, found in paths.items():
        status, _ = conn.get(found[0])
        if status != 200:
            bad[name] = (found[0], status)
    conn.close()
    if bad:
        raise SystemExit(f"classes not answering 200: {bad}")


# ------------------------------------------------------------------ what runs next to the traffic

Event = dict[str, Any]  # kind, wall (time.time() at the end), seconds, n, text; a recompute also start/end monotonic


def wait_for(go: Any, stop: Any) -> bool:
    """Wait until `go` is set (True) or `stop` (False)."""
    while not go.wait(0.2):
        if stop.is_set():
            return False
    return True


def appender(app: Flask, settings: dict[str, float], events: Any, stop: Any, go: Any) -> None:
    """Business writes: every `every` seconds one transaction appending `batch` inspection results to the ledger."""
    rng, n = random.Random(9), 0
    if not wait_for(go, stop):
        return
    with app.app_context():
        due = time.monotonic()
        while not stop.is_set():
            records = [ledger_bench.make_record(rng, n + i) for i in range(int(settings["batch"]))]
            n += len(records)
            start = time.perf_counter()
            event: Event = {"kind": "append", "n": len(records), "text": ""}
            try:
                ledger_services.append_many(records)
                db.session.commit()
            except Exception as err:
                db.session.rollback()
                event.update(n=0, text=repr(err))
            events.put({**event, "wall": time.time(), "seconds": time.perf_counter() - start})
            due += settings["every"]
            stop.wait(max(0.0, due - time.monotonic()))


def anchorer(app: Flask, settings: dict[str, float], events: Any, stop: Any, go: Any) -> None:
    """The anchoring job (ledger.anchor in the scheduler), every `anchor_every` seconds."""
    if not wait_for(go, stop):
        return
    with app.app_context():
        while not stop.wait(settings["anchor_every"]):
            start = time.perf_counter()
            try:
                result = anchoring.anchor_pending()
            except Exception as err:
                db.session.rollback()
                result = f"error {err!r}"
            events.put({"kind": "anchor", "wall": time.time(), "seconds": time.perf_counter() - start, "text": result})
            db.session.remove()


def nightly(app: Flask, events: Any, stop: Any, go: Any) -> None:
    """The nightly job (ratings.recompute: recompute_all) for NIGHT, once `go` is set."""
    if not wait_for(go, stop):
        return
    with app.app_context():
        start, started = time.perf_counter(), time.monotonic()
        try:
            text = str(recompute.recompute_all(NIGHT))
        except Exception as err:
            db.session.rollback()
            text = f"error {err!r}"
        end = time.monotonic()
        events.put(
            {
                "kind": "recompute",
                "wall": time.time(),
                "seconds": time.perf_counter() - start,
                "start": started,
                "end": end,
                "text": text,
            }
        )
        db.session.remove()


def background_main(role: str, url: str, var_dir: str, chain: str, settings: dict[str, float], channels: Any) -> None:
    """A spawned process: "appends" (business writes) or "scheduler" (anchoring job + nightly recompute)."""
    events, stop, go_writes, go_recompute = channels
    app = make_app(url, Path(var_dir), chain)
    with app.app_context():
        rules.ensure_seeded()  # the scheduler's start does this; here it also opens a first connection
        db.session.commit()
        db.session.remove()
    events.put({"kind": "ready"})
    if role == "appends":
        jobs = [threading.Thread(target=appender, args=(app, settings, events, stop, go_writes))]
    else:
        jobs = [
            threading.Thread(target=anchorer, args=(app, settings, events, stop, go_writes)),
            threading.Thread(target=nightly, args=(app, events, stop, go_recompute)),
        ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    events.put({"kind": "done"})


class Background:
    """The two processes next to the traffic, their events, and what they did in a time range."""

    def __init__(self, url: str, tmp: Path, chain: str, args: argparse.Namespace) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.events: Any = ctx.Queue()
        self.stop_event: Any = ctx.Event()
        self.go_writes: Any = ctx.Event()
        self.go_recompute: Any = ctx.Event()
        settings = {"batch": args.append_batch, "every": args.append_every, "anchor_every": args.anchor_every}
        channels = (self.events, self.stop_event, self.go_writes, self.go_recompute)
        self.processes = [
            ctx.Process(
                target=background_main, args=(role, url, str(tmp), chain, settings, channels), name=role, daemon=True
            )
            for role in ("appends", "scheduler")
        ]
        self.log: list[Event] = []
        self.problems: list[str] = []

    def drain(self, timeout: float = 0.0) -> None:
        with suppress(queue.Empty):
            while True:
                self.log.append(self.events.get(timeout=timeout) if timeout else self.events.get_nowait())

    def kinds(self, kind: str) -> list[Event]:
        return [e for e in self.log if e["kind"] == kind]

    def start(self) -> None:
        """Start both processes: they import, create the app and wait for go_writes / go_recompute."""
        self.started = time.monotonic()
        for process in self.processes:
            process.start()

    def ready(self, timeout: float = 600) -> float:
        """Wait until both processes are ready; returns the seconds waited here."""
        waiting = time.monotonic()
        while len(self.kinds("ready")) < len(self.processes):
            self.drain(1.0)
            if time.monotonic() - self.started > timeout or not all(p.is_alive() for p in self.processes):
                raise SystemExit("the appending or scheduler process did not start")
        return time.monotonic() - waiting

    def recompute(self) -> Event | None:
        self.drain()
        found = self.kinds("recompute")
        return found[0] if found else None

    def stop(self) -> None:
        self.stop_event.set()
        while len(self.kinds("done")) < len(self.processes):
            self.drain(5.0)
            if not any(p.is_alive() for p in self.processes):
                self.drain(1.0)
                break
        for process in self.processes:
            process.join(timeout=60)
            if process.exitcode:
                self.problems.append(f"the {process.name} process exited with {process.exitcode}")

    def summary(self, since: float, until: float) -> str:
        appends = [e for e in self.kinds("append") if since <= e["wall"] < until]
        anchors = [e for e in self.kinds("anchor") if since <= e["wall"] < until]
        failed = [e for e in appends if e["text"]]
        times = sorted(e["seconds"] * 1000 for e in appends if not e["text"])
        results = Counter(e["text"] for e in anchors)
        anchor_s = sorted(e["seconds"] for e in anchors)
        text = (
            f"{len(appends) - len(failed)} append commits, {sum(e['n'] for e in appends):,} leaves "
            f"(commit p50 {public.percentile(times, 50):.0f} ms, p95 {public.percentile(times, 95):.0f} ms)"
        )
        if failed:
            text += f", {len(failed)} failed ({failed[0]['text'][:200]})"
        return text + (
            f"; {len(anchors)} anchoring runs ({', '.join(f'{k} {v}' for k, v in sorted(results.items()))}; "
            f"p50 {public.percentile(anchor_s, 50):.2f} s, max {max(anchor_s, default=float('nan')):.2f} s)"
        )


# ------------------------------------------------------------------ memory


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class RssSampler(threading.Thread):
    """RSS of the gunicorn master and its workers every `every` seconds (samples at time.monotonic()), with the
    machine's load average and the gunicorn processes' CPU time (to tell a slower server from a busier machine)."""

    def __init__(self, master: int, every: float) -> None:
        super().__init__(daemon=True)
        self.master, self.every = master, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.extra: list[tuple[float, float, float]] = []  # (monotonic, load average, gunicorn CPU seconds)
        self.roles: dict[int, str] = {master: "master"}
        self.halt = threading.Event()

    def sample(self) -> None:
        pids = (self.master, *children(self.master))
        found = {pid: rss_mb(pid) for pid in pids}
        for pid in found:
            self.roles.setdefault(pid, f"worker {len(self.roles)} (pid {pid})")
        now = time.monotonic()
        self.samples.append((now, {p: v for p, v in found.items() if v is not None}))
        self.extra.append((now, os.getloadavg()[0], sum(cpu_seconds(pid) or 0.0 for pid in pids)))

    def load_and_cpu(self, lo: float, hi: float) -> tuple[float, float]:
        """Mean load average of the samples in [lo, hi], and the gunicorn CPU seconds spent between the samples
        nearest to lo and to hi."""
        inside = [x for x in self.extra if lo <= x[0] <= hi + 0.001]
        first = min(self.extra, key=lambda x: abs(x[0] - lo))
        last = min(self.extra, key=lambda x: abs(x[0] - hi))
        load = statistics.mean(x[1] for x in inside) if inside else float("nan")
        return load, last[2] - first[2]

    def run(self) -> None:
        self.sample()
        while not self.halt.wait(self.every):
            self.sample()
        self.sample()

    def series(self) -> dict[str, list[tuple[float, float]]]:
        """role → [(seconds since the first sample, MB)]"""
        start = self.samples[0][0]
        out: dict[str, list[tuple[float, float]]] = {}
        for t, found in self.samples:
            for pid, mb in found.items():
                out.setdefault(self.roles[pid], []).append((t - start, mb))
        return out

    def means(self, lo: float, hi: float) -> dict[str, float]:
        """role → mean RSS of the samples taken in [lo, hi] (monotonic)."""
        start = self.samples[0][0]
        return {role: window_mean(points, lo - start, hi - start + 0.001) for role, points in self.series().items()}


def window_mean(series: Sequence[tuple[float, float]], start: float, end: float) -> float:
    values = [v for t, v in series if start <= t < end]
    return statistics.mean(values) if values else float("nan")


def slope_mb_per_min(series: Sequence[tuple[float, float]]) -> float:
    if len(series) < 2:
        return float("nan")
    ts, vs = [t / 60 for t, _ in series], [v for _, v in series]
    mt, mv = statistics.mean(ts), statistics.mean(vs)
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (v - mv) for t, v in zip(ts, vs, strict=True)) / den if den else float("nan")


@dataclass
class Growth:
    role: str
    first: float
    first_after_warmup: float
    last: float
    slope: float

    @property
    def growth(self) -> float:
        return self.last / self.first_after_warmup - 1


def analyse_rss(sampler: RssSampler, warm_s: float, window_s: float) -> list[Growth]:
    """Per process: mean RSS over the first window, the first window after warm-up and the last window; the
    least-squares slope of the samples after warm-up."""
    end = sampler.samples[-1][0] - sampler.samples[0][0]
    return [
        Growth(
            role,
            window_mean(points, 0, window_s),
            window_mean(points, warm_s, warm_s + window_s),
            window_mean(points, end - window_s, end + 1),
            slope_mb_per_min([p for p in points if p[0] >= warm_s]),
        )
        for role, points in sampler.series().items()
    ]


# ------------------------------------------------------------------ the run


@dataclass
class Run:
    args: argparse.Namespace
    tmp: Path
    chain: str
    url: str
    mix: Path
    phases: list[Phase] = field(default_factory=list)
    bare: list[Phase] = field(default_factory=list)
    soak: list[Phase] = field(default_factory=list)  # one per window of the soak's run
    soak_whole: Phase | None = None
    soak_rss: list[dict[str, float]] = field(default_factory=list)  # per soak window: process → mean RSS, MB
    soak_load: list[tuple[float, float]] = field(default_factory=list)  # per soak window: load average, CPU s
    growth: list[Growth] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def baseline(run: Run, port: int, label: str) -> None:
    bare_mix = run.tmp / "bare.tsv"
    write_mix(bare_mix, [("bare", 1)], {"bare": ["/bare"]})
    wrk(port, bare_mix, 2, run.args, 99, 10**6)  # warm-up
    phase = run_phase(label, port, bare_mix, run.args.baseline_seconds, run.args, 10**6)
    run.bare.append(phase)
    report(label, describe(phase, bare=True))


def warm(run: Run, port: int, inputs: Inputs) -> None:
    for label, paths in (
        ("merchant pages, hot set", [f"/merchants/{c}" for c in inputs.hot]),
        ("open API detail, hot set", [f"/api/v1/merchants/{c}" for c in inputs.hot]),
    ):
        report(f"warm-up: {label}", public.warm_up(public.Target(label, port, paths, until_warm=True), run.args))
    report("warm-up: the mix", describe(run_phase("warm-up", port, run.mix, run.args.warmup_seconds, run.args, 10**6)))


def loaded_phase(run: Run, port: int, background: Background) -> Phase:
    """Phase 3: the mix while the nightly recompute runs (appends and anchoring are already running); at least
    --seconds, then in runs of 3 × --window until the recompute has finished."""
    args = run.args
    background.go_writes.set()
    time.sleep(args.append_every)  # the first append commit
    background.go_recompute.set()
    phase = Phase("public + anchoring + recompute", os.getloadavg()[0])
    phase.slices.append(wrk(port, run.mix, args.seconds, args, 3, args.window))
    while background.recompute() is None and phase.seconds < args.seconds + args.recompute_timeout:
        phase.slices.append(wrk(port, run.mix, 3 * args.window, args, 3 + len(phase.slices), args.window))
    done = background.recompute()
    if done is None:
        run.notes.append("the recompute was still running at the end of phase 3; waited for it without load")
        while done is None:
            background.drain(5.0)
            done = background.recompute()
    start, end = done["start"], done["end"]
    report(
        "nightly recompute under load (recompute.recompute_all, the ratings.recompute job, in the scheduler process)",
        f"{done['text']}; started {done['start'] - phase.slices[0].t0:.1f} s into the phase",
    )
    if done["text"].startswith("error"):
        run.notes.append(f"the recompute failed: {done['text']}")
    during = phase.part("— windows while the recompute ran", lambda s, w: s.span(w)[0] < end and s.span(w)[1] > start)
    after = phase.part("— windows after it: appends + anchoring only", lambda s, w: s.span(w)[0] >= end)
    run.phases += [phase, during, after]
    return phase


def in_windows(wanted: set[int], _slice: Slice, w: int) -> bool:
    return w in wanted


def soak(run: Run, port: int, master: int) -> RssSampler:
    args = run.args
    seconds = args.soak_minutes * 60
    window = min(60.0, seconds / 4)
    section(f"Soak: {args.soak_minutes:g} min of the mix with appends and anchoring; RSS every {args.sample_every:g} s")
    sampler = RssSampler(master, args.sample_every)
    sampler.start()
    phase = run_phase("soak", port, run.mix, seconds, args, window)
    sampler.halt.set()
    sampler.join()
    run_ = phase.slices[0]
    groups = [[w] for w in sorted(run_.windows)]
    last_lo, last_hi = run_.span(groups[-1][0])
    if len(groups) > 1 and last_hi - last_lo < window / 2:
        tail = groups.pop()
        groups[-1] += tail  # a few seconds left over at the end: part of the last window
    for group in groups:
        lo, hi = run_.span(group[0])[0], run_.span(group[-1])[1]
        part = phase.part(f"{(hi - run_.start) / 60:.1f} min", functools.partial(in_windows, set(group)))
        run.soak.append(part)
        run.soak_rss.append(sampler.means(lo, hi))
        run.soak_load.append(sampler.load_and_cpu(lo, hi))
        load, cpu = run.soak_load[-1]
        report(
            f"soak, until {part.label}",
            f"{describe(part)}; load average {load:.1f}, gunicorn CPU {cpu * 1000 / max(1, part.requests):.1f} ms "
            "per request",
        )
    phase.label = f"soak, {args.soak_minutes:g} min (appends + anchoring)"
    run.soak_whole = phase
    report(phase.label, describe(phase))
    return sampler


def final_anchor(run: Run) -> None:
    app = make_app(run.url, run.tmp, run.chain)
    with app.app_context():
        dead = db.session.execute(
            sa.text(
                "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE n_dead_tup > 0 "
                "ORDER BY n_dead_tup DESC LIMIT 6"
            )
        ).all()
        report(
            "dead row versions left by the run (autovacuum is off on this server)",
            ", ".join(f"{r.relname} {r.n_dead_tup:,}" for r in dead) or "none",
        )
        result = anchoring.anchor_pending()
        pending = ledger_services.pending_leaves()
        report(
            "after the writer stopped: one more anchoring run",
            f"{result}; ledger size {tree_size():,}; leaves not anchored: {pending}",
            "0 unanchored",
            pending == 0,
        )
        db.session.remove()
        db.engine.dispose()


def wait_pid(path: Path) -> int:
    """The gunicorn master's pid from its --pid file."""
    deadline = time.monotonic() + 30
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn wrote no pid file {path}")
        time.sleep(0.1)
    return int(path.read_text())


def site_env(run: Run) -> dict[str, str]:
    return {
        "HM_BENCH_DB_URL": run.url,
        "HONESTMETER_VAR_DIR": str(run.tmp),
        "SECRET_KEY": SECRET,
        "HONESTMETER_ENV": "production",
        "PUBLIC_PAGE_CACHE_SIZE": "",  # the default: 2,000 per worker
        "LEDGER_CHAIN": run.chain,
        "PROXY_HOPS": "1" if run.args.clients else "0",
    }


def measure(run: Run, inputs: Inputs) -> None:
    args = run.args
    pid_file = run.tmp / "site.pid"
    paths = mix_paths(inputs)
    write_mix(run.mix, [(name, weight) for name, weight, _ in MIX], paths)
    background = Background(run.url, run.tmp, run.chain, args)
    sampler = None
    with (
        public.gunicorn("public:bare_app()", site_env(run), args) as bare_port,
        public.gunicorn("public:site_app()", site_env(run), args, ["--pid", str(pid_file)]) as site_port,
    ):
        master = wait_pid(pid_file)
        check_routes(site_port, paths)
        section(f"Baseline: bare Flask JSON route; wrk, {args.connections} connections")
        baseline(run, bare_port, "bare Flask JSON route, before")
        section("Warm-up (untimed)")
        background.start()  # its imports and app creation overlap the warm-up
        warm(run, site_port, inputs)
        ready = background.ready()
        report("appending and scheduler processes", f"started with the warm-up; {ready:.0f} s waited for them after it")
        section(f"Phase 2: public traffic only, {args.seconds:g} s")
        run.phases.append(run_phase("public only", site_port, run.mix, args.seconds, args, args.window))
        report("public only", describe(run.phases[0]))
        section("Phase 3: public traffic + ledger appends + anchoring on anvil + the nightly grade recompute")
        marks = [time.time()]
        loaded_phase(run, site_port, background)
        for p in run.phases[-3:]:
            report(p.label, describe(p) if p.seconds else "no time window")
        marks.append(time.time())
        if args.soak_minutes > 0:
            sampler = soak(run, site_port, master)
        marks.append(time.time())
        background.stop()
        run.notes += background.problems
        report("appends and anchoring in phase 3", background.summary(marks[0], marks[1]))
        if sampler is not None:
            report("appends and anchoring during the soak", background.summary(marks[1], marks[2]))
        final_anchor(run)
        section("Baseline again")
        baseline(run, bare_port, "bare Flask JSON route, after")
    if sampler is not None:
        memory(run, sampler)


def memory(run: Run, sampler: RssSampler) -> None:
    args = run.args
    seconds = sampler.samples[-1][0] - sampler.samples[0][0]
    warm_s = min(args.soak_warmup * 60, seconds / 4)
    window = min(60.0, seconds / 4)
    run.growth = analyse_rss(sampler, warm_s, window)
    section("Memory over the soak")
    requests = sum(p.requests for p in run.soak)
    workers = [g for g in run.growth if g.role != "master"]
    after_warmup = requests * (seconds - warm_s) / seconds / max(1, len(workers))
    for g in run.growth:
        report(
            f"RSS {g.role}",
            f"first {window:.0f} s {g.first:.1f} MB; first {window:.0f} s after {warm_s:.0f} s warm-up "
            f"{g.first_after_warmup:.1f} MB; last {window:.0f} s {g.last:.1f} MB ({g.growth:+.1%}); "
            f"slope after warm-up {g.slope:+.2f} MB/min",
            f"growth ≤ {args.growth_threshold:g} %",
            g.growth <= args.growth_threshold / 100,
        )
    if len(workers) != args.workers:
        report("gunicorn workers", f"{len(workers)} worker pids seen for {args.workers} workers: some restarted")
    if workers and after_warmup:
        rss = statistics.mean(g.first_after_warmup for g in workers)
        catches = args.growth_threshold / 100 * rss * 2**20 / after_warmup
        report(
            "what the threshold catches",
            f"{after_warmup:,.0f} requests per worker after warm-up: a leak of ≥ {catches:,.0f} bytes per request "
            f"would grow a {rss:.0f} MB worker by more than {args.growth_threshold:g} %",
        )
    pages = [s for n, s in run.phases[0].classes().items() if n.startswith("page_")]
    body = sum(s.bytes for s in pages) / max(1, sum(s.responses for s in pages))
    size = args.page_cache_size
    report(
        "page cache bound (honestmeter/public/page_cache.py: a TTLCache of maxsize entries per worker)",
        f"{size:,} entries × {body / 1024:.1f} kB (mean merchant page) ≈ {size * body / 2**20:.0f} MB per worker",
    )


# ------------------------------------------------------------------ output


def md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def phase_table(run: Run) -> None:
    base = statistics.mean(p.rate for p in run.bare)
    print("\n| phase | load average at start | req/s | / bare | p50 | p95 | p99 | non-2xx/3xx | socket errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in [*run.bare, *run.phases, *([run.soak_whole] if run.soak_whole else [])]:
        if not p.seconds:
            continue
        bare = any(p is b for b in run.bare)
        sockets = p.socket_errors
        cells = [p.label, f"{p.load_average:.1f}", f"{p.rate:,.0f}", "—" if bare else f"{p.rate / base:.1%}"]
        cells += [f"{p.ms(q):.1f} ms" for q in (50, 95, 99)]
        cells += [f"{p.errors()['status']:,}", "(per run)" if sockets is None else f"{sockets:,}"]
        print(md_row(cells))
    print(f"\nbare mean {base:,.0f} req/s; ratios against it")


def class_table(run: Run) -> None:
    shown = [p for p in run.phases[:2] if p.seconds]
    print("\n| class | share | " + " | ".join(f"{p.label}: req/s; p50 / p95 / p99" for p in shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for name, weight, _what in MIX:
        cells = [name, f"{weight:g} %"]
        for p in shown:
            s = p.classes().get(name, ClassStats())
            cells.append(f"{s.responses / p.seconds:,.1f}; {s.ms(50):.1f} / {s.ms(95):.1f} / {s.ms(99):.1f} ms")
        print(md_row(cells))


def soak_table(run: Run) -> None:
    if not run.soak:
        return
    roles = [g.role for g in run.growth]
    head = "| soak, until | load average | req/s | gunicorn CPU per request | p50 | p95 | p99 | non-2xx/3xx | "
    print("\n" + head + " | ".join(f"RSS {r}" for r in roles) + " |")
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(roles))
    for p, rss, (load, cpu) in zip(run.soak, run.soak_rss, run.soak_load, strict=True):
        cells = [p.label, f"{load:.1f}", f"{p.rate:,.0f}", f"{cpu * 1000 / max(1, p.requests):.1f} ms"]
        cells += [*(f"{p.ms(q):.1f} ms" for q in (50, 95, 99)), f"{p.errors()['status']:,}"]
        print(md_row(cells + [f"{rss.get(r, float('nan')):.1f} MB" for r in roles]))
    print("\n| process | RSS first minute | first minute after warm-up | last minute | growth | slope after warm-up |")
    print("|---|---|---|---|---|---|")
    for g in run.growth:
        cells = [g.role, f"{g.first:.1f} MB", f"{g.first_after_warmup:.1f} MB", f"{g.last:.1f} MB"]
        print(md_row([*cells, f"{g.growth:+.1%}", f"{g.slope:+.2f} MB/min"]))


# ------------------------------------------------------------------ main


def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    binary = find_anvil(public.REPO_DIR)
    if binary is None:
        raise SystemExit("anvil is not installed: make install")
    tmp = Path(tempfile.mkdtemp(prefix="hm-bench-load-"))  # var/ (ledger keys), anvil's state, the mix files
    admin = admin_engine(args)
    try:
        section(f"World: {args.merchants:,} merchants (PostgreSQL, loopback)")
        world = ensure_world(args, admin, tmp)
        if args.build_only:
            return
        node = AnvilNode(binary, tmp / "chain", port=public.free_port())
        with node, run_copy(admin, world, args.keep) as url:
            run_ = Run(args, tmp, node.url, url, tmp / "mix.tsv")
            inputs = prepare_run(url, tmp, node.url, args)
            measure(run_, inputs)
    finally:
        admin.dispose()
        if args.keep:
            print(f"kept: {RUN_DB} and {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    section("Figures (Markdown)")
    phase_table(run_)
    class_table(run_)
    soak_table(run_)
    for note in run_.notes:
        print(f"\nNote: {note}")


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 merchants, 30 s phases, 1-minute soak")
    parser.add_argument("--merchants", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="phases 2 and 3 (3 lasts until the recompute ends)"
    )
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-seconds", type=float, default=30.0, help="of the mix, after the hot-set warm-up")
    parser.add_argument("--warmup", type=float, default=5.0, help="each hot-set warm-up run (bench/public.py)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per time window of phase 3")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=10, help="wrk: a response slower than this is an error")
    parser.add_argument("--clients", type=int, default=50_000, help="X-Forwarded-For addresses; 0: none")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--hot", type=int, default=1000, help="merchants in the hot set")
    parser.add_argument("--cold", type=int, default=50_000, help="random merchants for the cold classes")
    parser.add_argument("--queries", type=int, default=1000, help="distinct search queries")
    parser.add_argument("--leaves", type=int, default=20_000, help="leaf hashes for the verification classes")
    parser.add_argument("--append-every", type=float, default=1.0, help="seconds between ledger append commits")
    parser.add_argument("--append-batch", type=int, default=5, help="records per append commit")
    parser.add_argument("--anchor-every", type=float, default=10.0, help="seconds between anchoring runs")
    parser.add_argument("--nightly-changes", type=float, default=0.01, help="share of merchants with a new fact")
    parser.add_argument("--recompute-timeout", type=float, default=900.0, help="longest phase 3 may run over")
    parser.add_argument("--soak-minutes", type=float, default=10.0, help="0: no soak")
    parser.add_argument("--soak-warmup", type=float, default=1.0, help="minutes of the soak not judged")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--growth-threshold", type=float, default=5.0, help="%% RSS growth that flags a process")
    parser.add_argument("--keep", action="store_true", help=f"keep the run's copy ({RUN_DB}) and files")
    parser.add_argument("--rebuild", action="store_true", help="build and prime the kept world again")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the kept world and stop")
    args = parser.parse_args()
    if args.quick:
        args.merchants, args.seconds, args.baseline_seconds, args.warmup_seconds = 20_000, 30.0, 10.0, 5.0
        args.warmup, args.soak_minutes, args.hot, args.cold = 1.0, min(args.soak_minutes, 1.0), 200, 5000
        args.sample_every = 5.0
    args.page_cache_size = page_cache.DEFAULT_SIZE
    return args


def main() -> None:
    args = options()
    print(
        f"load benchmark: {args.merchants:,} merchants; load average {os.getloadavg()[0]:.2f} "
        f"(1/5/15 min: {', '.join(f'{x:.2f}' for x in os.getloadavg())}); {os.cpu_count()} CPUs; "
        f"{json.dumps(sys.argv[1:])}"
    )
    started = time.perf_counter()
    run(args)
    summary()
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
