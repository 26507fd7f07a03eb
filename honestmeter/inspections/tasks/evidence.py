"""Evidence photos taken on site: what a file really is, and where it is kept (pure: no Flask, no SQLAlchemy).

The type is read from the file's first bytes (magic numbers), never from the client's Content-Type or the
file name. Accepted: JPEG, PNG, WebP and HEIC/HEIF (what phone cameras produce). Photos are stored outside the
web root under `<var>/evidence/<first two hex digits>/<sha256>`, written atomically and once per content, so a
name can never escape the directory and the same bytes are stored once however often they are uploaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Final

from honestmeter.errors import ValidationFailed
from honestmeter.scans import human_size
from honestmeter.storage import write_once
from honestmeter.tables import N_

__all__ = ["ACCEPT", "EVIDENCE_DIR", "Photo", "check", "locate", "relative_path", "sniff", "store"]

EVIDENCE_DIR: Final = PurePath("evidence")
ACCEPT: Final = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"
EXTENSIONS: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic"}

_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})  # HEIF container: an image only if a HEVC brand follows


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, or None when they are none of JPEG, PNG, WebP, HEIC."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _is_heic(data):
        return "image/heic"
    return None


def _is_heic(data: bytes) -> bool:
    """ISO base media file: a first box of type `ftyp` whose major or compatible brands name HEVC images."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > min(len(data), 4096) or size % 4:
        return False
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, size, 4)}
    if major in _HEIF_BRANDS:
        return True
    return major in _GENERIC_HEIF_BRANDS and not _HEIF_BRANDS.isdisjoint(compatible)


@dataclass(frozen=True)
class Photo:
    """A checked photo, ready to store."""

    data: bytes
    sha256: str  # hex
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def relative_path(self) -> PurePath:
        return relative_path(self.sha256)


def relative_path(sha256_hex: str) -> PurePath:
    return EVIDENCE_DIR / sha256_hex[:2] / sha256_hex


def check(data: bytes, *, max_bytes: int) -> Photo:
    """Accept a JPEG, PNG, WebP or HEIC photo of at most `max_bytes`; ValidationFailed(field="photo") otherwise."""
    if not data:
        raise ValidationFailed(N_("请选择要上传的照片"), field="photo")
    if len(data) > max_bytes:
        raise ValidationFailed(N_("照片超过 %(limit)s 的上限"), params={"limit": human_size(max_bytes)}, field="photo")
    content_type = sniff(data)
    if content_type is None:
        raise ValidationFailed(N_("只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片"), field="photo")
    return Photo(data, hashlib.sha256(data).hexdigest(), content_type)


def store(var_dir: Path, photo: Photo) -> Path:
    """Write the photo under `var_dir` (atomically, once per content); returns the absolute path."""
    target = var_dir / photo.relative_path
    write_once(target, photo.data)
    return target


def locate(var_dir: Path, sha256: bytes) -> Path | None:
    """The stored file for a photo row's hash, or None when it is missing or does not hash to it."""
    if len(sha256) != 32:
        return None
    path = var_dir / relative_path(sha256.hex())
    if not path.is_file():
        return None
    if hashlib.sha256(path.read_bytes()).digest() != sha256:
        return None  # changed on disk behind the application's back: never serve it as evidence
    return path
