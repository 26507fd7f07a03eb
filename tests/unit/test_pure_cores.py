"""Pure cores import without Flask or SQLAlchemy (issue 15): each in a fresh interpreter, so nothing is preloaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PURE_CORES = [
    "honestmeter",
    "honestmeter.ledger.merkle",
    "honestmeter.ledger.canonical",
    "honestmeter.ledger.checkpoint",
    "honestmeter.ledger.bundle",
    "honestmeter.inspections.draw",
    "honestmeter.scoring",
    "honestmeter.merchants.uscc",
    "honestmeter.inspections.tasks.netcontent",
    "honestmeter.inspections.tasks.instrument_check",
    "honestmeter.instruments.cycle",
    "honestmeter.chinatime",
    "honestmeter.clock",
    "honestmeter.roles",
    "honestmeter.tables",
    "honestmeter.storage",
    "honestmeter.scans",
    "honestmeter.merchants.initials",
    "honestmeter.inspections.codes",
    "honestmeter.inspections.results.workdays",
]


@pytest.mark.parametrize("module", PURE_CORES)
def test_pure_core_imports_no_framework(module: str) -> None:
    probe = f"import {module}, sys; loaded = {{'flask', 'sqlalchemy'}} & set(sys.modules); assert not loaded, loaded"
    outcome = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert outcome.returncode == 0, outcome.stderr
