"""Upload type sniffing and size limits on every upload field, and how accepted files are served back.

The fields come from the forms themselves (every FileField and MultipleFileField of every FlaskForm in the package):
one without a case below fails `test_every_upload_field_has_a_case`. For each field: an HTML page, a Windows
executable, an SVG, a GIF/JavaScript polyglot and a ZIP, each named as an accepted type, and a file one byte over
the limit, are refused with a Chinese message and change nothing; a PDF named .jpg is refused where PDFs are not
accepted. What is accepted is typed by its bytes, never by its name or the browser's Content-Type: a PDF named
.jpg is kept and served as a PDF, and a JPEG header followed by an HTML page is served as image/jpeg, with nosniff,
as an attachment (photos inline, under a sandbox CSP), never as a page.
"""

from __future__ import annotations

import hashlib
import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import MultipleFileField

from honestmeter.complaints.models import Complaint
from honestmeter.extensions import db
from honestmeter.inspections.models import EvidencePhoto
from honestmeter.instruments.models import InstrumentVerification
from honestmeter.lists.models import ListEntry
from honestmeter.repairs.models import RepairRequest
from tests.functional.security.conftest import PDF, World, fingerprint, sign_in, text

PACKAGE = Path(__file__).resolve().parents[3] / "honestmeter"
LIMIT = 4096  # per-file limit for the test (the real defaults are 5 and 8 MB)

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"This program cannot be run in DOS mode.\r\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
GIFAR = b"GIF89a/*\x01\x00\x01\x00\x00\xff\x00*/=1;alert(document.cookie);//" + b"PK\x03\x04" + b"\x00" * 20
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
JPEG_HTML = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML  # passes the JPEG check; must never be served as a page
PDF_AS_JPG = PDF + b"%%EOF\n"

BAD = {  # name it arrives with → bytes
    "html.jpg": HTML,
    "setup.jpg": EXE,
    "image.png": SVG,
    "polyglot.jpg": GIFAR,
    "archive.pdf": ZIP,
}


@dataclass(frozen=True)
class Upload:
    """One upload field: where it is posted, by whom, what else the form needs, and where a stored file is served."""

    who: Callable[[World], str | None]
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    name: str
    types: frozenset[str]  # content types the field accepts (imports: none are stored)
    wrong_type: str  # what the page says about a file of another type
    too_big: str  # … and about one over the limit
    served: Callable[[World, str], str] | None = None  # (world, sha256 hex) → the URL that serves the stored file
    server: Callable[[World], str | None] | None = None  # who downloads it
    inline: bool = False  # photos are shown in the page, under a sandbox CSP; everything else is an attachment
    multiple: bool = False
    follow: bool = False  # the answer is a redirect whose next page shows the message
    extra: dict[str, Any] = field(default_factory=dict)


def _newest(model: Any, merchant_id: int | None = None) -> Any:
    stmt = sa.select(model).order_by(model.id.desc()).limit(1)
    if merchant_id is not None:
        stmt = stmt.where(model.merchant_id == merchant_id)
    return db.session.scalar(stmt)


def _scan_url(w: World, sha: str) -> str:
    found = db.session.scalar(sa.select(InstrumentVerification).where(InstrumentVerification.scan_sha256 == sha))
    assert found is not None, "scan not stored"
    return f"/portal/instruments/{found.instrument_id}/verifications/{found.id}/scan"


def _photo_url(w: World, sha: str) -> str:
    found = db.session.scalar(sa.select(EvidencePhoto).where(EvidencePhoto.sha256 == bytes.fromhex(sha)))
    assert found is not None, "photo not stored"
    return f"/inspector/tasks/{w.ia.task.id}/photos/{found.id}"


CERTIFICATE = "只能上传 PDF、JPEG 或 PNG 格式的证书扫描件"
EVIDENCE = "证明材料只能是 PDF、JPEG 或 PNG 文件"
PHOTO = "只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片"
DOCUMENTS = frozenset({"application/pdf", "image/jpeg", "image/png"})

UPLOADS: dict[str, Upload] = {
    "instruments.forms.VerificationForm.scan": Upload(
        who=lambda w: w.a.user.username,
        url=lambda w: f"/portal/instruments/{w.a.instrument.id}/verifications/new",
        data=lambda w: {
            "verified_on": "2026-11-20",
            "verifying_body": "南山计量所",
            "certificate_no": "JD-1",
            "result": "pass",
        },
        name="scan",
        types=DOCUMENTS,
        wrong_type=CERTIFICATE,
        too_big="文件超过 4 KB 的上限",
        served=_scan_url,
        server=lambda w: w.a.user.username,
    ),
    "lists.forms.ModelUnitApplicationForm.evidence": Upload(
        who=lambda w: w.b.user.username,
        url=lambda w: "/portal/model-unit",
        data=lambda w: {"application": "设置公平秤，计量器具均按期检定。"},
        name="evidence",
        types=DOCUMENTS,
        wrong_type=EVIDENCE,
        too_big="文件超过 4 KB 的上限",
        served=lambda w, sha: f"/portal/model-unit/{_newest(ListEntry, w.b.merchant.id).id}/evidence/{sha}",
        server=lambda w: w.b.user.username,
        multiple=True,
    ),
    "repairs.forms.RepairForm.evidence": Upload(
        who=lambda w: w.a.user.username,
        url=lambda w: "/portal/repairs/new",
        data=lambda w: {
            "target": "penalty",
            "target_id": str(w.a.repairable.id),
            "statement": "已缴清罚款并完成整改",
            "signer_name": "李四",
            "signer_title": "负责人",
        },
        name="evidence",
        types=DOCUMENTS,
        wrong_type=EVIDENCE,
        too_big="文件超过 4 KB 的上限",
        served=lambda w, sha: f"/portal/repairs/{_newest(RepairRequest, w.a.merchant.id).id}/evidence/{sha}",
        server=lambda w: w.a.user.username,
        multiple=True,
    ),
    "complaints.forms.ComplaintForm.photos": Upload(
        who=lambda w: None,
        url=lambda w: "/complaints",
        data=lambda w: {
            "category": "short_weight",
            "merchant": "某水果摊",
            "description": "电子秤少称二两，店主拒绝复称。",
        },
        name="photos",
        types=DOCUMENTS,
        wrong_type=EVIDENCE,
        too_big="文件超过 4 KB 的上限",
        served=lambda w, sha: f"/admin/complaints/{_newest(Complaint).id}/photos/{sha}",
        server=lambda w: w.admin.username,
        multiple=True,
    ),
    "inspections.tasks.forms.PhotoForm.photo": Upload(
        who=lambda w: w.ia.user.username,
        url=lambda w: f"/inspector/tasks/{w.ia.task.id}/photos",
        data=lambda w: {"caption": "现场"},
        name="photo",
        types=frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"}),
        wrong_type=PHOTO,
        too_big="照片超过 4 KB 的上限",
        served=_photo_url,
        server=lambda w: w.ia.user.username,
        inline=True,
        follow=True,
    ),
    "instruments.forms.ImportForm.file": Upload(
        who=lambda w: w.a.user.username,
        url=lambda w: "/portal/instruments/import",
        data=lambda w: {},
        name="file",
        types=frozenset(),
        wrong_type="",
        too_big="超过",
    ),
    "ratings.penalties.forms.PenaltyImportForm.file": Upload(
        who=lambda w: w.admin.username,
        url=lambda w: "/admin/penalties/import",
        data=lambda w: {},
        name="file",
        types=frozenset(),
        wrong_type="",
        too_big="文件超过",
    ),
}


def upload_fields() -> set[str]:
    """module.Form.field for every file field of every form in the package."""
    found = set()
    for path in PACKAGE.rglob("*forms.py"):
        module = importlib.import_module("honestmeter." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for name, form in vars(module).items():
            if isinstance(form, type) and issubclass(form, FlaskForm) and form.__module__ == module.__name__:
                for attr, unbound in form._unbound_fields or _fields(form):
                    if issubclass(unbound.field_class, FileField | MultipleFileField):
                        found.add(f"{module.__name__.removeprefix('honestmeter.')}.{name}.{attr}")
    return found


def _fields(form: type[FlaskForm]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in vars(form).items() if hasattr(v, "field_class")]


def test_every_upload_field_has_a_case() -> None:
    assert upload_fields() == set(UPLOADS)


@pytest.fixture
def small_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from honestmeter.ratings.penalties import routes as penalty_routes

    for key in ("CERTIFICATE_SCAN_MAX_BYTES", "EVIDENCE_MAX_BYTES", "INSTRUMENT_IMPORT_MAX_BYTES"):
        monkeypatch.setitem(app.config, key, LIMIT)
    monkeypatch.setattr(penalty_routes, "IMPORT_MAX_BYTES", LIMIT)
    monkeypatch.setitem(app.config, "COMPLAINT_RATE_LIMIT", "1000 per minute")


def _client(app: Flask, username: str | None) -> FlaskClient:
    return sign_in(app, username) if username else app.test_client()


def _post(client: FlaskClient, world: World, spec: Upload, files: list[tuple[bytes, str]]) -> tuple[int, str]:
    payload = {**spec.data(world), spec.name: [(io.BytesIO(data), name) for data, name in files]}
    response = client.post(
        spec.url(world), data=payload, content_type="multipart/form-data", follow_redirects=spec.follow
    )
    return response.status_code, text(response)


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("key", sorted(UPLOADS))
def test_files_of_the_wrong_type_or_size_are_refused(app: Flask, world: World, key: str) -> None:
    spec = UPLOADS[key]
    spec.url(world), spec.data(world)  # build what the form names before taking the fingerprint
    bad = dict(BAD)
    if "application/pdf" not in spec.types:
        bad["certificate.jpg"] = PDF_AS_JPG  # a PDF named as a photo
    oversize = (PDF if spec.types else b"name,serial\n") + b"0" * LIMIT
    client = _client(app, spec.who(world))  # signing in writes last_login_at: before the fingerprint
    before = fingerprint()
    refused = []
    for name, data in [*bad.items(), ("big.pdf" if spec.types else "big.csv", oversize)]:
        status, page = _post(client, world, spec, [(data, name)])
        expected = spec.too_big if data is oversize else spec.wrong_type
        if status >= 500 or (expected and expected not in page):
            refused.append(f"{name}: HTTP {status}, no “{expected}” on the page")
    assert refused == []
    assert fingerprint() == before, "a refused upload changed something"


def test_imports_refuse_other_files_in_chinese(app: Flask, world: World) -> None:
    """The two spreadsheet imports store nothing, so what matters is that nothing is imported and the page says why."""
    for key in ("instruments.forms.ImportForm.file", "ratings.penalties.forms.PenaltyImportForm.file"):
        spec = UPLOADS[key]
        spec.url(world)
        client = _client(app, spec.who(world))
        before = fingerprint()
        for name, data in [*BAD.items(), ("report.xlsx", PDF), ("sheet.csv", JPEG_HTML)]:
            status, page = _post(client, world, spec, [(data, name)])
            assert status in (200, 422), f"{key} {name}: HTTP {status}"
            assert "已导入" not in page and any("\u4e00" <= ch <= "\u9fff" for ch in page)
        assert fingerprint() == before, key
        assert "这是 PDF 文件" in _post(client, world, spec, [(PDF, "report.xlsx")])[1]


STORED = [k for k, spec in UPLOADS.items() if spec.served is not None]


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("key", STORED)
def test_accepted_files_are_typed_by_their_bytes_and_served_safely(app: Flask, world: World, key: str) -> None:
    spec = UPLOADS[key]
    assert spec.served is not None and spec.server is not None
    good = [(JPEG_HTML, "page.html")]
    if "application/pdf" in spec.types:
        good.append((PDF_AS_JPG, "certificate.jpg"))
    uploader = _client(app, spec.who(world))
    for batch in [good] if spec.multiple else [[g] for g in good]:
        status, page = _post(uploader, world, spec, batch)
        assert status < 400, f"HTTP {status}: {page[:300]}"
    client = _client(app, spec.server(world))
    expected = {JPEG_HTML: ("image/jpeg", ".jpg"), PDF_AS_JPG: ("application/pdf", ".pdf")}
    for data, _name in good:
        url = spec.served(world, hashlib.sha256(data).hexdigest())
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.data == data
            content_type, extension = expected[data]
            assert response.mimetype == content_type, url
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("inline" if spec.inline else "attachment"), disposition
            assert extension in disposition and ".html" not in disposition, disposition
            assert "no-store" in response.headers["Cache-Control"]
            if spec.inline:
                assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.usefixtures("small_limits")
def test_a_request_over_the_total_limit_is_refused_before_any_view(app: Flask, world: World) -> None:
    """MAX_CONTENT_LENGTH bounds the whole request, whatever the per-file limits: 413 on every upload route."""
    app.config["MAX_CONTENT_LENGTH"], saved = 64 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        for key, spec in UPLOADS.items():
            spec.url(world)
            client = _client(app, spec.who(world))
            data = {**spec.data(world), spec.name: (io.BytesIO(PDF + b"0" * 70 * 1024), "big.pdf")}
            response = client.post(spec.url(world), data=data, content_type="multipart/form-data")
            assert response.status_code == 413, key
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
