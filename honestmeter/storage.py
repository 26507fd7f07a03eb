"""Content-addressed files outside the web root (certificate scans, evidence photos)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically unless it is already there (names are content hashes)."""
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
