"""The embedded server refuses an oversized body from its Content-Length, before reading it (issue 16 §13)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_listening

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "HONESTMETER_VAR_DIR": str(tmp_path / "var"),
        "LEDGER_CHAIN": "none",
    }
    cli = [sys.executable, "-m", "honestmeter"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*cli, "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port, process)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_body_over_the_limit_is_refused_before_it_is_sent(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        # 300 MB announced, not one byte of it sent: the answer must come from the headers alone.
        conn.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 300000000\r\n\r\n"
        )
        status_line = conn.recv(200).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, status_line
