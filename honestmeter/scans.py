"""Certificate scans: what a file really is, and where it is kept (pure: no Flask, no SQLAlchemy).

The type is read from the file's first bytes, never from the client's Content-Type or the file
name: a PNG named "证书.pdf" is a PNG, and an HTML page named "证书.png" is refused. Files are
stored outside the web root under `<var>/uploads/certificates/<first two hex digits>/<sha256>`,
so the same scan uploaded twice is stored once and a name can never escape the directory.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from honestmeter.config import Config
from honestmeter.storage import write_once
from honestmeter.tables import N_

DEFAULT_MAX_BYTES = Config.CERTIFICATE_SCAN_MAX_BYTES
SCAN_DIR = PurePath("uploads", "certificates")

# Magic bytes of the types a certificate scan may be: PDF, JPEG, PNG.
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class ScanRejected(ValueError):
    """The upload is not an acceptable scan; the message is the Chinese text shown to the user."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, or None when they are none of PDF, JPEG, PNG."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


@dataclass(frozen=True)
class Scan:
    """A checked scan, ready to store."""

    data: bytes
    sha256: str  # hex
    content_type: str
    filename: str

    @property
    def relative_path(self) -> PurePath:
        return SCAN_DIR / self.sha256[:2] / self.sha256


def check(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Scan:
    """Accept a PDF, JPEG or PNG of at most `max_bytes`, whatever its name says."""
    if not data:
        raise ScanRejected(N_("上传的文件是空的"))
    if len(data) > max_bytes:
        raise ScanRejected(N_("文件超过 %(limit)s 的上限"), limit=human_size(max_bytes))
    content_type = sniff(data)
    if content_type is None:
        raise ScanRejected(N_("只能上传 PDF、JPEG 或 PNG 格式的证书扫描件"))
    return Scan(data, hashlib.sha256(data).hexdigest(), content_type, clean_name(filename, "certificate"))


def clean_name(filename: str, default: str) -> str:
    """The name a browser sent, fit to keep and to send back: its last path component (some send a full path),
    without control or format characters (a NUL cannot be stored by PostgreSQL, and none belongs in a
    Content-Disposition header), at most 255 characters; `default` when nothing is left."""
    name = PurePath(filename.replace("\\", "/")).name
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return kept[-255:] or default


def store(var_dir: Path, scan: Scan) -> PurePath:
    """Write the scan under `var_dir` (atomically, once per content); returns the relative path."""
    target = var_dir / scan.relative_path
    write_once(target, scan.data)
    return scan.relative_path


def locate(var_dir: Path, relative_path: str, sha256: str) -> Path | None:
    """The stored file for a verification row, or None when it is missing or the row was tampered with."""
    expected = SCAN_DIR / sha256[:2] / sha256
    if PurePath(relative_path) != expected or not all(c in "0123456789abcdef" for c in sha256) or len(sha256) != 64:
        return None
    path = var_dir / expected
    return path if path.is_file() else None


def download_name(filename: str, content_type: str) -> str:
    """The uploaded name with the extension of what the file really is ("证书.pdf" holding a PNG → "证书.png")."""
    stem = PurePath(clean_name(filename, "certificate")).stem or "certificate"
    return stem + EXTENSIONS.get(content_type, "")


def human_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(1, n // 1024)} KB"
