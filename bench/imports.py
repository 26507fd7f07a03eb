"""Benchmark: what importing a pure core costs, and what building the app costs (issue 15).

Usage: .venv/bin/python bench/imports.py [--runs 7] [--tree PATH]

Each figure is the median of fresh interpreters (`python -c`), so nothing is cached in the process: the seconds to
import the module, how many honestmeter modules came with it, and whether Flask or SQLAlchemy did. The baseline in
the same run is a fresh interpreter importing the standard library's `http.client`; ratios are against it.
`--tree` points at another checkout (e.g. a worktree of an older commit) to measure it the same way: its modules are
imported from there (PYTHONPATH), with this virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from figures import report, section, summary

REPO = Path(__file__).resolve().parents[1]
PURE_CORES = (
    "honestmeter.ledger.merkle",
    "honestmeter.ledger.canonical",
    "honestmeter.ledger.bundle",
    "honestmeter.inspections.draw",
    "honestmeter.merchants.uscc",
    "honestmeter.instruments.cycle",
    "honestmeter.scoring",
    "honestmeter.chinatime",
)
PROBE = """
import json, sys, time
start = time.perf_counter()
{statement}
took = time.perf_counter() - start
ours = sum(1 for m in sys.modules if m == "honestmeter" or m.startswith("honestmeter."))
print(json.dumps({{"seconds": took, "ours": ours, "flask": "flask" in sys.modules,
                  "sqlalchemy": "sqlalchemy" in sys.modules}}))
"""


def measure(statement: str, tree: Path, runs: int) -> dict[str, float | bool] | None:
    """None when the statement fails in that tree (a module an older commit does not have)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    samples = []
    for _ in range(runs):
        out = subprocess.run(  # noqa: S603 — our own interpreter and probe
            [sys.executable, "-c", PROBE.format(statement=statement)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            return None
        samples.append(json.loads(out.stdout))
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "ours": samples[-1]["ours"],
        "flask": samples[-1]["flask"],
        "sqlalchemy": samples[-1]["sqlalchemy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tree", type=Path, default=REPO)
    args = parser.parse_args()
    tree = args.tree.resolve()

    section(f"baseline: a fresh interpreter importing http.client ({args.runs} runs, median)")
    base = measure("import http.client as _", tree, args.runs)
    if base is None:
        raise SystemExit("the interpreter cannot import http.client")
    report("import http.client", f"{base['seconds'] * 1000:.1f} ms")

    section(f"pure cores, from {tree}")
    for module in PURE_CORES:
        # An older tree lacks some modules; the virtualenv's editable install must not stand in for them.
        found = measure(f"import {module}; assert {module}.__file__.startswith({str(tree)!r})", tree, args.runs)
        if found is None:
            report(f"import {module}", "not in this tree")
            continue
        frameworks = [name for name in ("flask", "sqlalchemy") if found[name]]
        report(
            f"import {module}",
            f"{float(found['seconds']) * 1000:.1f} ms "
            f"({float(found['seconds']) / float(base['seconds']):.1f}× http.client), "
            f"{int(found['ours'])} honestmeter modules, frameworks: {', '.join(frameworks) or 'none'}",
            "no Flask, no SQLAlchemy",
            not frameworks,
        )

    section("the app")
    flask_only = measure("import flask; flask.Flask('bare')", tree, args.runs)
    app = measure("from honestmeter.app import create_app; create_app()", tree, args.runs)
    if flask_only is None or app is None:
        raise SystemExit(f"cannot build the app from {tree}")
    report("a bare Flask app", f"{float(flask_only['seconds']) * 1000:.1f} ms")
    report(
        "import honestmeter.app and create_app()",
        f"{float(app['seconds']) * 1000:.0f} ms ({float(app['seconds']) / float(flask_only['seconds']):.1f}× a bare "
        f"Flask app), {int(app['ours'])} honestmeter modules",
    )
    summary()


if __name__ == "__main__":
    main()
