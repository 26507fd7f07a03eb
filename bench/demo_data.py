"""Benchmark: `honestmeter demo-data` throughput against a bare executemany baseline, same process.

Usage: .venv/bin/python bench/demo_data.py [--merchants 100000]
Uses a fresh SQLite file (or DATABASE_URL when set, e.g. a scratch PostgreSQL database).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from faker import Faker
from flask_migrate import upgrade

from honestmeter.app import create_app
from honestmeter.config import normalize_database_url
from honestmeter.demo import inspections as campaigns
from honestmeter.demo import seed as demo
from honestmeter.extensions import db
from honestmeter.ledger import anchoring


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hm-bench-"))
    url = normalize_database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "VAR_DIR": str(tmp), "LEDGER_CHAIN": "eth-tester"}
    )
    with app.app_context():
        upgrade()
        regions = list(db.session.scalars(sa.text("SELECT code FROM regions WHERE level = 3")))

        # Baseline: the same merchant rows, pre-generated, through one bare executemany into a plain table.
        fake = Faker("zh_CN")
        fake.seed_instance(1)
        rows = demo._merchant_rows(random.Random(1), demo.Pools.make(fake), args.merchants, regions, set())
        db.session.execute(sa.text("CREATE TABLE bench_baseline (uscc VARCHAR(18), name VARCHAR(200))"))
        start = time.perf_counter()
        db.session.execute(
            sa.text("INSERT INTO bench_baseline (uscc, name) VALUES (:uscc, :name)"),
            [{"uscc": r["uscc"], "name": r["name"]} for r in rows],
        )
        db.session.commit()
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        summary = demo.generate(merchants=args.merchants, seed=2, progress=False)
        elapsed = time.perf_counter() - start

        # The spot-check campaigns run through the real services (draws anchored on eth-tester in process).
        start = time.perf_counter()
        campaign = campaigns.generate(seed=2, authority="示范市市场监督管理局", anchor=anchoring.anchor_pending)
        campaign_seconds = time.perf_counter() - start
    print(f"backend: {sa.make_url(url).get_backend_name()}")
    print(
        f"demo-data: {summary['merchants']} merchants + {summary['instruments']} instruments in {elapsed:.1f} s "
        f"({summary['merchants'] / elapsed:,.0f} merchants/s)"
    )
    print(f"baseline bare insert of {len(rows)} two-column rows: {baseline:.2f} s")
    print(f"ratio demo-data / baseline: {elapsed / baseline:.1f}x")
    print(
        f"campaigns: {campaign} in {campaign_seconds:.1f} s; demo-data total {elapsed + campaign_seconds:.1f} s"
        " (before the final anchoring)"
    )


if __name__ == "__main__":
    main()
