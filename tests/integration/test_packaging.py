"""The wheel carries everything an installed honestmeter needs: `db upgrade` and `serve` from outside the checkout.

The wheel is installed with --target into a temporary directory put first on PYTHONPATH (ahead of the development
venv's editable finder, which maps `honestmeter` to a checkout); the venv lends only the dependencies. Built from
this checkout, so the compiled messages.mo must exist (`make` builds it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a fixed loopback URL
        return response.status, response.read()


def test_installed_wheel_migrates_and_serves(tmp_path: Path) -> None:
    if not (REPO / "honestmeter/translations/en/LC_MESSAGES/messages.mo").exists():
        pytest.skip("messages.mo not compiled (run `make`)")
    wheels, site, run = tmp_path / "wheels", tmp_path / "site", tmp_path / "run"
    run.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)], check=True)
    (wheel,) = wheels.glob("honestmeter-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HONESTMETER_", "DATABASE_URL", "LEDGER_"))},
        "PYTHONPATH": str(site),
        "HONESTMETER_VAR_DIR": str(run / "var"),
        "DATABASE_URL": f"sqlite:///{run / 'installed.db'}",
        "LEDGER_CHAIN": "none",  # no chain node: this is about the files the wheel carries
    }
    python = [sys.executable, "-c"]
    where = subprocess.run(
        [*python, "import honestmeter; print(honestmeter.__file__)"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    # The anchoring contract's ABI and bytecode ship too: an installed deployment deploys and anchors with them.
    assert (site / "honestmeter/ledger/contract/AnchorRegistry.json").is_file()

    cli = [sys.executable, "-m", "honestmeter"]
    upgrade = subprocess.run([*cli, "db", "upgrade"], cwd=run, env=env, capture_output=True, text=True, check=False)
    assert upgrade.returncode == 0, upgrade.stderr

    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--no-scheduler"],
        cwd=run,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/?lang=en")
                break
            except OSError:
                assert server.poll() is None, "serve exited"
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.5)
        assert status == 200
        assert b"Honest Metering" in body  # an English page: the compiled translations shipped
        assert _get(f"http://127.0.0.1:{port}/static/css/app.css")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
