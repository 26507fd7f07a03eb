"""Benchmark: the public site under gunicorn on PostgreSQL with 1 M merchants (DESIGN §9).

Usage: .venv/bin/python bench/public.py [--merchants 1000000] [--quick] [--pg-url URL] [--seconds 20]
                                        [--connections 8] [--latency-requests 400] [--hot 1000]
                                        [--reuse] [--keep] [--build-only]

Bars (DESIGN §9, issue 7): public merchant lookup ≥ 40 % of a bare Flask JSON route's throughput in the same run and
p95 ≤ 30 ms; name search over 1 M merchants p95 ≤ 100 ms.

World: a scratch PostgreSQL database (`hm_bench_public`, next to --pg-url's; dropped afterwards unless --keep) built
by the migrations, then COPY-loaded, untimed: merchants with names in the style of the demo data (district,
two-character brand, surname, sector word, branch or number; pinyin initials from merchants.search), valid USCCs,
a grade mix with a grade change each; 0–4 instruments, a commitment for about 65 % (no listings, results or
penalties: the page's queries for them find nothing). The search's
GIN indexes are dropped for the load and rebuilt after it (their build time is printed: about what the migration's
CREATE INDEX CONCURRENTLY costs on a directory this size), then VACUUM ANALYZE (autovacuum is off on this server).

Servers: gunicorn instances started by this script on free loopback ports with the same settings (--workers 2,
gthread, --threads 4): `public:bare_app()`, a plain Flask app whose /bare returns a small JSON object (the
baseline), and `public:site_app()`, the real application on the scratch database (rate limits raised so that one
client address is not throttled: the limiter still runs) with the default page cache (PUBLIC_PAGE_CACHE_SIZE 2,000
pages per worker, honestmeter/public/page_cache.py); a third, the same with PUBLIC_PAGE_CACHE_SIZE=0, only for the
uncached merchant-page run.

Client: this script, `--connections` keep-alive HTTP/1.1 connections over two processes of threads on raw sockets
(cheaper per request than http.client, so the client takes less of the 2 shared cores). For each target:
a warm-up, then throughput over `--seconds` (p50/p95 under that load are printed too), then latency: one
connection, `--latency-requests` requests in a row, p50/p95 (the bars' p95). The bare route is measured before and
after the site's targets and the ratios use the mean of the two.

Targets:
- GET /merchants/<uscc>, cold: about 200,000 USCCs sampled over the whole directory, requested at random, so nearly
  every request misses the page cache (the one-at-a-time requests use further codes never requested: all misses);
  the same on the PUBLIC_PAGE_CACHE_SIZE=0 server;
- GET /merchants/<uscc>, warm: a hot set of --hot merchants (fits each worker's cache) requested again and again,
  after a warm-up in which each connection walks the hot set in order, repeated until the throughput stops
  rising. It models repeat QR scans at busy premises with no ledger writes during the run: the cache key holds
  the ledger's tree size, so any append misses every page;
- GET /api/v1/merchants/<uscc> (the open API; no server-side cache), cold codes as above;
- GET /api/v1/results?per_page=20 (the world has no published results: the API's own per-request overhead);
- name search GET /?q=… and /api/v1/merchants?q=…. Search queries: 40 % a two-character fragment of a random
  merchant's name, 30 % a three-character fragment, 20 % the first three or four pinyin initials of a random name,
  10 % two or three characters no name contains. The same queries are also timed in-process (SQL and ORM only:
  `search.page_of`), to separate the database from rendering.
A target answering 404 for a known code is reported "not available".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from figures import report, section, summary
from flask import Flask
from flask_migrate import upgrade

from honestmeter.app import create_app
from honestmeter.commitments import services as commitment_services
from honestmeter.config import normalize_database_url
from honestmeter.extensions import db
from honestmeter.merchants import initials, search, uscc
from honestmeter.merchants import queries as merchant_queries

PG_SCRATCH_DB = "hm_bench_public"
BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
GUNICORN = REPO_DIR / ".venv/bin/gunicorn"
LOOKUP_RATIO_BAR = 0.40
LOOKUP_P95_MS = 30.0
SEARCH_P95_MS = 100.0
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)

# ------------------------------------------------------------------ the apps gunicorn serves


def bare_app() -> Flask:
    """The baseline: Flask and nothing else, one JSON route."""
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return {"ok": True, "uscc": "91330106MA2XXXXXX0"}

    return app


def site_app() -> Flask:
    """The real application on the benchmark's database (settings from the environment this script passes)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["HM_BENCH_DB_URL"],
            "API_RATE_LIMIT": "100000000 per minute",
            "TRACKING_RATE_LIMIT": "100000000 per minute",
        }
    )


# ------------------------------------------------------------------ the world

CITIES = ("杭州", "温州", "广州", "深圳", "宁波", "绍兴")
BRAND_CHARS = "华联惠民鑫源永辉金穗百佳和兴顺发东方新利安康福瑞祥泰隆盛昌德信宏达丰益万家乐美好又多天虹大润君悦海"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
SECTOR_WORDS = {
    "market": ("农贸市场", "菜市场", "水产摊位", "肉类摊位", "果蔬店"),
    "fuel": ("加油站", "加油加气站"),
    "catering": ("餐厅", "饭店", "酒家", "火锅店", "面馆"),
    "retail": ("超市", "便利店", "商行", "购物中心"),
    "optical": ("眼镜店", "眼镜中心", "视光中心"),
    "medical": ("诊所", "医院", "卫生院", "门诊部"),
}
SECTOR_WEIGHTS = (22, 6, 20, 30, 10, 12)
ROADS = ("解放路", "中山路", "人民路", "建设路", "文三路", "延安路", "滨江大道", "环城北路", "学院路", "凤起路")
GRADE_MIX = (("A", 10), ("B", 55), ("C", 15), ("D", 5), (None, 15))
SCORES = {"A": 92, "B": 82, "C": 68, "D": 55}
MERCHANT_COLUMNS = (
    "id, uscc, uscc_override, name, name_initials, sector_code, region_code, address, legal_representative, "
    "contact_phone, status, grade, score, graded_on, grade_rule_version, created_at, updated_at"
)
COLUMNS = {
    "merchants": MERCHANT_COLUMNS,
    "instruments": (
        "merchant_id, type_id, serial_number, use, status, first_verified_on, last_verified_on, next_due_on, "
        "failed_on, created_at, updated_at"
    ),
    "commitments": (
        "merchant_id, template_id, text_sha256, signer_name, signer_title, signed_at, valid_from, valid_until, status"
    ),
    "grade_changes": (
        "merchant_id, grade, score, previous_grade, previous_score, rule_version, reasons, overrides, graded_on, at, "
        "cause"
    ),
}
GIN_INDEXES = {
    "ix_merchants_name_trgm": "CREATE INDEX ix_merchants_name_trgm ON merchants USING gin (name gin_trgm_ops)",
    "ix_merchants_name_initials_trgm": (
        "CREATE INDEX ix_merchants_name_initials_trgm ON merchants USING gin (name_initials gin_trgm_ops)"
    ),
    "ix_merchants_name_grams": "CREATE INDEX ix_merchants_name_grams ON merchants USING gin (hm_short_grams(name))",
    "ix_merchants_name_initials_grams": (
        "CREATE INDEX ix_merchants_name_initials_grams ON merchants USING gin (hm_short_grams(name_initials))"
    ),
}


def merchant_name(rng: random.Random, sector: str, district: str) -> str:
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(CITIES) if rng.random() < 0.5 else district)
    parts.append(rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS))
    if rng.random() < 0.35:
        parts.append(rng.choice(SURNAMES) + rng.choice("记氏家"))
    parts.append(rng.choice(SECTOR_WORDS[sector]))
    branch = rng.random()
    if branch < 0.15:
        parts.append(f"（{rng.choice(ROADS)}店）")
    elif branch < 0.35:
        parts.append(f"{rng.randint(1, 99)}号")
    return "".join(parts)


def _initials(names: Sequence[str]) -> list[str]:
    return [initials.name_initials(n) for n in names]


def world(
    rng: random.Random, merchants: int, regions: Sequence[tuple[str, str]], template_id: int, types: list[int]
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows per table, as tuples in the column order of COLUMNS (merchant ids 1…n)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    sectors = list(SECTOR_WORDS)
    grades_, grade_weights = [g for g, _ in GRADE_MIX], [w for _, w in GRADE_MIX]
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS}
    names: list[str] = []
    taken: set[str] = set()
    for i in range(1, merchants + 1):
        sector = rng.choices(sectors, SECTOR_WEIGHTS)[0]
        region, district = rng.choice(regions)
        code = uscc.random_code(rng, region)
        while code in taken:
            code = uscc.random_code(rng, region)
        taken.add(code)
        grade = rng.choices(grades_, grade_weights)[0]
        graded_on = TODAY - timedelta(days=rng.randint(0, 200)) if grade else None
        names.append(merchant_name(rng, sector, district))
        out["merchants"].append(
            (
                i,
                code,
                False,
                names[-1],
                None,
                sector,
                region,
                f"{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                rng.choice(SURNAMES) + "某",
                "0571-88888888",
                "active",
                grade,
                SCORES.get(grade or ""),
                graded_on,
                1 if grade else None,
                now,
                now,
            )
        )
        if grade:
            out["grade_changes"].append((i, grade, SCORES[grade], None, None, 1, "[]", "[]", graded_on, now, "nightly"))
        for n in range(rng.choices([0, 1, 2, 3, 4], [10, 25, 35, 20, 10])[0]):
            verified = TODAY - timedelta(days=rng.randint(0, 300))
            due = verified + timedelta(days=365) if rng.random() > 0.1 else TODAY - timedelta(days=rng.randint(1, 90))
            out["instruments"].append(
                (i, types[n % len(types)], f"SN{i}-{n}", "trade", "in_use", verified, verified, due, None, now, now)
            )
        if rng.random() < 0.65:
            start = TODAY - timedelta(days=rng.randint(0, 300))
            out["commitments"].append(
                (i, template_id, "0" * 64, "张三", "法定代表人", now, start, start + timedelta(days=364), "active")
            )
    # pypinyin costs about 0.1 ms a name: both cores.
    chunk = 20_000
    with multiprocessing.get_context("fork").Pool(2) as pool:
        initials = [
            x for part in pool.map(_initials, [names[s : s + chunk] for s in range(0, len(names), chunk)]) for x in part
        ]
    out["merchants"] = [(*row[:4], ini, *row[5:]) for row, ini in zip(out["merchants"], initials, strict=True)]
    return out


def load(rows: dict[str, list[tuple[Any, ...]]]) -> float:
    """COPY every table with the search's GIN indexes dropped; returns the seconds their rebuild took."""
    for name in GIN_INDEXES:
        db.session.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    db.session.commit()
    conn = db.session.connection().connection.driver_connection
    assert conn is not None  # noqa: S101
    for table, columns in COLUMNS.items():
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows[table]:
                copy.write_row(row)
    db.session.execute(sa.text("SELECT setval('merchants_id_seq', (SELECT max(id) FROM merchants))"))
    db.session.commit()
    start = time.perf_counter()
    for ddl in GIN_INDEXES.values():
        db.session.execute(sa.text(ddl))
    db.session.commit()
    built = time.perf_counter() - start
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")
    return built


@contextmanager
def scratch_postgres(
    admin_url: str, *, reuse: bool, keep: bool, name: str = PG_SCRATCH_DB
) -> Iterator[tuple[str, bool]]:
    """(url, existed): the scratch database `name`, created unless --reuse finds it (bench/load.py names its own)."""
    admin = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if exists and not reuse:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        if not exists or not reuse:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        yield normalize_database_url(url), bool(exists and reuse)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


# ------------------------------------------------------------------ a small keep-alive HTTP client


class Connection:
    """HTTP/1.1 GET over one keep-alive socket; Content-Length and chunked bodies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = sock, b""
        return sock

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _take_line(self, sock: socket.socket) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill(sock)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, sock: socket.socket, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill(sock)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            sock = self.sock or self._connect()
            try:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii"))
                return self._response(sock)
            except (ConnectionError, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _response(self, sock: socket.socket) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill(sock)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip().lower()
        if headers.get(b"transfer-encoding") == b"chunked":
            parts = []
            while True:
                size = int(self._take_line(sock).split(b";")[0], 16)
                if size == 0:
                    self._take_line(sock)
                    break
                parts.append(self._take(sock, size))
                self._take(sock, 2)
            body = b"".join(parts)
        else:
            body = self._take(sock, int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection") == b"close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""


@dataclass
class Load:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _client_process(
    port: int,
    paths: Sequence[str],
    threads: int,
    start: float,
    stop: float,
    seed: int,
    out: Any,
    walk: tuple[int, int] | None = None,
) -> None:
    """walk: (index of this process's first connection, connections in all): each connection walks `paths` in
    order from its own offset instead of picking at random."""
    loads = [Load() for _ in range(threads)]

    def run(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn, load = Connection(port), loads[n]
        position = (walk[0] + n) * len(paths) // walk[1] if walk else 0
        now = time.time()
        while time.time() < start:
            time.sleep(0.001)
        while (now := time.time()) < stop:
            if walk:
                path, position = paths[position % len(paths)], position + 1
            else:
                path = paths[rng.randrange(len(paths))]
            t0 = time.perf_counter()
            try:
                status, _ = conn.get(path)
            except OSError:
                load.errors += 1
                continue
            load.latencies.append(time.perf_counter() - t0)
            load.statuses[status] += 1
            load.requests += 1
        conn.close()
        load.seconds = max(0.0, min(now, stop) - start)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total = Load()
    for load in loads:
        total.requests += load.requests
        total.latencies += load.latencies
        total.statuses.update(load.statuses)
        total.errors += load.errors
    total.seconds = stop - start
    out.put(total)


def throughput(port: int, paths: Sequence[str], seconds: float, connections: int, *, walk: bool = False) -> Load:
    """`connections` keep-alive connections (two processes of threads) requesting `paths` at random for `seconds`
    (walk: each connection walks them in order from its own offset)."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = 2 if connections > 1 else 1
    start = time.time() + 0.3
    threads = [connections // procs + (p < connections % procs) for p in range(procs)]
    children = [
        ctx.Process(
            target=_client_process,
            args=(port, paths, threads[p], start, start + seconds, p, out),
            kwargs={"walk": (sum(threads[:p]), connections) if walk else None},
        )
        for p in range(procs)
    ]
    for child in children:
        child.start()
    parts = [out.get() for _ in children]
    for child in children:
        child.join()
    total = Load(seconds=seconds)
    for part in parts:
        total.requests += part.requests
        total.latencies += part.latencies
        total.statuses.update(part.statuses)
        total.errors += part.errors
    return total


def sequential(port: int, paths: Sequence[str], count: int) -> Load:
    """One connection, `count` requests in a row (paths in order, cycling): latency without queueing."""
    conn, load = Connection(port), Load()
    start = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        status, _ = conn.get(paths[n % len(paths)])
        load.latencies.append(time.perf_counter() - t0)
        load.statuses[status] += 1
        load.requests += 1
    load.seconds = time.perf_counter() - start
    conn.close()
    return load


# ------------------------------------------------------------------ gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str], args: argparse.Namespace, extra: Sequence[str] = ()) -> Iterator[int]:
    """A gunicorn on a free loopback port serving `app` (extra: more gunicorn options, e.g. bench/load.py's --pid)."""
    port = free_port()
    command = [
        str(GUNICORN), "--chdir", str(BENCH_DIR), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", "gthread", "--threads", str(args.threads), "--log-level", "warning", *extra, app,
    ]  # fmt: skip
    server = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)  # noqa: S603 — our gunicorn
    try:
        deadline = time.time() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn {app} exited with {server.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ------------------------------------------------------------------ the measurements


@dataclass
class Target:
    label: str
    port: int
    paths: list[str]
    ok_statuses: tuple[int, ...] = (200,)
    latency_paths: list[str] | None = None  # the one-at-a-time requests (default: `paths`)
    lookup: bool = True  # judged against the merchant-lookup bars (otherwise the search bar, or none)
    until_warm: bool = False  # warm up until the throughput stops rising (fills the page caches)
    note: str = ""


def available(target: Target) -> bool:
    status, _ = Connection(target.port).get(target.paths[0])
    return status in target.ok_statuses


def warm_up(target: Target, args: argparse.Namespace) -> str:
    """Runs of --warmup seconds in which every connection walks the hot set in order from its own offset (so each
    worker that holds a connection gets every page), until two runs in a row are no faster than the best before by
    more than 3 % (at least 4 runs, at most 30)."""
    rates: list[float] = []
    flat = 0
    started = time.perf_counter()
    while len(rates) < 30:
        rate = throughput(target.port, target.paths, args.warmup, args.connections, walk=True).rate
        flat = flat + 1 if rates and rate <= 1.03 * max(rates) else 0
        rates.append(rate)
        if len(rates) >= 4 and flat >= 2:
            break
    return f"warm-up {time.perf_counter() - started:.0f} s, req/s per {args.warmup:.0f} s run: " + ", ".join(
        f"{r:,.0f}" for r in rates
    )


def measure(target: Target, args: argparse.Namespace) -> tuple[Load, Load]:
    if target.until_warm:
        report(f"{target.label}: warm-up", warm_up(target, args))
    else:
        throughput(target.port, target.paths, args.warmup, args.connections)
    loaded = throughput(target.port, target.paths, args.seconds, args.connections)
    alone = sequential(target.port, target.latency_paths or target.paths, args.latency_requests)
    for load in (loaded, alone):
        bad = {s: n for s, n in load.statuses.items() if s not in target.ok_statuses}
        if bad or load.errors:
            raise SystemExit(f"{target.label}: unexpected answers {bad}, {load.errors} connection errors")
    return loaded, alone


def describe(loaded: Load, alone: Load) -> str:
    return (
        f"{loaded.rate:,.0f} req/s (under load p50 {loaded.ms(50):.1f} ms, p95 {loaded.ms(95):.1f} ms); "
        f"one at a time p50 {alone.ms(50):.1f} ms, p95 {alone.ms(95):.1f} ms"
    )


def search_queries(
    rng: random.Random, names: Sequence[str], initials: Sequence[str], count: int
) -> list[tuple[str, str]]:
    """(kind, q) pairs in the stated mix."""
    kinds = rng.choices(["2 chars", "3 chars", "initials", "no match"], [40, 30, 20, 10], k=count)
    out = []
    absent = "麦肯汉堡咖啡茶饮奶茶宠物书店花店"
    for kind in kinds:
        if kind == "no match":
            n = rng.choice((2, 3))
            start = rng.randrange(0, len(absent) - n, n)
            out.append((kind, absent[start : start + n]))
            continue
        i = rng.randrange(len(names))
        if kind == "initials":
            out.append((kind, initials[i][: rng.choice((3, 4))]))
            continue
        n = 2 if kind == "2 chars" else 3
        name = names[i].split("（")[0]
        start = rng.randrange(0, max(1, len(name) - n + 1))
        out.append((kind, name[start : start + n]))
    return out


def sql_timings(queries: Sequence[tuple[str, str]]) -> dict[str, list[float]]:
    """search.page_of for each query in-process (database and ORM, no HTTP or rendering), by kind."""
    by_kind: dict[str, list[float]] = {}
    for kind, q in queries:
        start = time.perf_counter()
        search.page_of(merchant_queries.search_stmt(q), 1)
        by_kind.setdefault(kind, []).append(time.perf_counter() - start)
        db.session.rollback()
    return by_kind


def build_world(args: argparse.Namespace, rng: random.Random) -> None:
    upgrade()
    commitment_services.seed_default_templates()
    template = commitment_services.current_template("retail")
    if template is None:
        raise SystemExit("no commitment text for the retail sector")
    types = list(db.session.scalars(sa.text("SELECT id FROM instrument_types WHERE mode IN ('V', 'P+V') ORDER BY id")))
    regions = [(r.code, r.name) for r in db.session.execute(sa.text("SELECT code, name FROM regions WHERE level = 3"))]
    db.session.commit()
    start = time.perf_counter()
    rows = world(rng, args.merchants, sorted(regions), template.id, types[:6])
    made = time.perf_counter() - start
    start = time.perf_counter()
    built = load(rows)
    counts = ", ".join(f"{t} {len(r):,}" for t, r in rows.items())
    report(
        "load world (untimed for the bars)",
        f"generated in {made:.0f} s, COPY + VACUUM ANALYZE {time.perf_counter() - start:.0f} s: {counts}",
    )
    report("search GIN indexes (trigram and short grams, name and initials), built after the load", f"{built:.1f} s")


@dataclass
class Inputs:
    cold: list[str]  # USCCs from the whole directory, in random order, for the cache-miss runs
    cold_latency: list[str]  # a disjoint slice for the one-at-a-time requests: never requested before, so misses
    hot: list[str]  # the hot set of the warm-cache run, disjoint from both
    queries: list[tuple[str, str]]


def prepare(url: str, tmp: Path, args: argparse.Namespace, rng: random.Random, existed: bool) -> Inputs:
    """The world (built, or reused), the lookup codes and search queries, and the in-process search timings."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "VAR_DIR": str(tmp), "SECRET_KEY": "bench"})
    with app.app_context():
        if existed and db.session.scalar(sa.text("SELECT count(*) FROM merchants")) == args.merchants:
            report("world", "reused from an earlier --keep run")
        else:
            build_world(args, rng)
        sample = db.session.execute(
            sa.text("SELECT uscc, name, name_initials FROM merchants TABLESAMPLE SYSTEM (5) LIMIT 20000")
        ).all()
        codes = list(db.session.scalars(sa.text("SELECT uscc FROM merchants TABLESAMPLE SYSTEM (21) LIMIT 200000")))
        db.session.commit()
        random.Random(len(codes)).shuffle(codes)  # its own generator: the search queries stay those of earlier runs
        n, hot = args.latency_requests, args.hot
        latency, hot_set, cold = codes[:n], codes[-hot:], codes[n:-hot]
        queries = search_queries(rng, [r.name for r in sample], [r.name_initials for r in sample], args.queries)
        sql = sql_timings(queries[:400])
        everything = [t for times in sql.values() for t in times]
        report(
            "name search, SQL + ORM in-process (search.page_of, page 1 with capped count)",
            f"p50 {percentile(everything, 50) * 1000:.1f} ms, p95 {percentile(everything, 95) * 1000:.1f} ms; "
            + ", ".join(f"{k} p95 {percentile(v, 95) * 1000:.1f} ms" for k, v in sorted(sql.items())),
        )
        db.session.remove()
        db.engine.dispose()
    return Inputs(cold, latency, hot_set, queries)


def serve_and_measure(url: str, tmp: Path, inputs: Inputs, args: argparse.Namespace) -> None:
    env = {
        "HM_BENCH_DB_URL": url,
        "HONESTMETER_VAR_DIR": str(tmp),
        "SECRET_KEY": "bench",
        "HONESTMETER_ENV": "production",
        "PUBLIC_PAGE_CACHE_SIZE": "",  # the default: 2,000 pages per worker
    }
    uncached = {**env, "PUBLIC_PAGE_CACHE_SIZE": "0"}
    quoted = [urllib.parse.quote(q) for _, q in inputs.queries]
    config = f"gunicorn {args.workers} workers × {args.threads} gthread threads, {args.connections} connections"
    section(f"HTTP: {config}, {args.seconds:.0f} s per throughput run")
    cold_note = (
        f"cold: {len(inputs.cold):,} random USCCs over the whole directory, so nearly every request misses the "
        f"page cache; one at a time on {len(inputs.cold_latency)} further codes never requested before (all misses)"
    )
    with gunicorn("public:bare_app()", env, args) as bare_port, gunicorn("public:site_app()", env, args) as site_port:
        bare = Target("bare Flask JSON route", bare_port, ["/bare"])
        bare_runs = [measure(bare, args)]
        report("bare Flask JSON route (baseline)", describe(*bare_runs[0]))
        results: dict[str, tuple[Load, Load, Target]] = {}

        def page(uscc: str) -> str:
            return f"/merchants/{uscc}"

        targets = [
            Target(
                "merchant page GET /merchants/<uscc>, cold (page cache on, misses)",
                site_port,
                [page(c) for c in inputs.cold],
                latency_paths=[page(c) for c in inputs.cold_latency],
                note=cold_note,
            ),
            Target(
                "merchant page GET /merchants/<uscc>, PUBLIC_PAGE_CACHE_SIZE=0 (no cache)",
                0,  # its own gunicorn, started below
                [page(c) for c in inputs.cold],
                latency_paths=[page(c) for c in inputs.cold_latency],
                note="the same codes on a third gunicorn with the page cache off",
            ),
            Target(
                f"merchant page GET /merchants/<uscc>, warm (hot set of {len(inputs.hot):,}, page cache hits)",
                site_port,
                [page(c) for c in inputs.hot],
                until_warm=True,
                note=(
                    f"warm: {len(inputs.hot):,} merchants requested again and again after a warm-up (each connection "
                    "walks the hot set) until the throughput stops rising; models repeat QR scans at busy premises "
                    "with no ledger writes during the run (any ledger append changes the tree size and so misses "
                    "every cached page)"
                ),
            ),
            Target(
                "open API GET /api/v1/merchants/<uscc>, cold (cache on, misses)",
                site_port,
                [f"/api/v1/merchants/{c}" for c in inputs.cold],
                latency_paths=[f"/api/v1/merchants/{c}" for c in inputs.cold_latency],
                note="a miss runs the page's queries; the detail shares the page cache (kind api)",
            ),
            Target(
                f"open API GET /api/v1/merchants/<uscc>, warm (hot set of {len(inputs.hot):,}, cache hits)",
                site_port,
                [f"/api/v1/merchants/{c}" for c in inputs.hot],
                until_warm=True,
                note="warm: as the warm page, through the open API",
            ),
            Target(
                "open API GET /api/v1/results?per_page=20",
                site_port,
                ["/api/v1/results?per_page=20"],
                lookup=False,
                note="the bench world has no published results: an empty page, i.e. the API's own overhead",
            ),
            Target("name search page GET /?q=", site_port, [f"/?q={q}" for q in quoted], lookup=False),
            Target(
                "open API search GET /api/v1/merchants?q=",
                site_port,
                [f"/api/v1/merchants?q={q}" for q in quoted],
                lookup=False,
            ),
        ]
        for target in targets:
            if target.port == 0:
                with gunicorn("public:site_app()", uncached, args) as target.port:
                    results[target.label] = (*measure(target, args), target)
                continue
            if available(target):
                results[target.label] = (*measure(target, args), target)
            else:
                report(target.label, "not available (the route answers 404)")
        bare_runs.append(measure(bare, args))
        report("bare Flask JSON route again (after the site)", describe(*bare_runs[1]))
    base = statistics.mean(loaded.rate for loaded, _ in bare_runs)
    section("Results against the bars")
    report(
        "bare Flask JSON route, mean of the two runs",
        f"{base:,.0f} req/s (before {bare_runs[0][0].rate:,.0f}, after {bare_runs[1][0].rate:,.0f})",
    )
    for label, (loaded, alone, target) in results.items():
        ratio = loaded.rate / base
        if target.note:
            print(f"  ({target.note})")
        if target.lookup:
            report(
                f"{label}: throughput / bare",
                f"{loaded.rate:,.0f} / {base:,.0f} req/s = {ratio:.1%}",
                f"≥ {LOOKUP_RATIO_BAR:.0%}",
                ratio >= LOOKUP_RATIO_BAR,
            )
            report(
                f"{label}: latency",
                describe(loaded, alone),
                f"p95 ≤ {LOOKUP_P95_MS:.0f} ms",
                alone.ms(95) <= LOOKUP_P95_MS,
            )
            continue
        if "search" not in label:
            report(f"{label}: throughput", f"{describe(loaded, alone)}; / bare {ratio:.1%}")
            continue
        report(f"{label}: throughput", f"{describe(loaded, alone)}; / bare {ratio:.1%}")
        report(
            f"{label}: p95 one at a time",
            f"{alone.ms(95):.1f} ms",
            f"≤ {SEARCH_P95_MS:.0f} ms",
            alone.ms(95) <= SEARCH_P95_MS,
        )
        by_kind: dict[str, list[float]] = {}
        for n, latency in enumerate(alone.latencies):
            by_kind.setdefault(inputs.queries[n % len(inputs.queries)][0], []).append(latency)
        report(
            f"{label}: p95 by query kind",
            ", ".join(f"{k} {percentile(v, 95) * 1000:.1f} ms" for k, v in sorted(by_kind.items())),
        )


def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hm-bench-public-"))
    rng = random.Random(20261123)
    with scratch_postgres(args.pg_url, reuse=args.reuse, keep=args.keep) as (url, existed):
        section(f"PostgreSQL (loopback): {args.merchants:,} merchants")
        inputs = prepare(url, tmp, args, rng, existed)
        if not args.build_only:
            serve_and_measure(url, tmp, inputs, args)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 merchants, short runs: a smoke test")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--seconds", type=float, default=20.0, help="each throughput run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--latency-requests", type=int, default=400)
    parser.add_argument("--queries", type=int, default=1000, help="distinct search queries")
    parser.add_argument("--hot", type=int, default=1000, help="merchants in the warm-cache run's hot set")
    parser.add_argument("--reuse", action="store_true", help="reuse the scratch database of a --keep run")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database for --reuse")
    parser.add_argument("--build-only", action="store_true", help="build (or reuse) the world and stop; implies --keep")
    args = parser.parse_args()
    args.keep = args.keep or args.build_only
    if args.quick:
        args.merchants, args.seconds, args.warmup, args.latency_requests = 20_000, 4.0, 1.0, 100
        args.hot = min(args.hot, 200)  # 1 s warm-up runs: a hot set small enough to fill quickly
    print(
        f"public site benchmark: {args.merchants:,} merchants; load average {os.getloadavg()[0]:.2f}; "
        f"{os.cpu_count()} CPUs; {json.dumps(sys.argv[1:])}"
    )
    run(args)
    summary()


if __name__ == "__main__":
    main()
