"""Content-addressed files outside the web root (certificate scans, evidence photos, PDF notices).

Files are written whole or not at all: a temporary file in the target's folder, renamed into place once every
byte is written. A full disk (or a quota, or a file-size limit) is a `StorageFull` domain error with a message for
the user, and leaves neither the temporary file nor a half-written target behind; callers write the file before
they commit the row that names it, so a failed write never leaves a row pointing at nothing.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from honestmeter.errors import DomainError
from honestmeter.tables import N_

# No space left, over the quota, or over the process's file-size limit (RLIMIT_FSIZE): all "the disk is full".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
TEMP_PREFIX = ".upload-"  # temporary files, next to their target until renamed


class StorageFull(DomainError):
    """The file could not be stored because the disk under var/ is full; nothing was kept."""

    status_code = 507  # Insufficient Storage

    def __init__(self) -> None:
        super().__init__(N_("服务器存储空间已满，文件未能保存，本次操作没有生效。请稍后再试，或请管理员清理磁盘空间。"))


def is_full(err: OSError) -> bool:
    return err.errno in FULL_ERRNOS


def write_once(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically unless it is already there (names are content hashes).

    Raises StorageFull when the disk is full; other OS errors (permissions, I/O) propagate as they are.
    """
    if target.is_file():
        return
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        with os.fdopen(fd, "wb") as fh:  # closing flushes: a full disk may only show here
            fh.write(data)
        os.replace(tmp, target)  # a reader never sees half a file
        tmp = None
    except OSError as err:
        if is_full(err):
            raise StorageFull() from err
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner may enter (0700), created if missing and tightened if it was not: the
    var dir holds the database, keys, uploads and notices."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner may read (0600), created empty if missing: SQLite then keeps the mode, and
    gives its WAL and shared-memory files the same."""
    if not path.parent.exists():
        private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path
