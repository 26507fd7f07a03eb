"""Certificate scans: the type comes from the bytes, the size is capped, storage is content-addressed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from honestmeter import scans

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
HTML = b"<!doctype html><script>alert(1)</script>"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (HTML, None),
        (b"GIF89a", None),
        (b"PK\x03\x04", None),
        (b"", None),
        (b" %PDF-1.7", None),  # the magic must be at the very start
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert scans.sniff(data) == expected


def test_the_name_never_decides_the_type() -> None:
    assert scans.check(PNG, "证书.pdf").content_type == "image/png"
    with pytest.raises(scans.ScanRejected, match="只能上传 PDF、JPEG 或 PNG"):
        scans.check(HTML, "证书.png")


def test_size_limit_and_empty_file() -> None:
    assert scans.check(PDF, "a.pdf", max_bytes=len(PDF)).sha256 == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(scans.ScanRejected, match="文件超过 5 MB 的上限"):
        scans.check(PDF + b"\x00" * (5 * 1024 * 1024), "a.pdf")
    with pytest.raises(scans.ScanRejected, match="上传的文件是空的"):
        scans.check(b"", "a.pdf")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("证书.pdf", "证书.pdf"),
        ("C:\\Users\\店长\\桌面\\证书.pdf", "证书.pdf"),
        ("../../etc/passwd", "passwd"),
        ("", "certificate"),
    ],
)
def test_only_the_last_name_component_is_kept(sent: str, kept: str) -> None:
    assert scans.check(PDF, sent).filename == kept


def test_store_is_content_addressed_and_locate_refuses_tampered_rows(tmp_path: Path) -> None:
    scan = scans.check(PDF, "证书.pdf")
    relative = scans.store(tmp_path, scan)
    assert relative.as_posix() == f"uploads/certificates/{scan.sha256[:2]}/{scan.sha256}"
    assert (tmp_path / relative).read_bytes() == PDF
    assert scans.store(tmp_path, scan) == relative  # the same file again is not written twice
    assert [p.name for p in (tmp_path / relative).parent.iterdir()] == [scan.sha256]  # no temporary leftovers
    assert scans.locate(tmp_path, relative.as_posix(), scan.sha256) == tmp_path / relative
    assert scans.locate(tmp_path, "../../secret_key", scan.sha256) is None
    assert scans.locate(tmp_path, relative.as_posix(), "0" * 64) is None
    assert scans.locate(tmp_path, "uploads/certificates/../x", "../x") is None


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("证书.pdf", "image/png", "证书.png"),
        ("scan", "application/pdf", "scan.pdf"),
        ("", "image/jpeg", "certificate.jpg"),
    ],
)
def test_download_name_carries_the_real_extension(name: str, content_type: str, expected: str) -> None:
    assert scans.download_name(name, content_type) == expected


def test_human_size() -> None:
    assert [scans.human_size(n) for n in (5 * 1024 * 1024, 1536 * 1024, 2048, 10)] == ["5 MB", "1.5 MB", "2 KB", "1 KB"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("证书\x00.pdf", "证书.pdf"),  # PostgreSQL cannot store a NUL
        ("a\x07b\r\nc.pdf", "abc.pdf"),  # nor belongs a control character in Content-Disposition
        ("\u202eevil\u200b.pdf", "evil.pdf"),  # format characters (bidi override, zero width) go too
        ("C:\\Users\\王五\\扫描件.pdf", "扫描件.pdf"),
        ("\x00\x01", "certificate"),
    ],
)
def test_names_lose_control_and_format_characters(sent: str, kept: str) -> None:
    assert scans.check(PDF, sent).filename == kept
    assert "\x00" not in scans.download_name(sent, "application/pdf")
