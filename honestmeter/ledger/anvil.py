"""A supervised local anvil node (Foundry), the embedded default chain (DESIGN §3).

anvil runs with `--state <dir>/state.json --state-interval 1`: it loads the file at start, rewrites it
every second and once more on a clean exit (SIGTERM/SIGINT). A SIGKILL or crash therefore loses at most
the last second of blocks. Observed with anvil 1.7.1 (see tests/integration/ledger/test_chain.py):

* `stop()` (SIGTERM) then `start()`: everything survives — contract code, storage (`rootAt`,
  `latestTreeSize`), blocks, and the transaction receipts of the dumped blocks.
* `kill()` (SIGKILL) 1.5 s after the last transaction, then `start()`: the same, since the periodic dump
  had run. The block number and block hashes continue from the dump.
* `kill()` within the same second as a transaction loses that transaction and its block (it was not yet
  dumped): after the restart `rootAt` is zero for it, `latestTreeSize` is the previous one, its receipt
  is unknown, and the next transaction reuses its block number (with a different hash).
* anvil rewrites the state file in place (open with O_TRUNC, then write; no rename), so a SIGKILL during
  a dump leaves a truncated file and anvil then refuses to start ("failed to parse json file"). `start()`
  therefore checks the file: a valid one is copied to `state.json.bak`; an unreadable one is moved aside
  (`state.json.corrupt-<time>`) and replaced by that copy, i.e. the chain as it was at the last start.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from honestmeter.ledger.chain import ChainError

log = logging.getLogger(__name__)

START_TIMEOUT = 20.0  # seconds for anvil to answer eth_chainId
STOP_TIMEOUT = 10.0  # seconds for anvil to dump its state and exit after SIGTERM
LOG_TAIL_LINES = 20

_NPM_PLATFORM = {"linux": "linux", "darwin": "darwin", "win32": "win32"}
_NPM_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class AnvilError(ChainError):
    """The local anvil node could not be started or stopped."""


SAVE_TIMEOUT = 5.0  # seconds for anvil's periodic dump (--state-interval 1) to hold a new block


def saved_block(state_file: Path) -> int | None:
    """The newest block anvil's last complete state dump holds (None: no dump yet, or one being written)."""
    try:
        number = json.loads(state_file.read_bytes())["best_block_number"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return int(number, 0) if isinstance(number, str) else int(number)


def wait_saved(state_file: Path, block: int, timeout: float = SAVE_TIMEOUT) -> bool:
    """Wait until anvil has saved `block` to its state file; False if it has not within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        saved = saved_block(state_file)
        if saved is not None and saved >= block:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def find_anvil(repo_root: Path) -> Path | None:
    """The anvil binary installed by `npm install` (package @foundry-rs/anvil) beside the checkout, else one on PATH
    (an installed wheel has no node_modules: `npm install -g @foundry-rs/anvil`, or Foundry), or None.

    Prefers the native binary of the platform package over `node_modules/.bin/anvil`: that is a Node
    wrapper which spawns the binary as a child, so a signal sent to the wrapper alone would not reach
    anvil the way a supervisor (or a fault test's SIGKILL) means it to.
    """
    modules = repo_root / "node_modules"
    exe = "anvil.exe" if sys.platform == "win32" else "anvil"
    npm_platform = _NPM_PLATFORM.get(sys.platform)
    npm_arch = _NPM_ARCH.get(platform.machine().lower())
    candidates = [modules / "@foundry-rs/anvil/dist" / exe]
    if npm_platform and npm_arch:
        candidates.insert(0, modules / f"@foundry-rs/anvil-{npm_platform}-{npm_arch}/bin" / exe)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    wrapper = modules / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    found = shutil.which(exe)
    return Path(found) if found else None


class AnvilNode:
    """One anvil process on `host:port` with its state and log in `state_dir`."""

    def __init__(
        self, binary: Path, state_dir: Path, port: int, chain_id: int = 31337, host: str = "127.0.0.1"
    ) -> None:
        self.binary = Path(binary)
        self.state_dir = Path(state_dir)
        self.port = port
        self.chain_id = chain_id
        self.host = host
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def backup_file(self) -> Path:
        return self.state_dir / "state.json.bak"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "anvil.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--state", str(self.state_file),
            "--state-interval", "1",
            "--silent",
        ]  # fmt: skip

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start anvil (loading the state file if present) and wait until it answers eth_chainId."""
        if self.alive():
            return
        if self._port_open():
            raise AnvilError(f"cannot start anvil: {self.host}:{self.port} is already in use by another process")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._check_state_file()
        self._close_log()
        self._log = self.log_file.open("ab")
        self._log.write(f"--- {datetime.now(UTC).isoformat()} start: {' '.join(self.command())}\n".encode())
        self._log.flush()
        try:
            # Own session/process group: signals reach anvil even through the npm wrapper, and a Ctrl-C
            # meant for the web server does not skip anvil's state dump.
            self._proc = subprocess.Popen(  # noqa: S603 — fixed argv, no shell
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as err:
            self._close_log()
            raise AnvilError(f"cannot run {self.binary}: {err}") from err
        deadline = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                self._close_log()
                raise AnvilError(f"anvil exited with code {code} while starting:\n{self.log_tail()}")
            answer = self._rpc_chain_id()
            if answer is not None:
                if answer != self.chain_id:
                    self.stop()
                    raise AnvilError(f"anvil answered chain id {answer}, expected {self.chain_id}")
                log.info("anvil started on %s (pid %s, state %s)", self.url, self._proc.pid, self.state_file)
                return
            if time.monotonic() > deadline:
                self.kill()
                raise AnvilError(f"anvil did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM and wait: anvil dumps its state file on a clean exit. SIGKILL if it hangs."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("anvil (pid %s) ignored SIGTERM for %.0f s; killing it", proc.pid, timeout)
                self._signal(signal.SIGKILL)
                proc.wait()
        self._wait_port_closed(timeout)
        self._proc = None
        self._close_log()

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests): anything not yet dumped to the state file is lost."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal(signal.SIGKILL)
            proc.wait()
        self._wait_port_closed(STOP_TIMEOUT)
        self._proc = None
        self._close_log()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ensure_running(self) -> None:
        """Start anvil if it is not running, restarting it (from its state file) if it died."""
        if self.alive():
            return
        if self._proc is not None:
            log.warning("anvil (pid %s) exited with code %s; restarting", self._proc.pid, self._proc.returncode)
            self._proc = None
            self._close_log()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no anvil log)"
        return "\n".join(text.splitlines()[-lines:]) or "(anvil log is empty)"

    def _check_state_file(self) -> None:
        """Back up a readable state file; replace a truncated one (killed mid-dump) by the backup."""
        if not self.state_file.exists():
            return
        try:
            with self.state_file.open("rb") as fh:
                json.load(fh)
        except (OSError, ValueError) as err:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = self.state_file.with_name(f"{self.state_file.name}.corrupt-{stamp}")
            self.state_file.replace(aside)
            if self.backup_file.exists():
                shutil.copyfile(self.backup_file, self.state_file)
                log.error("anvil state file unreadable (%s), moved to %s; restored %s", err, aside, self.backup_file)
            else:
                log.error("anvil state file unreadable (%s), moved to %s; starting an empty chain", err, aside)
            return
        partial = self.backup_file.with_name(self.backup_file.name + ".tmp")
        shutil.copyfile(self.state_file, partial)
        partial.replace(self.backup_file)

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None  # noqa: S101 — callers check
        try:
            os.killpg(self._proc.pid, sig)  # the whole group: the npm wrapper and its anvil child
        except ProcessLookupError:
            pass
        except OSError:
            self._proc.send_signal(sig)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _port_open(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _wait_port_closed(self, timeout: float) -> None:
        """With the npm wrapper, anvil itself may outlive the wrapper by a moment: wait for the port."""
        deadline = time.monotonic() + timeout
        while self._port_open() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _rpc_chain_id(self) -> int | None:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
        request = urllib.request.Request(  # noqa: S310 — http URL built from our own host and port
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1.0) as response:  # noqa: S310
                answer = json.loads(response.read())
        except (OSError, urllib.error.URLError, ValueError):
            return None
        result = answer.get("result") if isinstance(answer, dict) else None
        return int(result, 16) if isinstance(result, str) else None
