"""Benchmark: the trusted ledger (DESIGN §4) against its bars (DESIGN §9), with baselines run in the same process.

Usage: .venv/bin/python bench/ledger.py [--leaves 200000] [--proof-leaves 1000000] [--pg-url URL | --no-pg] [--quick]

1. Append throughput: `services.append_many` in transactions of 1,000 small records (about 200 bytes of
   Chinese public data each), on a fresh SQLite file and on a scratch PostgreSQL database; baseline: a bare
   executemany of the same number of (index, 32-byte hash, bytes) rows into a plain table, same batches.
2. Proofs from the database at 1 M leaves (a log built on SQLite in large batches, timed separately):
   median and p95 of `services.inclusion_proof(i, size)` over random indices, warm.
3. Verification: median of `merkle.verify_inclusion` over those proofs.
4. Anchoring gas on a real anvil node started here, measured from receipts: gas per record at 1, 100 and
   1,000 records per anchor against one transaction per record.
5. Tree plus proofs in pure Python against pymerkle's InmemoryTree on the same random entries.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from figures import report, section, summary
from flask import Flask
from flask_migrate import upgrade
from pymerkle import InmemoryTree

from honestmeter.app import REPO_DIR, create_app
from honestmeter.config import normalize_database_url
from honestmeter.extensions import db
from honestmeter.ledger import canonical, merkle, services
from honestmeter.ledger.anvil import AnvilNode, find_anvil
from honestmeter.ledger.chain import Web3AnchorClient
from honestmeter.ledger.models import LedgerEntry, LedgerNode

PG_SCRATCH_DB = "hm_bench_ledger"
APPEND_BATCH = 1_000
GAS_BATCHES = (1, 100, 1_000)
GAS_BAR = 50  # gas per record at 1,000 records per anchor
GAS_RATIO_BAR = 500
GAS_START_SIZE = 1_000_000  # anchored tree sizes start where a 1 M-leaf log would be (calldata bytes)

T = TypeVar("T")
Row = dict[str, Any]  # a baseline row: idx, hash, data

# ------------------------------------------------------------------ figures


# ------------------------------------------------------------------ records and databases

SHOPS = ("诚信果蔬店", "鲜丰水果", "老王粮油批发部", "惠民菜市场摊位", "金秤海鲜行", "百味熟食店", "好邻居便利店")
DISTRICTS = ("杭州市西湖区", "宁波市海曙区", "温州市鹿城区", "绍兴市越城区", "嘉兴市南湖区", "金华市婺城区")
INSTRUMENTS = (("电子计价秤", "ACS-30"), ("电子台秤", "TCS-150"), ("加油机", "JQ-2211"), ("出租车计价器", "JJQ-5"))
INSPECTORS = ("王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊")
RESULTS = ("合格", "合格", "合格", "不合格：示值误差超差", "合格（已调校）")


def make_record(rng: random.Random, i: int) -> services.Record:
    """A realistic public fact: one inspection result, about 200 bytes of canonical data."""
    district, shop = rng.choice(DISTRICTS), rng.choice(SHOPS)
    name, model = rng.choice(INSTRUMENTS)
    data = {
        "merchant": f"{district}{shop}",
        "uscc": f"9133{rng.randrange(10**14):014d}",
        "instrument": name,
        "model": model,
        "serial": f"ZJ{rng.randrange(2019, 2027)}-{rng.randrange(10**6):06d}",
        "result": rng.choice(RESULTS),
        "inspector": rng.choice(INSPECTORS),
        "date": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
    }
    return services.Record("inspection.result", f"INS-{i:09d}", data)


def baseline_rows(records: Sequence[services.Record]) -> list[Row]:
    """What a plain log table would hold for the same records: (index, leaf hash, canonical bytes)."""
    at = datetime(2026, 11, 23, tzinfo=UTC)
    rows: list[Row] = []
    for i, r in enumerate(records):
        data = canonical.record_bytes(r.type, r.id, 1, at, r.data)
        rows.append({"idx": i, "hash": merkle.leaf_hash(data), "data": data})
    return rows


def make_app(url: str, var_dir: Path) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "VAR_DIR": str(var_dir)})
    with app.app_context():
        upgrade()
    return app


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database next to admin_url's; dropped afterwards. Yields its URL."""
    admin = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_SCRATCH_DB} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {PG_SCRATCH_DB}")
    try:
        yield normalize_database_url(admin.url.set(database=PG_SCRATCH_DB).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_SCRATCH_DB} WITH (FORCE)")
        admin.dispose()


def server_version() -> str:
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        return "SQLite " + str(db.session.scalar(sa.text("SELECT sqlite_version()")))
    return "PostgreSQL " + str(db.session.scalar(sa.text("SHOW server_version"))).split()[0]


# ------------------------------------------------------------------ 1. append throughput


Batches = list[tuple[int, float]]  # (records, seconds) per transaction


def append_timed(
    records: Sequence[services.Record], batch: int, after_first: Callable[[], None] | None = None
) -> Batches:
    """append_many + commit per transaction of `batch` records, each timed; after_first runs untimed."""
    times: Batches = []
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        t0 = time.perf_counter()
        services.append_many(chunk)
        db.session.commit()
        times.append((len(chunk), time.perf_counter() - t0))
        if after_first is not None and start == 0:
            after_first()
    return times


def rate(times: Batches) -> float:
    return sum(n for n, _ in times) / sum(s for _, s in times)


def tenths(times: Batches) -> tuple[Batches, Batches]:
    k = max(1, len(times) // 10)
    return times[:k], times[-k:]


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum's auto-analyze does on a production server."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def baseline_seconds(rows: Sequence[Row]) -> float:
    """The same number of (index, hash, bytes) rows through a bare executemany, same transactions."""
    blob = "BLOB" if db.session.get_bind().dialect.name == "sqlite" else "BYTEA"
    db.session.execute(
        sa.text(f"CREATE TABLE bench_ledger_baseline (idx BIGINT PRIMARY KEY, hash {blob}, data {blob})")
    )
    db.session.commit()
    insert = sa.text("INSERT INTO bench_ledger_baseline (idx, hash, data) VALUES (:idx, :hash, :data)")
    t0 = time.perf_counter()
    for start in range(0, len(rows), APPEND_BATCH):
        db.session.execute(insert, rows[start : start + APPEND_BATCH])
        db.session.commit()
    return time.perf_counter() - t0


def bench_append(
    label: str,
    url: str,
    var_dir: Path,
    records: Sequence[services.Record],
    rows: Sequence[Row],
    *,
    analyze_after_first: bool = False,
) -> None:
    app = make_app(url, var_dir)
    n = len(records)
    with app.app_context():
        print(f"  backend: {label} ({server_version()})")
        baseline = baseline_seconds(rows)
        times = append_timed(records, APPEND_BATCH, analyze if analyze_after_first else None)
        assert services.tree_size() == n  # noqa: S101
        assert services.current_root() == services.root_at(n)  # noqa: S101 — stored nodes agree with the frontier
        db.session.remove()
        db.engine.dispose()
    elapsed = sum(s for _, s in times)
    first, last = tenths(times)
    report(
        f"append, {label}",
        f"{n:,} leaves in {elapsed:.1f} s = {rate(times):,.0f} leaves/s "
        f"(first 10 % {rate(first):,.0f}/s, last 10 % {rate(last):,.0f}/s)",
        "≥ 10,000 leaves/s",
        rate(times) >= 10_000,
    )
    report(
        f"append baseline, {label}",
        f"bare executemany of {n:,} (index, hash, bytes) rows in {baseline:.2f} s = {n / baseline:,.0f} rows/s; "
        f"ledger / baseline time {elapsed / baseline:.1f}×",
    )


def bench_unanalyzed(url: str, var_dir: Path, records: Sequence[services.Record]) -> None:
    """PostgreSQL left as this server leaves a new database when autovacuum is off: no statistics at all."""
    app = make_app(url, var_dir)
    with app.app_context():
        times = append_timed(records, APPEND_BATCH)
        db.session.remove()
        db.engine.dispose()
    first, last = tenths(times)
    report(
        "append, PostgreSQL, tables never analysed",
        f"{len(records):,} leaves at {rate(times):,.0f} leaves/s "
        f"(first 10 % {rate(first):,.0f}/s, last 10 % {rate(last):,.0f}/s)",
    )


def bench_postgres(admin_url: str, var_dir: Path, records: Sequence[services.Record], rows: Sequence[Row]) -> None:
    engine = sa.create_engine(normalize_database_url(admin_url))
    with engine.connect() as conn:
        autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar()
    engine.dispose()
    print(
        f"  PostgreSQL autovacuum is {autovacuum} on this server: the run analyses the scratch database once, "
        "untimed, after the first transaction, as auto-analyze would"
    )
    with scratch_postgres(admin_url) as url:
        bench_append("PostgreSQL (loopback)", url, var_dir, records, rows, analyze_after_first=True)
    if autovacuum == "off":
        # Without statistics the planner reads every row of a record type to find a batch's versions.
        with scratch_postgres(admin_url) as url:
            bench_unanalyzed(url, var_dir, records[: max(APPEND_BATCH, len(records) // 10)])


# ------------------------------------------------------------------ 2–3. proofs and verification


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def build_log(n: int, batch: int, rng: random.Random) -> float:
    """Append n records in transactions of `batch`; the seconds spent appending and committing."""
    elapsed = 0.0
    for start in range(0, n, batch):
        chunk = [make_record(rng, i) for i in range(start, min(n, start + batch))]
        elapsed += sum(seconds for _, seconds in append_timed(chunk, batch))
    return elapsed


Timed = tuple[list[list[bytes]], list[float]]  # proofs and the seconds of each


def timed_proofs(indices: Sequence[int], size: int, prove: Callable[[int, int], list[bytes]]) -> Timed:
    proofs: list[list[bytes]] = []
    times: list[float] = []
    for i in indices:
        t0 = time.perf_counter()
        proof = prove(i, size)
        times.append(time.perf_counter() - t0)
        proofs.append(proof)
    return proofs, times


def pk_proof(index: int, size: int) -> list[bytes]:
    """Diagnostic only: services.inclusion_proof with its inner nodes fetched by OR-ed primary-key lookups
    instead of `(level, idx) IN (VALUES …)`, which SQLite answers by scanning the whole table."""
    needed = merkle.nodes_for_inclusion(index, size)
    found = {(0, i): h for i, h in leaf_hashes([i for level, i in needed if level == 0]).items()}
    inner = [(level, i) for level, i in needed if level > 0]
    if inner:
        rows = db.session.execute(
            sa.select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                sa.or_(*(sa.and_(LedgerNode.level == level, LedgerNode.index == i) for level, i in inner))
            )
        )
        found.update({(level, i): h for level, i, h in rows})
    return merkle.inclusion_proof(index, size, lambda level, i: found[level, i])


def bench_proofs(n: int, samples: int, build_batch: int, var_dir: Path, rng: random.Random) -> None:
    app = make_app(f"sqlite:///{var_dir / 'proofs.db'}", var_dir)
    with app.app_context():
        build = build_log(n, build_batch, rng)
        report(f"build {n:,}-leaf log on SQLite", f"{build:.1f} s in batches of {build_batch:,} = {n / build:,.0f}/s")
        size = services.tree_size()
        root = services.current_root()
        assert size == n and root == services.root_at(size)  # noqa: S101

        for i in rng.sample(range(size), min(size, 50)):  # warm the connection, statement cache and pages
            services.inclusion_proof(i, size)
            pk_proof(i, size)
        indices = [rng.randrange(size) for _ in range(samples)]
        proofs, times = timed_proofs(indices, size, services.inclusion_proof)
        pk_proofs, pk_times = timed_proofs(indices, size, pk_proof)
        assert pk_proofs == proofs  # noqa: S101
        leaves: dict[int, bytes] = {}
        for start in range(0, len(indices), 500):
            leaves.update(leaf_hashes(indices[start : start + 500]))
        db.session.remove()
        db.engine.dispose()

    lengths = [len(p) for p in proofs]
    median, p95 = statistics.median(times) * 1e3, percentile(times, 0.95) * 1e3
    report(
        f"proof from DB at {size:,} leaves (SQLite)",
        f"services.inclusion_proof: median {median:.3f} ms, p95 {p95:.3f} ms over {samples:,} random leaves",
        "≤ 2 ms (p95)",
        p95 <= 2.0,
    )
    report(
        "proof from DB, diagnostic",
        f"same proofs, inner nodes by primary key (OR-ed): median {statistics.median(pk_times) * 1e3:.3f} ms, "
        f"p95 {percentile(pk_times, 0.95) * 1e3:.3f} ms",
    )
    report("proof length", f"{min(lengths)}–{max(lengths)} hashes (median {statistics.median(lengths):.0f})")
    bench_verify(indices, proofs, leaves, size, root)


def leaf_hashes(indices: Sequence[int]) -> dict[int, bytes]:
    rows = db.session.execute(
        sa.select(LedgerEntry.leaf_index, LedgerEntry.leaf_hash).where(LedgerEntry.leaf_index.in_(indices))
    )
    return dict(list(rows.tuples()))  # a Result has .keys(), so dict(rows) would treat it as a mapping


def bench_verify(
    indices: Sequence[int], proofs: Sequence[list[bytes]], leaves: dict[int, bytes], size: int, root: bytes
) -> None:
    cases = [(leaves[i], i, p) for i, p in zip(indices, proofs, strict=True)]
    verify = merkle.verify_inclusion
    assert all(verify(leaf, i, size, p, root) for leaf, i, p in cases)  # noqa: S101
    times: list[float] = []
    for _ in range(5):
        for leaf, i, p in cases:
            t0 = time.perf_counter()
            verify(leaf, i, size, p, root)
            times.append(time.perf_counter() - t0)
    median = statistics.median(times) * 1e6
    report(
        "verify_inclusion",
        f"median {median:.1f} µs, p95 {percentile(times, 0.95) * 1e6:.1f} µs ({len(times):,} calls, all valid)",
        "≤ 50 µs",
        median <= 50,
    )


# ------------------------------------------------------------------ 4. anchoring gas


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Anchorer:
    """Anchors random roots at strictly increasing tree sizes and returns each receipt's gas."""

    def __init__(self, client: Web3AnchorClient, address: str, rng: random.Random) -> None:
        self.client, self.address, self.rng = client, address, rng
        self.size = GAS_START_SIZE

    def gas(self, records: int) -> int:
        self.size += records
        receipt = self.client.anchor(self.address, self.size, self.rng.randbytes(31) + b"\x01")
        assert not receipt.noop  # noqa: S101
        return receipt.gas_used

    def median_gas(self, records: int, reps: int) -> float:
        return statistics.median(self.gas(records) for _ in range(reps))


def bench_gas(reps: int, per_tx: int, var_dir: Path, rng: random.Random) -> None:
    binary = find_anvil(REPO_DIR)
    if binary is None:
        print("  anvil not found under node_modules (run npm install): gas figures skipped")
        report("anchoring gas", "skipped: anvil missing", f"≤ {GAS_BAR} gas/record", None)
        return
    with AnvilNode(binary, var_dir / "anvil", port=free_port()) as node:
        client = Web3AnchorClient.connect(node.url)
        address = client.deploy()
        anchorer = Anchorer(client, address, rng)
        print(f"  anvil {node.url} (chain {client.chain_id()}), AnchorRegistry at {address}")
        per_anchor = {b: anchorer.median_gas(b, reps) for b in GAS_BATCHES}
        tx_gas = statistics.median(anchorer.gas(1) for _ in range(per_tx))
        # Smallest batch at which the bar holds, from the measured gas per anchor, then confirmed on chain.
        smallest = math.ceil(per_anchor[GAS_BATCHES[-1]] / GAS_BAR)
        while anchorer.median_gas(smallest, 3) / smallest > GAS_BAR:
            smallest += 1
        confirmed = anchorer.median_gas(smallest, 3)
    for b, gas in per_anchor.items():
        per_record = gas / b
        bar = f"≤ {GAS_BAR} gas/record" if b == GAS_BATCHES[-1] else ""
        report(
            f"gas at {b:,} records/anchor",
            f"{gas:,.0f} gas per anchor tx = {per_record:,.1f} gas/record (median of {reps})",
            bar,
            per_record <= GAS_BAR if bar else None,
        )
    batched = per_anchor[GAS_BATCHES[-1]] / GAS_BATCHES[-1]
    report(
        "gas, one tx per record",
        f"{tx_gas:,.0f} gas/record (median of {per_tx} txs); ratio vs 1,000/anchor {tx_gas / batched:,.0f}×",
        f"≥ {GAS_RATIO_BAR}× cheaper",
        tx_gas / batched >= GAS_RATIO_BAR,
    )
    report(
        f"smallest batch with ≤ {GAS_BAR} gas/record",
        f"{smallest:,} records/anchor ({confirmed:,.0f} gas = {confirmed / smallest:.2f} gas/record)",
    )


# ------------------------------------------------------------------ 5. against pymerkle


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def ours(entries: Sequence[bytes], picks: Sequence[int]) -> tuple[bytes, list[list[bytes]]]:
    frontier = merkle.Frontier()
    nodes: dict[tuple[int, int], bytes] = {}
    for entry in entries:
        for level, index, node in frontier.append(merkle.leaf_hash(entry)):
            nodes[level, index] = node
    root = frontier.root()
    size = frontier.size
    proofs = [merkle.inclusion_proof(i, size, lambda level, index: nodes[level, index]) for i in picks]
    return root, proofs


def theirs(entries: Sequence[bytes], picks: Sequence[int]) -> tuple[bytes, list[list[bytes]]]:
    tree = InmemoryTree()
    for entry in entries:
        tree.append_entry(entry)
    root = tree.get_root()
    proofs = [tree.prove_inclusion(i + 1).path for i in picks]  # pymerkle counts from 1
    return root, proofs


def bench_pymerkle(n: int, proofs: int, rng: random.Random) -> None:
    entries = [rng.randbytes(32) for _ in range(n)]
    picks = [rng.randrange(n) for _ in range(proofs)]
    ours_s, (our_root, our_proofs) = timed(lambda: ours(entries, picks))
    theirs_s, (their_root, their_paths) = timed(lambda: theirs(entries, picks))
    assert our_root == their_root  # noqa: S101 — both are RFC 9162 trees
    # pymerkle's path starts with the leaf hash itself, then the same audit path.
    assert all(path[1:] == mine for path, mine in zip(their_paths, our_proofs, strict=True))  # noqa: S101
    report(
        f"tree + {proofs:,} proofs, {n:,} entries: ours",
        f"{ours_s:.2f} s (merkle.Frontier + dict of perfect nodes)",
    )
    report(
        f"tree + {proofs:,} proofs, {n:,} entries: pymerkle",
        f"{theirs_s:.2f} s (InmemoryTree 7.0.0); pymerkle / ours {theirs_s / ours_s:.1f}×; roots and proofs agree",
    )


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=200_000, help="leaves appended per backend")
    parser.add_argument("--proof-leaves", type=int, default=1_000_000, help="size of the log proofs are read from")
    parser.add_argument("--proof-samples", type=int, default=2_000)
    parser.add_argument("--build-batch", type=int, default=20_000, help="records per transaction building that log")
    parser.add_argument("--pymerkle-entries", type=int, default=100_000)
    parser.add_argument("--pymerkle-proofs", type=int, default=1_000)
    parser.add_argument("--gas-reps", type=int, default=5, help="anchors per batch size (median taken)")
    parser.add_argument("--gas-per-tx", type=int, default=50, help="one-record anchors for the per-record cost")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="about a tenth of every size, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        for name in ("leaves", "proof_leaves", "proof_samples", "pymerkle_entries", "pymerkle_proofs"):
            setattr(args, name, max(1, getattr(args, name) // 10))
        args.gas_reps, args.gas_per_tx = 3, 10
    rng = random.Random(args.seed)
    started = time.perf_counter()
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="hm-bench-ledger-") as tmp:
        var_dir = Path(tmp)
        section(f"1. append throughput: {args.leaves:,} leaves, {APPEND_BATCH:,} per transaction")
        records = [make_record(rng, i) for i in range(args.leaves)]
        rows = baseline_rows(records)
        data_bytes = statistics.mean(len(canonical.canonical_bytes(dict(r.data))) for r in records[:1000])
        leaf_bytes = statistics.mean(len(row["data"]) for row in rows[:1000])
        print(
            f"  record data {data_bytes:.0f} bytes on average (leaf bytes with type, id, version, at: {leaf_bytes:.0f})"
        )
        bench_append("SQLite (WAL, file)", f"sqlite:///{var_dir / 'append.db'}", var_dir, records, rows)
        if args.no_pg:
            print("  PostgreSQL skipped (--no-pg)")
        else:
            bench_postgres(args.pg_url, var_dir, records, rows)
        del records, rows

        section(f"2–3. proofs from the database at {args.proof_leaves:,} leaves, and verification")
        bench_proofs(args.proof_leaves, args.proof_samples, args.build_batch, var_dir, rng)

        section("4. anchoring gas on anvil, from receipts")
        bench_gas(args.gas_reps, args.gas_per_tx, var_dir, rng)

        section(f"5. tree + proofs against pymerkle: {args.pymerkle_entries:,} random 32-byte entries")
        bench_pymerkle(args.pymerkle_entries, args.pymerkle_proofs, rng)

    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at end {os.getloadavg()[0]:.2f}")
    summary()


if __name__ == "__main__":
    main()
