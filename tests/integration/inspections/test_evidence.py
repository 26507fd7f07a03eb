"""Evidence photos: type by magic bytes, size limit, SHA-256 storage outside the web root, de-duplication."""

from __future__ import annotations

import hashlib
import struct
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Task
from honestmeter.inspections.tasks import evidence, findings
from honestmeter.inspections.tasks import services as tasks
from tests.factories import InspectorFactory, TaskFactory

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"jpeg-body" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png-body" * 10
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + b"\x00" * 22


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 16


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"avif", b"mif1", b"avif"), None),
        (ftyp(b"mif1", b"mif1", b"avif"), None),
        (ftyp(b"isom", b"mp41"), None),  # an MP4 video is not a photo
        (b"GIF89a" + b"\x00" * 20, None),
        (b"<html><script>alert(1)</script></html>", None),
        (b"%PDF-1.7", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    ],
)
def test_sniff_by_magic_bytes(data: bytes, expected: str | None) -> None:
    assert evidence.sniff(data) == expected


def test_check_limits_size_and_type() -> None:
    assert evidence.check(JPEG, max_bytes=len(JPEG)).sha256 == hashlib.sha256(JPEG).hexdigest()
    with pytest.raises(ValidationFailed, match="上限") as err:
        evidence.check(JPEG, max_bytes=len(JPEG) - 1)
    assert err.value.field == "photo"
    with pytest.raises(ValidationFailed, match="JPEG"):
        evidence.check(b"<svg onload=alert(1)>", max_bytes=10_000)
    with pytest.raises(ValidationFailed):
        evidence.check(b"", max_bytes=10_000)


def test_locate_refuses_a_file_changed_on_disk(tmp_path: Path) -> None:
    photo = evidence.check(PNG, max_bytes=10_000)
    path = evidence.store(tmp_path, photo)
    assert path == tmp_path / "evidence" / photo.sha256[:2] / photo.sha256
    assert evidence.locate(tmp_path, bytes.fromhex(photo.sha256)) == path
    path.write_bytes(PNG + b"tampered")
    assert evidence.locate(tmp_path, bytes.fromhex(photo.sha256)) is None
    assert evidence.locate(tmp_path, b"short") is None


@pytest.fixture
def task() -> Task:
    made = TaskFactory()
    db.session.commit()
    a = made.assignments[0].inspector.user
    items = [findings.ItemEntry("JL-01", "pass"), findings.ItemEntry("JL-04", "pass")]
    findings.record_finding(made.id, a, findings.FindingEntry(date(2026, 11, 20), ["01"], items))
    return made


def test_photo_is_hashed_stored_outside_the_web_root_and_counts_as_a_change(app: Flask, task: Task) -> None:
    a, b = (x.inspector.user for x in task.assignments)
    tasks.confirm_finding(task.id, a, 1)
    photo = findings.add_photo(task.id, b, JPEG, caption=" 电子秤铅封 ")
    digest = hashlib.sha256(JPEG).digest()
    assert photo.sha256 == digest and photo.content_type == "image/jpeg" and photo.size == len(JPEG)
    assert photo.caption == "电子秤铅封" and photo.uploaded_by_id == b.id
    stored = Path(app.config["VAR_DIR"]) / "evidence" / digest.hex()[:2] / digest.hex()
    assert stored.read_bytes() == JPEG
    assert not str(stored.resolve()).startswith(str(Path(app.static_folder or "static").resolve()))
    assert task.finding is not None and task.finding.revision == 2
    assert all(x.confirmed_revision is None for x in task.assignments)

    found = findings.photo_for_inspector(task.id, photo.id, a)
    assert found.path == stored and found.content_type == "image/jpeg"
    assert findings.photo_for_admin(task.id, photo.id).path == stored
    with pytest.raises(NotFound):
        findings.photo_for_inspector(task.id, photo.id, InspectorFactory().user)
    with pytest.raises(NotFound):
        findings.photo_for_inspector(task.id, photo.id + 1000, a)


def test_same_photo_twice_on_one_finding_is_refused_but_another_finding_may_hold_it(task: Task) -> None:
    a = task.assignments[0].inspector.user
    findings.add_photo(task.id, a, PNG)
    with pytest.raises(ValidationFailed, match="已经上传") as err:
        findings.add_photo(task.id, a, PNG)
    assert err.value.field == "photo"
    assert task.finding is not None and len(task.finding.photos) == 1 and task.finding.revision == 2

    other = TaskFactory(inspectors=[task.assignments[0].inspector, InspectorFactory()])
    db.session.commit()
    findings.record_finding(
        other.id,
        a,
        findings.FindingEntry(
            date(2026, 11, 20), ["01"], [findings.ItemEntry("JL-01", "pass"), findings.ItemEntry("JL-04", "pass")]
        ),
    )
    assert findings.add_photo(other.id, a, PNG).sha256 == hashlib.sha256(PNG).digest()


def test_wrong_type_and_oversize_uploads_are_refused(app: Flask, task: Task) -> None:
    a = task.assignments[0].inspector.user
    with pytest.raises(ValidationFailed, match="JPEG"):
        findings.add_photo(task.id, a, b"<html>not a photo</html>")
    limit = app.config["EVIDENCE_MAX_BYTES"]
    app.config["EVIDENCE_MAX_BYTES"] = 64
    try:
        with pytest.raises(ValidationFailed, match="上限"):
            findings.add_photo(task.id, a, JPEG)
    finally:
        app.config["EVIDENCE_MAX_BYTES"] = limit
    assert task.finding is not None and task.finding.photos == [] and task.finding.revision == 1


def test_removing_a_photo_is_a_change_too(task: Task) -> None:
    a, b = (x.inspector.user for x in task.assignments)
    photo = findings.add_photo(task.id, a, WEBP)
    tasks.confirm_finding(task.id, a, 2)
    findings.remove_photo(task.id, photo.id, b)
    assert task.finding is not None and task.finding.photos == [] and task.finding.revision == 3
    assert task.assignments[0].confirmed_revision is None


def test_a_photo_needs_a_saved_finding_and_an_editable_task() -> None:
    bare = TaskFactory()
    db.session.commit()
    with pytest.raises(InvalidTransition, match="先保存"):
        findings.add_photo(bare.id, bare.assignments[0].inspector.user, JPEG)


def test_a_problem_confirmed_with_a_photo(task: Task) -> None:
    a, b = (x.inspector.user for x in task.assignments)
    items = [findings.ItemEntry("JL-01", "fail"), findings.ItemEntry("JL-04", "pass")]
    findings.record_finding(task.id, a, findings.FindingEntry(date(2026, 11, 20), ["09"], items))
    with pytest.raises(ValidationFailed):
        tasks.confirm_finding(task.id, a, 2)
    findings.add_photo(task.id, a, JPEG)
    tasks.confirm_finding(task.id, a, 3)
    tasks.confirm_finding(task.id, b, 3)
    assert task.status == "completed"
    with pytest.raises(InvalidTransition):
        findings.add_photo(task.id, a, PNG)
