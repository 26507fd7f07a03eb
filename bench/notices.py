"""Benchmark: PDF notices (DESIGN §7) against the bar of DESIGN §9 (≥ 10 PDFs per second per core).

Usage: .venv/bin/python bench/notices.py [--count 200] [--processes N] [--save DIR]

Renders `--count` one-page 诚信计量承诺书 PDFs (a different merchant, signer and leaf each, so every document has
its own glyph set) through `documents.commitment_pdf` and the real `WeasyPrintRenderer`:

1. in this process, one after another: PDFs/s on one core;
2. with a multiprocessing Pool of `--processes` workers (default: all cores), one renderer per worker: total
   PDFs/s and PDFs/s per core;
3. baseline, in this process: the same builder and template rendered to HTML only (Jinja, no layout, no PDF);
   the ratio says what the PDF step costs over templating.

Also: renderer start-up (cold and warm working-set font cache), the premises sticker's rate, and whether the same
input gives byte-identical PDFs.

Rates are given by wall time and by CPU time (PDFs per CPU-second of the rendering processes). On a machine shared
with other work the wall figures fall with the load; the CPU figures are what one core does when it is free.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from honestmeter.commitments.defaults import points_for
from honestmeter.notices import documents
from honestmeter.notices.rendering import PdfRenderer, WeasyPrintRenderer

BAR_PER_CORE = 10.0
VERIFY_BASE = "https://jg.hangzhou.gov.cn"

DISTRICTS = (
    "杭州市西湖区",
    "宁波市海曙区",
    "温州市鹿城区",
    "绍兴市越城区",
    "嘉兴市南湖区",
    "金华市婺城区",
    "湖州市吴兴区",
)
SHOPS = (
    ("西湖眼镜店", "眼镜制配"),
    ("诚信果蔬店", "集贸市场"),
    ("中石化加油站", "加油站"),
    ("好邻居便利店", "商店超市"),
    ("老字号酒楼", "餐饮业"),
    ("仁和口腔诊所", "医疗机构"),
    ("鲜丰水果连锁", "商店超市"),
)
STREETS = ("文三路", "中山北路", "解放路", "人民路", "延安路", "凤起路", "建国南路")
SIGNERS = (("王丽华", "法定代表人"), ("陈建国", "负责人"), ("李秀英", "店长"), ("张伟", "经理"), ("刘洋", "站长"))
# The sector text regulators start from (commitments/defaults.py), as merchants sign it.
POINTS = tuple(points_for("optical"))


def sample(i: int) -> dict[str, Any]:
    """The builder arguments of the i-th commitment PDF."""
    district = DISTRICTS[i % len(DISTRICTS)]
    shop, sector = SHOPS[(i // len(DISTRICTS)) % len(SHOPS)]
    signer, title = SIGNERS[i % len(SIGNERS)]
    signed_at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC) + timedelta(days=i % 300, minutes=i)
    valid_from = (signed_at + timedelta(hours=8)).date()
    return {
        "merchant": {
            "name": f"{district}{shop}（第{i + 1}分店）",
            "uscc": f"91330{i:013d}",
            "address": f"浙江省{district}{STREETS[i % len(STREETS)]}{100 + i % 900}号",
            "sector": sector,
        },
        "commitment": {
            "number": f"HM-CMT-2026-{i + 1:06d}",
            "points": list(POINTS),
            "signer_name": signer,
            "signer_title": title,
            "signed_at": signed_at,
            "valid_from": valid_from,
            "valid_until": date(valid_from.year + 1, valid_from.month, 1) - timedelta(days=1),
            "template_version": "CMT-2026.1",
            "text_sha256": hashlib.sha256("\n".join(POINTS).encode()).hexdigest(),
        },
        "leaf_hash": hashlib.sha256(f"leaf {i}".encode()).hexdigest(),
        "verify_base_url": VERIFY_BASE,
    }


class HtmlOnly:
    """A `PdfRenderer` stand-in that stops after Jinja: the baseline."""

    def __init__(self, renderer: WeasyPrintRenderer) -> None:
        self._renderer = renderer

    def render(self, template: str, context: Mapping[str, Any]) -> bytes:
        return self._renderer.render_html(template, context).encode()


_worker_renderer: WeasyPrintRenderer | None = None


def _worker_init() -> None:
    global _worker_renderer  # noqa: PLW0603 — one renderer per worker process, as in production
    _worker_renderer = WeasyPrintRenderer()


def _worker_render(i: int) -> float:
    """Render the i-th PDF in a worker; return the CPU seconds it took."""
    assert _worker_renderer is not None  # noqa: S101
    started = time.process_time()
    documents.commitment_pdf(_worker_renderer, **sample(i))
    return time.process_time() - started


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def verdict(rate: float) -> str:
    return f"[bar ≥ {BAR_PER_CORE:.0f}/s/core: {'PASS' if rate >= BAR_PER_CORE else 'FAIL'}]"


def sticker_for(renderer: PdfRenderer, i: int) -> bytes:
    return documents.sticker_pdf(
        renderer,
        merchant=sample(i)["merchant"],
        grade="ABCD"[i % 4],
        commitment_status="valid",
        leaf_hash=sample(i)["leaf_hash"],
        public_base_url=VERIFY_BASE,
        verify_base_url=VERIFY_BASE,
        issued_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


def rates(work: Callable[[int], object], n: int) -> tuple[float, float, list[float]]:
    """(per second of wall time, per CPU-second, each call's wall seconds) of work(0) … work(n - 1) here."""
    each: list[float] = []
    cpu_started = time.process_time()
    for i in range(n):
        started = time.perf_counter()
        work(i)
        each.append(time.perf_counter() - started)
    return n / sum(each), n / (time.process_time() - cpu_started), each


def start_up() -> WeasyPrintRenderer:
    print("\n== renderer start-up")
    with tempfile.TemporaryDirectory() as cold_cache:
        cold = timed(lambda: WeasyPrintRenderer(font_cache_dir=cold_cache))
    started = time.perf_counter()
    renderer = WeasyPrintRenderer()
    print(f"  cold font cache {cold:.2f} s; warm {time.perf_counter() - started:.2f} s")
    return renderer


def pool_rates(n: int, processes: int) -> tuple[float, float]:
    """(PDFs per second of wall time in total, PDFs per CPU-second of the workers) with a pool of `processes`."""
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_worker_init) as pool:
        pool.map(_worker_render, range(processes * 2), chunksize=1)  # start-up and warm-up, not timed
        cpu_seconds: list[float] = []
        wall = timed(lambda: cpu_seconds.extend(pool.map(_worker_render, range(n), chunksize=4)))
    return n / wall, n / sum(cpu_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="commitment PDFs per measurement (default 200)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="pool size (default: all cores)")
    parser.add_argument("--save", type=Path, help="write one commitment and one sticker PDF into this directory")
    args = parser.parse_args()
    n, processes = args.count, args.processes
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}; {n} PDFs per run")

    renderer = start_up()
    first = documents.commitment_pdf(renderer, **sample(0))  # also the warm-up: Jinja, Pango caches
    again = documents.commitment_pdf(renderer, **sample(0))
    print(f"  one PDF: {len(first) / 1024:.0f} KiB; same input twice byte-identical: {first == again}")

    print("\n== baseline: HTML only (same builder and template, Jinja only), this process")
    html_only = HtmlOnly(renderer)
    html_rate, html_cpu_rate, _ = rates(lambda i: documents.commitment_pdf(html_only, **sample(i)), n)
    print(f"  {html_rate:,.0f} HTML/s wall, {html_cpu_rate:,.0f} per CPU-second")
    print("  (the HTML includes the verify QR code, which segno computes in Python: about 8 ms of it)")

    print("\n== commitment PDFs, this process (one core)")
    single_rate, single_cpu_rate, each = rates(lambda i: documents.commitment_pdf(renderer, **sample(i)), n)
    print(
        f"  {n} PDFs in {sum(each):.2f} s: {single_rate:.1f} PDFs/s wall "
        f"(median {statistics.median(each) * 1000:.0f} ms, p95 {sorted(each)[int(0.95 * (n - 1))] * 1000:.0f} ms)"
    )
    print(f"  {single_cpu_rate:.1f} PDFs per CPU-second   {verdict(single_cpu_rate)}")
    print(
        f"  ratio PDF/HTML: 1 : {html_rate / single_rate:,.1f} by wall time, "
        f"1 : {html_cpu_rate / single_cpu_rate:,.1f} by CPU time"
    )
    sticker_rate, sticker_cpu_rate, _ = rates(lambda i: sticker_for(renderer, i), max(n // 4, 1))
    print(f"  stickers (A6): {sticker_rate:.1f} PDFs/s wall, {sticker_cpu_rate:.1f} per CPU-second")

    print(f"\n== commitment PDFs, multiprocessing Pool of {processes}")
    pool_rate, pool_cpu_rate = pool_rates(n, processes)
    print(f"  {pool_rate:.1f} PDFs/s total, {pool_rate / processes:.1f} PDFs/s/core wall")
    print(f"  {pool_cpu_rate:.1f} PDFs per CPU-second in the workers   {verdict(pool_cpu_rate)}")
    print(f"  ratio PDF (pool total, wall)/HTML (one process, wall): 1 : {html_rate / pool_rate:,.1f}")

    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        (args.save / "commitment.pdf").write_bytes(first)
        (args.save / "sticker.pdf").write_bytes(sticker_for(renderer, 0))
        print(f"\n  saved commitment.pdf and sticker.pdf in {args.save}")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
