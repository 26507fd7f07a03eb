"""Which scheduler process may run jobs: exactly one per database.

Every scheduler process ticks, but a job runs only in the process that holds the leadership lock.
On PostgreSQL that is a session-level advisory lock on a dedicated connection: it lives exactly as
long as the connection, so a leader that dies (or loses its connection when the database restarts)
frees it, and a standby takes over at its next tick. On SQLite, a single file, it is an exclusive
`flock` on `var/scheduler.lock`, which the kernel also frees when the process dies.

Before each run the leader checks that it still holds the lock, so a leader cut off from the
database steps down instead of running a job a new leader may be running too.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from honestmeter import clock

log = logging.getLogger(__name__)

# pg_advisory_lock's key space is shared by every application on the database: a fixed, documented
# 64-bit key ("honestmtr" in ASCII, truncated) keeps ours from colliding by accident.
ADVISORY_LOCK_KEY = 0x686F6E6573746D74

_HELD_SQL = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted "
    "AND classid = :hi AND objid = :lo AND objsubid = 1"
)


def _standing_by(holder: object) -> None:
    """Say once per spell of standing by that another process leads (not at every tick)."""
    if not getattr(holder, "_standby_said", False):
        log.info("scheduler: another process holds the leadership lock; standing by (pid %d)", os.getpid())
        holder._standby_said = True  # type: ignore[attr-defined]


class Leadership(Protocol):
    def ensure(self) -> bool:
        """True when this process holds the lock now (taking it if it is free)."""

    def newly_taken(self) -> bool:
        """True once after each time this process took the lock (then: close the runs a dead leader left)."""

    @property
    def taken_at(self) -> datetime | None: ...

    def release(self) -> None: ...


class _Terms:
    """Counts the times the lock was taken, so the scheduler can tidy up once per term."""

    _taken = 0
    _seen = 0
    taken_at: datetime | None = None  # when this process last took the lock

    def _took(self) -> None:
        self._taken += 1
        self.taken_at = clock.utcnow()
        self._standby_said = False

    def newly_taken(self) -> bool:
        fresh, self._seen = self._taken != self._seen, self._taken
        return fresh


class PostgresLeadership(_Terms):
    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None
        self._lock = threading.Lock()  # APScheduler runs jobs on a thread pool

    def ensure(self) -> bool:
        with self._lock:
            if self._connection is not None:
                if self._still_held():
                    return True
                log.warning("scheduler: lost the leadership lock (database connection gone); standing by")
                self._drop()
            return self._try_acquire()

    def _still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            hi, lo = divmod(self.key, 2**32)
            return bool(self._connection.execute(_HELD_SQL, {"hi": hi, "lo": lo}).scalar())
        except sa.exc.DBAPIError:
            return False

    def _try_acquire(self) -> bool:
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except sa.exc.DBAPIError:
            return False
        try:
            got = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except sa.exc.DBAPIError:
            got = False
        if not got:
            connection.close()
            _standing_by(self)
            return False
        self._connection = connection
        self._took()
        log.info("scheduler: leadership taken (pid %d)", os.getpid())
        return True

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.invalidate()  # never return a connection holding the lock to the pool
                self._connection.close()
        self._connection = None

    def release(self) -> None:
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(sa.exc.DBAPIError):
                    self._connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._drop()


class FileLeadership(_Terms):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()

    def ensure(self) -> bool:
        with self._lock:
            if self._file is not None:
                return True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "ab")  # noqa: SIM115 — held open for the life of the leadership
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                _standing_by(self)
                return False
            self._file = handle
            self._took()
            log.info("scheduler: leadership taken (pid %d)", os.getpid())
            return True

    def release(self) -> None:
        with self._lock:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None


def for_database(engine: Engine, var_dir: Path) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    return FileLeadership(var_dir / "scheduler.lock")
