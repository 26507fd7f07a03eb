"""Where the embedded chain node comes from: the checkout's node_modules, else PATH (an installed wheel has none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from honestmeter.ledger.anvil import find_anvil


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_checkouts_node_modules_come_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrapper = _executable(tmp_path / "repo/node_modules/.bin/anvil")
    monkeypatch.setenv("PATH", str(_executable(tmp_path / "bin/anvil").parent))
    assert find_anvil(tmp_path / "repo") == wrapper


def test_without_node_modules_anvil_is_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _executable(tmp_path / "bin/anvil")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_anvil(tmp_path / "site-packages") == on_path


def test_no_anvil_anywhere_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_anvil(tmp_path / "site-packages") is None
