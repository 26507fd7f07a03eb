"""A real server (its own database, migrated and filled with demo data) and headless Debian Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import empty_database, free_port, wait_listening

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
# Screenshots are test artefacts: test-artifacts/ at the repository root, or wherever HM_ARTIFACTS_DIR says.
ARTIFACTS = Path(os.environ.get("HM_ARTIFACTS_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts").resolve()
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
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
    done = subprocess.run([sys.executable, "-m", "honestmeter", *args], env=env, capture_output=True, check=False)
    if done.returncode != 0:  # say why: a bare CalledProcessError hides the command's own message
        output = (done.stdout + done.stderr).decode(errors="replace")[-4000:]
        raise RuntimeError(f"`honestmeter {' '.join(args)}` exited {done.returncode}:\n{output}")


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
        try:
            wait_listening(port, server)
        except RuntimeError:
            raise RuntimeError(f"server did not start:\n{log.read_text()}") from None
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


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """One browser context per person (its own cookies), closed at the end of the test: new_page(**PHONE)."""
    contexts = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(locale="zh-CN", **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    """Sign in through the login form; fails unless the server let the person in."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


class Album:
    """Numbered full-page screenshots of one journey, in order: <ARTIFACTS>/<name>/NN-step-name.png.

    The folder is emptied of its screenshots first, so it holds exactly this run's steps.
    """

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.taken: list[Path] = []

    def __call__(self, page: Page, step: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
