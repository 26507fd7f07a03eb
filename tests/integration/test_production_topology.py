"""The production topology of docs/deploy.md, started for real: PostgreSQL, an anvil node started on its
own (standing in for Besu or FISCO BCOS), gunicorn with deploy/gunicorn.conf.py, and two scheduler
processes. Merchants imported from a spreadsheet are published, anchored by whichever scheduler leads,
served by gunicorn, and /healthz says so.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from honestmeter.ledger.anvil import AnvilNode
from honestmeter.merchants import uscc
from tests.conftest import ANVIL, empty_database, free_port

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv/bin"

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""), reason="the production topology runs on PostgreSQL"
)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _wait(what: str, predicate: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except OSError as err:  # not listening yet
            last = err
        if last and not isinstance(last, OSError):
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if ANVIL is None:
        pytest.skip("anvil missing: run `make install`")
    with ExitStack() as stack:
        url = stack.enter_context(empty_database(tmp_path))
        node = stack.enter_context(AnvilNode(ANVIL, tmp_path / "chain", port=free_port()))
        web_port = free_port()
        env = {
            **os.environ,
            "HONESTMETER_ENV": "production",
            "HONESTMETER_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": url,
            "SECRET_KEY": "topology-test-" + "0" * 32,
            "LEDGER_CHAIN": node.url,
            "LEDGER_ANCHOR_SECONDS": "1",
            "SCHEDULER_HEARTBEAT_SECONDS": "1",
            "HM_BIND": f"127.0.0.1:{web_port}",
            "WEB_CONCURRENCY": "2",
            "HM_THREADS": "2",
            "PROXY_HOPS": "1",
        }
        subprocess.run([BIN / "honestmeter", "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True)
        logs = tmp_path / "logs"
        logs.mkdir()

        def start(name: str, *command: str | Path) -> subprocess.Popen[bytes]:
            out = stack.enter_context((logs / f"{name}.log").open("wb"))
            proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)

            def stop() -> None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

            stack.callback(stop)
            return proc

        start("web", BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "honestmeter.app:create_app()")
        schedulers = [start(f"scheduler{i}", BIN / "honestmeter", "scheduler") for i in range(2)]
        yield {"env": env, "base": f"http://127.0.0.1:{web_port}", "logs": logs, "schedulers": schedulers}


def test_production_topology_publishes_anchors_and_serves(topology: dict[str, Any], tmp_path: Path) -> None:
    base = topology["base"]
    rng = random.Random(8)
    codes = [uscc.random_code(rng, "110101") for _ in range(3)]
    sheet = tmp_path / "merchants.csv"
    sheet.write_text(
        "统一社会信用代码,经营者名称,行业,所在地区代码,经营场所地址,法定代表人/负责人\n"
        + "".join(
            f"{code},部署测试商店{i},集贸市场,110101,北京市东城区测试路{i}号,张{i}\n" for i, code in enumerate(codes)
        ),
        encoding="utf-8",
    )
    imported = subprocess.run(
        [BIN / "honestmeter", "import", "merchants", sheet],
        env=topology["env"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "imported 3 merchants" in imported.stdout

    def healthy() -> dict[str, Any] | None:
        status, _, body = _get(base + "/healthz")
        report = json.loads(body)
        anchoring = report["checks"]["anchoring"]
        done = status == 200 and report["status"] == "ok" and anchoring["tree_size"] >= 3 and anchoring["pending"] == 0
        return report if done else None

    report = _wait("a healthy, fully anchored deployment", healthy, timeout=90)
    assert report["checks"]["chain"]["chain_id"] == 31337

    status, headers, page = _get(f"{base}/merchants/{codes[0]}")
    assert status == 200 and "部署测试商店0" in page.decode()
    assert len(headers["X-Request-ID"]) == 32
    status, _, body = _get(f"{base}/api/v1/merchants/{codes[1]}")
    assert status == 200 and json.loads(body)["name"] == "部署测试商店1"

    # Exactly one scheduler led; the other stood by.
    said = {p.name: p.read_text(errors="replace") for p in topology["logs"].glob("scheduler*.log")}
    assert sum("leadership taken" in text for text in said.values()) == 1, said
    assert sum("standing by" in text for text in said.values()) == 1, said
    # The web tier writes JSON lines, each request's with its id.
    lines = [
        json.loads(line) for line in (topology["logs"] / "web.log").read_text().splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "honestmeter.access"]
    assert any(line["path"] == f"/merchants/{codes[0]}" and line["status"] == 200 for line in access)
    assert all(len(line["request_id"]) == 32 for line in access)
