"""A real server (its own database, migrated and filled with demo data) and headless Debian Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import empty_database, free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Without these, Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _honestmeter(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "honestmeter", *args], env=env, check=True, capture_output=True)


@dataclass(frozen=True)
class Live:
    url: str
    env: dict[str, str]  # what the server runs with, so a test can use the same CLI against it

    def cli(self, *args: str) -> None:
        _honestmeter(self.env, *args)


@pytest.fixture(scope="session")
def live_server(live: Live) -> str:
    return live.url


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    with empty_database(tmp) as url:
        # The embedded default, as `make run` has it: a supervised anvil node with its state in var/.
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "HONESTMETER_VAR_DIR": str(tmp / "var"),
            "LEDGER_CHAIN": "embedded",
            "LEDGER_ANVIL_PORT": str(free_port()),
            # Every journey signs several people in from 127.0.0.1 within a minute; the throttle itself is tested
            # in tests/functional/test_web_flows.py (test_login_is_throttled_per_address).
            "LOGIN_RATE_LIMIT": "600 per minute",
        }
        _honestmeter(env, "db", "upgrade")
        _honestmeter(env, "demo-data", "--merchants", "60", "--seed", "3")
        port = free_port()
        log = tmp / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "honestmeter", "serve", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        try:
            yield Live(f"http://127.0.0.1:{port}", env)
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium when run as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,  # type: ignore[attr-defined]
        locale="zh-CN",
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def register(
    page: object,
    base: str,
    *,
    uscc: str,
    name: str,
    sector: str,
    region: str,
    address: str,
    person: str,
    username: str,
    password: str,
) -> None:
    """Fill and submit the merchant registration form as a person would."""
    page.goto(f"{base}/register")  # type: ignore[attr-defined]
    label = page.get_by_label  # type: ignore[attr-defined]
    label("统一社会信用代码").fill(uscc)
    label("经营者名称").fill(name)
    label("行业").select_option(label=sector)
    label("所在地区").select_option(value=region)
    label("经营场所地址").fill(address)
    label("法定代表人/负责人").fill(person)
    label("账号使用人姓名").fill(person)
    label("用户名").fill(username)
    label("密码", exact=True).fill(password)
    label("确认密码").fill(password)
    page.get_by_role("button", name="提交注册").click()  # type: ignore[attr-defined]
