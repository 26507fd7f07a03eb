"""Secrets come from the environment or from files the app writes under VAR_DIR, never from the repository.

The scan reads every file git tracks (and every new file not ignored), the same set a clone or a release has.
Throwaway values for scratch apps are allowed in tests/ and bench/ only; the demo passwords only where they are
documented (the demo data and its docs).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from honestmeter.app import create_app
from honestmeter.config import Config

REPO = Path(__file__).resolve().parents[3]
GIT = shutil.which("git") or "git"
THROWAWAY_DIRS = ("tests/", "bench/")  # scratch apps and fixtures: values that protect nothing
DEMO_PASSWORDS = {"Admin@2026", "Inspector@2026", "Merchant@2026"}
DEMO_FILES = {"honestmeter/demo/seed.py", "README.md"}  # where the demo accounts are defined and documented
SECRET_FILE_NAMES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519|secret_key|log_key|.*\.pem|.*\.key|.*\.p12)$")

ANYWHERE = [
    (re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"), "a private key"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@"), "a URL with a password in it"),
]
OUTSIDE_THROWAWAY = [
    (
        re.compile(r"""(?i)\b(?:flask_)?secret_key["']?\s*[:=]\s*["'][^"'\s]+["']"""),
        "a hard-coded SECRET_KEY",
    ),
    (
        re.compile(r"""(?i)\b\w*(?:private_key|signing_key|signer_key)["']?\s*[:=]\s*["'](?:0x)?[0-9a-f]{64}["']"""),
        "a hard-coded private key",
    ),
    (
        re.compile(r"""(?i)\b\w*(?:private_key|signing_key|signer_key)["']?\s*[:=]\s*["'][A-Za-z0-9+/]{43}=["']"""),
        "a hard-coded signing key",
    ),
]
PASSWORD = re.compile(r"""(?i)\b\w*(?:password|passwd|pwd)\w*["']?\s*[:=]\s*["']([^"'\s]{4,})["']""")


def tracked_files() -> list[str]:
    """What a clone holds: git's tracked files and new files it does not ignore (read-only git commands)."""
    try:
        out = subprocess.run(
            [GIT, "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [line for line in out.splitlines() if line and (REPO / line).is_file()]


def _text(path: str) -> str | None:
    data = (REPO / path).read_bytes()
    if b"\x00" in data[:8192] or len(data) > 2_000_000:
        return None
    return data.decode("utf-8", "replace")


def test_no_secret_is_in_the_repository() -> None:
    files = tracked_files()
    assert len(files) > 100
    found = []
    for path in files:
        if SECRET_FILE_NAMES.search(path):
            found.append(f"{path}: a secret file is tracked")
        body = _text(path)
        if body is None:
            continue
        throwaway = path.startswith(THROWAWAY_DIRS)
        rules = ANYWHERE + ([] if throwaway else OUTSIDE_THROWAWAY)
        for number, line in enumerate(body.splitlines(), 1):
            found += [f"{path}:{number}: {what}" for pattern, what in rules if pattern.search(line)]
            if throwaway:
                continue
            for value in PASSWORD.findall(line):
                if value not in DEMO_PASSWORDS or (path not in DEMO_FILES and not path.startswith("docs/")):
                    found.append(f"{path}:{number}: a hard-coded password")
    assert found == []


def test_the_scan_finds_what_it_looks_for() -> None:
    """The patterns above on lines they must catch (so a broken pattern cannot pass silently)."""
    leaks = [  # split so that this file does not hold what it looks for
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
        'SECRET_KEY = "d2b8c0a5f1e3"',
        '"SECRET_KEY": "hunter2-prod"',
        "LEDGER_PRIVATE_KEY = '0x" + "ab" * 32 + "'",
        "DATABASE_URL=postgresql://honestmeter:" + "s3cret@db/honestmeter",
    ]
    for line in leaks:
        assert any(p.search(line) for p, _ in ANYWHERE + OUTSIDE_THROWAWAY), line
    assert PASSWORD.findall('MAIL_SMTP_PASSWORD = "mailpass1"') == ["mailpass1"]
    assert PASSWORD.findall('MAIL_SMTP_PASSWORD: str = ""') == []


def test_the_configuration_holds_no_default_secret() -> None:
    defaults = Config()
    assert defaults.SECRET_KEY == "" and defaults.LEDGER_SIGNING_KEY == "" and defaults.LEDGER_PRIVATE_KEY == ""
    assert defaults.MAIL_SMTP_PASSWORD == ""


def test_secret_files_live_where_git_ignores_them() -> None:
    for name in ("var/secret_key", "var/ledger/log_key"):
        ignored = subprocess.run([GIT, "check-ignore", "-q", name], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{name} is not ignored by git"


def test_without_environment_the_app_makes_its_keys_under_var_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SECRET_KEY", "LEDGER_SIGNING_KEY", "LEDGER_PRIVATE_KEY", "HONESTMETER_VAR_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    var = tmp_path / "var"
    overrides = {"VAR_DIR": str(var), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "TESTING": True}
    first = create_app(overrides)
    key_file = var / "secret_key"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app(overrides).config["SECRET_KEY"] == first.config["SECRET_KEY"]  # kept across restarts

    from honestmeter.ledger import keys

    with first.app_context():
        seed = keys.signing_seed()
    log_key = var / "ledger" / "log_key"
    assert len(seed) == 32
    assert stat.S_IMODE(log_key.stat().st_mode) == 0o600
    with first.app_context():
        assert keys.signing_seed() == seed


def test_keys_from_the_environment_win_and_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "x" * 40)
    monkeypatch.setenv("LEDGER_SIGNING_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.delenv("HONESTMETER_VAR_DIR", raising=False)
    var = tmp_path / "var"
    app = create_app(
        {"VAR_DIR": str(var), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "TESTING": True}
    )
    assert app.config["SECRET_KEY"].startswith("from-the-environment-")
    from honestmeter.ledger import keys

    with app.app_context():
        assert keys.signing_seed() == bytes(range(32))
    assert not (var / "secret_key").exists() and not (var / "ledger" / "log_key").exists()


def _race(path: str, queue: Any) -> None:
    from honestmeter.config import write_secret_once

    queue.put(write_secret_once(Path(path), f"key-of-{os.getpid()}"))


def test_workers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """gunicorn workers on a fresh var/ generate the key at once: one wins, all read it whole."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    path = tmp_path / "var" / "secret_key"
    workers = [context.Process(target=_race, args=(str(path), queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert len(set(keys)) == 1 and keys[0].startswith("key-of-")
    assert path.read_text() == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left behind
