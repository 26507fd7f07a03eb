"""Evidence files attached to an application (示范单位, 信用修复): PDF/JPEG/PNG checked by their bytes, stored once
by content under var/, listed on the row as JSON, and served back only when the row and the file still agree.

The checks themselves are `scans.py` (pure); this module adds what every upload form needs around them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, abort, request, send_file

from honestmeter import scans
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.settings import settings
from honestmeter.tables import N_


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the route received it: bytes and the name the browser gave."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str
    download_name: str


SHA256 = re.compile(r"[0-9a-f]{64}")


def uploads(field_name: str) -> list[Upload]:
    """The files a form field of the current request carries, one byte past the limit (so an oversized file is
    seen, not cut); empty file inputs left out."""
    return [
        Upload(f.read(limit() + 1), f.filename or "")
        for f in request.files.getlist(field_name)
        if f and (f.filename or "")
    ]


def download(files: Iterable[dict[str, Any]] | None, sha256: str) -> Response:
    """One file listed on a row as a private download; a malformed or unlisted hash is a 404."""
    if not SHA256.fullmatch(sha256):
        abort(404)
    try:
        return send(find(files, sha256))
    except NotFound:
        abort(404)


def limit() -> int:
    """The most bytes one file may have (routes read one byte more, so an oversized file is seen, not cut)."""
    return settings().CERTIFICATE_SCAN_MAX_BYTES


def var_dir() -> Path:
    return Path(settings().VAR_DIR)


def check_all(uploads: Sequence[Upload], *, max_files: int, missing: str) -> list[scans.Scan]:
    """The uploads checked (type sniffed, size limited) and de-duplicated; ValidationFailed on field "evidence"."""
    files = [u for u in uploads if u.data or u.filename]
    if not files:
        raise ValidationFailed(missing, field="evidence")
    if len(files) > max_files:
        raise ValidationFailed(N_("证明材料最多 %(n)s 个文件"), params={"n": max_files}, field="evidence")
    checked: dict[str, scans.Scan] = {}
    for upload in files:
        if upload.data and scans.sniff(upload.data) is None:
            message = N_("%(name)s：证明材料只能是 PDF、JPEG 或 PNG 文件")
            raise ValidationFailed(message % {"name": scans.clean_name(upload.filename, "evidence")}, field="evidence")
        try:
            scan = scans.check(upload.data, upload.filename or "evidence", max_bytes=limit())
        except scans.ScanRejected as err:
            raise ValidationFailed(f"{scans.clean_name(upload.filename, 'evidence')}：{err}", field="evidence") from err
        checked.setdefault(scan.sha256, scan)
    return list(checked.values())


def store_all(checked: Iterable[scans.Scan]) -> list[dict[str, Any]]:
    """Write the files and return the row's JSON list. Written before the commit: a rolled-back transaction leaves
    an unreferenced file, never a row pointing at nothing; content-addressed, so a retry reuses it."""
    stored = []
    for scan in checked:
        path = scans.store(var_dir(), scan)
        stored.append(
            {
                "path": path.as_posix(),
                "sha256": scan.sha256,
                "content_type": scan.content_type,
                "filename": scan.filename,
            }
        )
    return stored


def find(evidence: Iterable[dict[str, Any]] | None, sha256: str) -> StoredFile:
    """One file listed on a row, checked against it (a tampered row or a missing file is a 404)."""
    for item in evidence or []:
        if item.get("sha256") == sha256:
            path = scans.locate(var_dir(), str(item.get("path", "")), sha256)
            if path is None:
                break
            content_type = str(item.get("content_type", "application/octet-stream"))
            name = scans.download_name(str(item.get("filename") or "evidence"), content_type)
            return StoredFile(path, content_type, name)
    raise NotFound(N_("没有该证明材料"))


def send(found: StoredFile) -> Response:
    """The file as a private download. Files are small (the size limit); reading them whole keeps no file handle
    open past the response."""
    data = io.BytesIO(found.path.read_bytes())
    response = send_file(data, mimetype=found.content_type, as_attachment=True, download_name=found.download_name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
