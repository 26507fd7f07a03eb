"""Benchmark: the nightly grade recompute (DESIGN §9: 1 M merchants ≤ 120 s, set-based SQL), with baselines.

Usage: .venv/bin/python bench/grading.py [--merchants 1000000] [--pg-url URL | --no-pg] [--no-sqlite]
                                         [--changes 0.01] [--grades-private] [--quick]

Each backend starts from an empty database built by the migrations: a SQLite file in a temporary directory, and a
scratch PostgreSQL database (`hm_bench_grading`, created next to --pg-url's and dropped afterwards). The world is
loaded with bulk inserts (COPY on PostgreSQL), untimed, then ANALYZEd:

- merchants, each with 0–7 credit facts (mean about 2.6) of a realistic mix over the last four years (clean
  checks, 02/09/13 findings, complaints, penalties, a few 04/14/cheating, model units, 10s; some ended);
- a commitment for about 65 % (most covering today, some expired or revoked), 0–4 instruments each (mean 2) of
  mandatory types, about 85 % within their verification, 10 % overdue, the rest failed or never verified;
- 1 % on 经营异常名录 and 0.2 % on 严重违法失信名单.

Timed, in the same process:
1. **Initial pass**: `recompute.recompute_all(T)` on the ungraded world: every merchant changes, so this is the SQL
   pass plus a million history rows and (GRADES_PUBLIC, the default) a million "credit_grade" ledger records.
2. **Nightly pass**: the next day, after about `--changes` of the merchants got a new fact (a published 02):
   `recompute_all(T + 1)`; the changes are those merchants plus the windows that closed overnight.
3. **No-change pass**: the same day again: the SQL pass alone, nothing to write.
Baselines: the bare set-based aggregate `merchants LEFT JOIN (credit_facts GROUP BY merchant_id)` fetched whole
(the least any set-based pass must read), and a bare executemany of one (id, grade, score) row per merchant into a
plain table (the least the initial pass must write). Ratios are pass time / baseline time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from figures import report, section, summary
from flask import Flask
from flask_migrate import upgrade

from honestmeter import clock
from honestmeter.app import create_app
from honestmeter.commitments import services as commitment_services
from honestmeter.config import normalize_database_url
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.rules import services as rules

PG_SCRATCH_DB = "hm_bench_grading"
BAR_SECONDS = 120.0
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 22, 20, tzinfo=UTC)  # 04:00 on the 23rd in Shanghai: the nightly run
REGIONS = ("330102", "330105", "330106", "330108", "330110", "330302", "330328")
SECTORS = ("market", "fuel", "catering", "retail", "optical", "medical")
# (rule, weight, how it may have ended): a realistic mix of what published results, lists, penalties and
# complaints leave behind (clean checks dominate).
FACT_MIX = (
    ("check_clean", 40, None),
    ("result_02", 14, None),
    ("result_09", 6, "closed"),
    ("result_13", 5, None),
    ("complaint_substantiated", 10, None),
    ("penalty_low_fine", 4, None),
    ("penalty_other", 3, "repaired"),
    ("penalty_warning", 3, None),
    ("result_04", 2, None),
    ("result_14", 1, None),
    ("cheating", 1, None),
    ("model_unit", 4, "expired"),
    ("result_10_or_abnormal", 2, "rejected"),
)


# ------------------------------------------------------------------ databases


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
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


def make_app(url: str, var_dir: Path, *, public: bool) -> Flask:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "VAR_DIR": str(var_dir),
            "LEDGER_CHAIN": "eth-tester",
            "GRADES_PUBLIC": public,
        }
    )
    with app.app_context():
        upgrade()
    return app


# ------------------------------------------------------------------ the world, bulk-loaded


def _day(rng: random.Random, back: int) -> date:
    return TODAY - timedelta(days=rng.randint(0, back))


def world_rows(rng: random.Random, merchants: int, template_id: int, type_ids: Sequence[int]) -> dict[str, Any]:
    """Rows per table as tuples in the column order of `COLUMNS`."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rules_, weights = [m[0] for m in FACT_MIX], [m[1] for m in FACT_MIX]
    ends = {m[0]: m[2] for m in FACT_MIX}
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS}
    fact_id = 0
    for i in range(1, merchants + 1):
        out["merchants"].append(
            (
                i,
                f"91{REGIONS[i % len(REGIONS)]}{i:09d}X",
                False,
                f"测试商户{i}",
                SECTORS[i % len(SECTORS)],
                REGIONS[i % len(REGIONS)],
                f"示范市某路{i}号",
                "张三",
                "active",
                now,
                now,
            )
        )
        for rule in rng.choices(rules_, weights, k=min(7, int(rng.expovariate(1 / 2.6)))):
            fact_id += 1
            on = _day(rng, 1460)
            ended = on + timedelta(days=rng.randint(10, 400)) if ends[rule] and rng.random() < 0.6 else None
            source = "penalty" if rule.startswith("penalty") else "inspection_result"
            out["credit_facts"].append((i, rule, on, ended, source, fact_id, f"{source}/{fact_id}", now))
        if rng.random() < 0.65:
            start = _day(rng, 500)
            status = rng.choices(["active", "expired", "revoked"], [85, 10, 5])[0]
            until = start + timedelta(days=364) if status == "active" else start + timedelta(days=rng.randint(1, 364))
            if status == "active" and until < TODAY:
                status = "expired"
            out["commitments"].append((i, template_id, "0" * 64, "张三", "法定代表人", now, start, until, status))
        for n in range(rng.choices([0, 1, 2, 3, 4], [10, 25, 35, 20, 10])[0]):
            state = rng.random()
            verified = _day(rng, 300)
            due = verified + timedelta(days=365)
            failed = None
            if state < 0.10:
                due = TODAY - timedelta(days=rng.randint(1, 400))  # overdue
            elif state < 0.13:
                failed = verified
            elif state < 0.15:
                verified, due = None, None  # registered, never verified
            out["instruments"].append(
                (
                    i,
                    type_ids[n % len(type_ids)],
                    f"SN{i}-{n}",
                    "trade",
                    "in_use",
                    verified,
                    verified,
                    due,
                    failed,
                    now,
                    now,
                )
            )
        listing = rng.random()
        if listing < 0.012:
            kind = "abnormal" if listing < 0.010 else "serious"
            out["list_entries"].append((kind, i, "listed", "测试", "示范市市场监督管理局", now, TODAY, now, now))
    return out


COLUMNS = {
    "merchants": (
        "id, uscc, uscc_override, name, sector_code, region_code, address, legal_representative, status, "
        "created_at, updated_at"
    ),
    "credit_facts": "merchant_id, rule, happened_on, ended_on, source, source_id, ref, created_at",
    "commitments": (
        "merchant_id, template_id, text_sha256, signer_name, signer_title, signed_at, valid_from, valid_until, status"
    ),
    "instruments": (
        "merchant_id, type_id, serial_number, use, status, first_verified_on, last_verified_on, next_due_on, "
        "failed_on, created_at, updated_at"
    ),
    "list_entries": ("kind, merchant_id, status, reason, authority, proposed_at, listed_on, created_at, updated_at"),
}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Bulk insert, bypassing the ORM: COPY on PostgreSQL, one executemany per table on SQLite."""
    conn = db.session.connection().connection.driver_connection
    for table, columns in COLUMNS.items():
        data = rows[table]
        if isinstance(conn, sqlite3.Connection):
            marks = ", ".join("?" for _ in columns.split(","))
            conn.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 — our own table names
                [tuple(_sqlite_value(v) for v in row) for row in data],
            )
        else:
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('merchants_id_seq', (SELECT max(id) FROM merchants))"))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def counts() -> str:
    parts = []
    for table in COLUMNS:
        n = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        parts.append(f"{table} {n:,}")
    return ", ".join(parts)


# ------------------------------------------------------------------ baselines


def read_baseline() -> float:
    start = time.perf_counter()
    rows = db.session.execute(
        sa.text(
            "SELECT m.id, COALESCE(f.n, 0) FROM merchants m LEFT JOIN "
            "(SELECT merchant_id, count(*) AS n FROM credit_facts GROUP BY merchant_id) f ON f.merchant_id = m.id"
        )
    ).all()
    elapsed = time.perf_counter() - start
    db.session.commit()
    if not rows:
        raise SystemExit("no merchants loaded")
    return elapsed


def write_baseline(merchants: int) -> float:
    db.session.execute(sa.text("CREATE TABLE bench_baseline (id INTEGER, grade VARCHAR(1), score INTEGER)"))
    db.session.commit()
    rows = [{"id": i, "grade": "B", "score": 80} for i in range(1, merchants + 1)]
    start = time.perf_counter()
    for s in range(0, merchants, recompute.CHUNK):
        db.session.execute(
            sa.text("INSERT INTO bench_baseline (id, grade, score) VALUES (:id, :grade, :score)"),
            rows[s : s + recompute.CHUNK],
        )
        db.session.commit()
    return time.perf_counter() - start


# ------------------------------------------------------------------ the passes


# Auto-analyze stand-in: this PostgreSQL server runs with autovacuum off, so tables that grow during a pass are never
# analysed, and the ledger's version lookup then reads every earlier record of its type per batch (see the ledger
# benchmark). A server with autovacuum on analyses them after about 10 % growth; the pass does the same, untimed.
ANALYZE_AFTER = (recompute.CHUNK, 10 * recompute.CHUNK, 100 * recompute.CHUNK)


def timed_pass(today: date) -> tuple[recompute.Summary, float]:
    """recompute_all, and the seconds the SQL pass alone took (until the first progress call)."""
    start = time.perf_counter()
    sql_done: list[float] = []
    analysing = db.session.get_bind().dialect.name == "postgresql"
    untimed = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal untimed
        if not sql_done:
            sql_done.append(time.perf_counter() - start)
        if analysing and done in ANALYZE_AFTER:
            t0 = time.perf_counter()
            db.session.execute(sa.text("ANALYZE ledger_entries, ledger_nodes, grade_changes"))
            db.session.commit()
            untimed += time.perf_counter() - t0

    with clock.frozen(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=-4)):
        result = recompute.recompute_all(today, progress=progress)
    if untimed:
        result = dataclasses.replace(result, seconds=result.seconds - untimed)
    return result, (sql_done[0] if sql_done else result.seconds)


def nightly_changes(rng: random.Random, merchants: int, share: float, day: date) -> int:
    """About `share` of the merchants get a published 02 dated `day` (what a day of publications does)."""
    chosen = rng.sample(range(1, merchants + 1), int(merchants * share))
    base = 10**9
    rows = [
        (m, "result_02", day, None, "inspection_result", base + n, f"inspection_result/{base + n}", NOW)
        for n, m in enumerate(chosen)
    ]
    load_table("credit_facts", rows)
    return len(chosen)


def load_table(table: str, data: list[tuple[Any, ...]]) -> None:
    load({t: (data if t == table else []) for t in COLUMNS})


def bench_backend(label: str, url: str, var_dir: Path, args: argparse.Namespace) -> None:
    section(f"{label}: {args.merchants:,} merchants")
    app = make_app(url, var_dir, public=not args.grades_private)
    rng = random.Random(20261123)
    with app.app_context():
        commitment_services.seed_default_templates()
        template = commitment_services.current_template("retail")
        if template is None:
            raise SystemExit("no commitment text for the retail sector")
        type_ids = list(
            db.session.scalars(sa.text("SELECT id FROM instrument_types WHERE mode IN ('V', 'P+V') ORDER BY id"))
        )
        start = time.perf_counter()
        rows = world_rows(rng, args.merchants, template.id, type_ids[:6])
        load(rows)
        del rows
        report(f"load world, {label} (untimed for the bar)", f"{time.perf_counter() - start:.1f} s: {counts()}")
        with clock.frozen(NOW):
            rules.ensure_seeded()
            db.session.commit()
        base_read = read_baseline()
        report(f"read baseline, {label}", f"merchants ⟕ facts grouped, fetched: {base_read:.2f} s")
        base_write = write_baseline(args.merchants)
        report(
            f"write baseline, {label}",
            f"bare executemany of {args.merchants:,} (id, grade, score) rows, {recompute.CHUNK:,} per commit: "
            f"{base_write:.2f} s",
        )
        leaves_before = ledger.tree_size()

        first, sql = timed_pass(TODAY)
        leaves = ledger.tree_size() - leaves_before
        if first.mismatched:
            raise SystemExit(f"SQL and the pure core disagree: {first}")
        report(
            f"initial pass, {label}",
            f"{first.changed:,} of {first.total:,} merchants graded in {first.seconds:.1f} s "
            f"(SQL pass {sql:.1f} s, writing {first.seconds - sql:.1f} s, {leaves:,} ledger records); "
            f"/ write baseline {first.seconds / base_write:.1f}×",
            f"≤ {BAR_SECONDS:.0f} s",
            first.seconds <= BAR_SECONDS,
        )
        grades = dict(
            db.session.execute(sa.text("SELECT grade, count(*) FROM merchants GROUP BY grade")).tuples().all()
        )
        db.session.commit()
        report(f"grade mix, {label}", ", ".join(f"{g} {n / first.total:.1%}" for g, n in sorted(grades.items())))

        if db.session.get_bind().dialect.name == "postgresql":
            # What autovacuum (off on this server) does after a million updated rows; untimed.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        next_day = TODAY + timedelta(days=1)
        touched = nightly_changes(rng, args.merchants, args.changes, next_day)
        nightly, sql = timed_pass(next_day)
        if nightly.mismatched:
            raise SystemExit(f"SQL and the pure core disagree: {nightly}")
        report(
            f"nightly pass, {label}",
            f"{nightly.changed:,} of {nightly.total:,} changed ({touched:,} got a new fact) in {nightly.seconds:.1f} s "
            f"(SQL pass {sql:.1f} s, writing {nightly.seconds - sql:.1f} s); / read baseline "
            f"{nightly.seconds / base_read:.1f}×",
            f"≤ {BAR_SECONDS:.0f} s",
            nightly.seconds <= BAR_SECONDS,
        )
        again, _ = timed_pass(next_day)
        report(
            f"no-change pass, {label}",
            f"{again.changed} changed, {again.seconds:.1f} s; / read baseline {again.seconds / base_read:.1f}×",
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=1_000_000)
    parser.add_argument("--changes", type=float, default=0.01)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--grades-private", action="store_true", help="GRADES_PUBLIC off: no ledger records")
    parser.add_argument("--quick", action="store_true", help="a tenth of the merchants")
    args = parser.parse_args()
    if args.quick:
        args.merchants //= 10
    tmp = Path(tempfile.mkdtemp(prefix="hm-bench-grading-"))
    print(f"grade recompute benchmark: {args.merchants:,} merchants, GRADES_PUBLIC={not args.grades_private}")
    if not args.no_sqlite:
        bench_backend("SQLite (WAL, file)", f"sqlite:///{tmp / 'grading.db'}", tmp, args)
    if not args.no_pg:
        with scratch_postgres(args.pg_url) as url:
            bench_backend("PostgreSQL (loopback)", url, tmp, args)
    summary()


if __name__ == "__main__":
    main()
