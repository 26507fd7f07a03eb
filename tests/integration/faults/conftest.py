"""Fixtures of the fault tests (helpers.py has the rest): the application's real session, a database of the test's
own on the backend under test, a private PostgreSQL cluster, a small tmpfs standing for a full disk."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from honestmeter.extensions import db
from tests.conftest import empty_database, free_port
from tests.integration.faults.helpers import REAL_SESSION, PrivatePostgres, kill_children, postgres_bindir


@pytest.fixture(autouse=True)
def _no_child_left() -> Iterator[None]:
    """A failed test must not leave its writer process writing."""
    yield
    kill_children()


@pytest.fixture
def real_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Flask-SQLAlchemy session, scoped to the app context, instead of the test's SAVEPOINT session."""
    monkeypatch.setattr(db, "session", REAL_SESSION)


@pytest.fixture
def own_database(tmp_path: Path, real_session: None) -> Iterator[str]:
    """An empty database for this test alone (SQLite file or scratch PostgreSQL database, as the run's backend)."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    cluster = PrivatePostgres(bindir, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class FullDisk:
    """A small tmpfs: `fill()` leaves (about) `leave` bytes free, `free()` gives the space back."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.ballast = mount / "ballast"

    def available(self) -> int:
        stat = os.statvfs(self.mount)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave: int = 0) -> None:
        with self.ballast.open("ab", buffering=0) as fh:
            for chunk in (1 << 20, 1 << 12):
                try:
                    while True:
                        fh.write(b"\0" * chunk)
                except OSError as err:
                    if err.errno != errno.ENOSPC:
                        raise
        if leave:
            os.truncate(self.ballast, max(0, self.ballast.stat().st_size - leave))
        assert self.available() <= leave + 4096

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """Every file kept under the mount, the ballast aside."""
        return sorted(p for p in self.mount.rglob("*") if p.is_file() and p != self.ballast)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    """A 24 MB tmpfs mounted for this test (as root); skipped where mounting is not allowed."""
    mount = tmp_path / "var"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(mount)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the full-disk tests (needs root): {done.stderr.strip()}")
    try:
        yield FullDisk(mount)
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)  # noqa: S607
