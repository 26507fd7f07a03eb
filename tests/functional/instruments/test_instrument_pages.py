"""The merchant's instrument pages over HTTP: CRUD, flags, verifications with scans, imports, IDOR."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.extensions import db
from honestmeter.instruments import importing, queries, services
from honestmeter.instruments.models import Instrument, InstrumentStatus, InstrumentVerification, VerificationResult
from tests.conftest import Auth
from tests.factories import MerchantFactory, UserFactory, instrument_type

PDF = b"%PDF-1.7\n% certificate\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with clock.frozen(datetime(2026, 11, 23, 4, tzinfo=UTC)):
        yield


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def merchant_user(username: str) -> User:
    return UserFactory(username=username, merchant_user=True)  # type: ignore[no-any-return]


def add(user: User, serial: str, **kwargs: object) -> Instrument:
    assert user.merchant_id is not None
    facts = services.InstrumentFacts(type_id=instrument_type("price_scale").id, serial_number=serial)
    return services.add_instrument(user.merchant_id, facts, **kwargs)  # type: ignore[arg-type]


def verify(user: User, item: Instrument, *, scan: bytes | None = None) -> InstrumentVerification:
    assert user.merchant_id is not None
    return services.record_verification(
        user.merchant_id,
        item.id,
        services.VerificationFacts(date(2026, 11, 1), "计量院", "JD-1", VerificationResult.PASS),
        scan=services.Upload(scan, "证书.pdf") if scan else None,
    )


def verification_form(**changes: object) -> dict[str, object]:
    return {
        "verified_on": "2026-11-20",
        "verifying_body": "深圳市计量质量检测研究院",
        "result": "pass",
        "certificate_no": "JD20261120",
        **changes,
    }


def test_add_edit_verify_and_retire_through_the_forms(client: FlaskClient, auth: Auth) -> None:
    user = merchant_user("shop")
    auth.login("shop")
    assert client.get("/portal/instruments/new").status_code == 200
    response = client.post(
        "/portal/instruments/new",
        data={
            "type_id": instrument_type("price_scale").id,
            "serial_number": "CS-001",
            "maker": "友声",
            "location": "收银台",
            "use": "trade",
            "last_verified_on": "2025-11-01",
            "certificate_no": "JD2511",
        },
    )
    assert response.status_code == 302
    item = db.session.scalars(sa.select(Instrument).where(Instrument.merchant_id == user.merchant_id)).one()
    page = text(client.get(response.headers["Location"]))
    assert "CS-001" in page and "已超期" in page and "JD2511" in page

    duplicate = client.post(
        "/portal/instruments/new",
        data={"type_id": instrument_type("price_scale").id, "serial_number": "CS-001", "use": "trade"},
    )
    assert "台账中已有同一类型、同一出厂编号的器具" in text(duplicate)

    edit = client.post(
        f"/portal/instruments/{item.id}/edit",
        data={"type_id": item.type_id, "serial_number": "CS-001", "location": "生鲜区", "use": "trade"},
    )
    assert edit.status_code == 302 and item.location == "生鲜区"

    assert client.post(f"/portal/instruments/{item.id}/verifications/new", data=verification_form()).status_code == 302
    assert item.next_due_on == date(2027, 11, 20)
    assert "在有效期内" in text(client.get("/portal/instruments"))

    failed = client.post(
        f"/portal/instruments/{item.id}/verifications/new",
        data=verification_form(verified_on="2026-11-22", result="fail", certificate_no="TZ-1"),
    )
    assert failed.status_code == 302
    detail = text(client.get(f"/portal/instruments/{item.id}"))
    assert "检定不合格" in detail and "须停止使用" in detail and "TZ-1" in detail
    listing = text(client.get("/portal/instruments?state=failed"))
    assert "CS-001" in listing and "仅显示" in listing

    assert client.post(f"/portal/instruments/{item.id}/retire").status_code == 302
    assert item.status is InstrumentStatus.RETIRED
    assert "已停用" in text(client.get(f"/portal/instruments/{item.id}"))
    assert client.get(f"/portal/instruments/{item.id}/edit").status_code == 302  # back to the detail page


def test_the_list_flags_what_needs_attention(client: FlaskClient, auth: Auth) -> None:
    user = merchant_user("flags")
    add(user, "OVERDUE-1", last_verified_on=date(2025, 10, 1))
    add(user, "SOON-1", last_verified_on=date(2025, 12, 10))
    add(user, "NEVER-1")
    add(user, "FINE-1", last_verified_on=date(2026, 6, 1))
    auth.login("flags")
    page = text(client.get("/portal/instruments"))
    for label in ("已超期", "30日内到期", "未检定", "在有效期内"):
        assert label in page
    overdue = text(client.get("/portal/instruments?state=overdue"))
    assert "OVERDUE-1" in overdue and "FINE-1" not in overdue


def test_another_merchants_instrument_is_not_found_anywhere(client: FlaskClient, auth: Auth, app: Flask) -> None:
    victim = merchant_user("victim")
    item = add(victim, "VICTIM-1")
    scanned = verify(victim, item, scan=PDF)
    merchant_user("intruder")
    auth.login("intruder")
    base = f"/portal/instruments/{item.id}"
    attempts = [
        client.get(base),
        client.get(f"{base}/edit"),
        client.post(f"{base}/edit", data={"type_id": item.type_id, "serial_number": "HIJACKED", "use": "trade"}),
        client.post(f"{base}/retire"),
        client.get(f"{base}/verifications/new"),
        client.post(f"{base}/verifications/new", data=verification_form()),
        client.get(f"{base}/verifications/{scanned.id}/scan"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert (item.serial_number, item.status) == ("VICTIM-1", InstrumentStatus.IN_USE)
    assert len(queries.verifications(item.id)) == 1
    assert "VICTIM-1" not in text(client.get("/portal/instruments"))
    # Their own instrument id with the victim's verification id is no way round it either.
    own = add(_user("intruder"), "MINE")
    assert client.get(f"/portal/instruments/{own.id}/verifications/{scanned.id}/scan").status_code == 404


def _user(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def test_scan_upload_is_sniffed_and_served_only_to_its_owner_and_regulators(
    client: FlaskClient, auth: Auth, app: Flask
) -> None:
    user = merchant_user("scanner")
    item = add(user, "SCAN-1")
    auth.login("scanner")
    url = f"/portal/instruments/{item.id}/verifications/new"
    png_named_pdf = client.post(
        url,
        data=verification_form(scan=(io.BytesIO(PNG), "证书.pdf")),
        content_type="multipart/form-data",
    )
    assert png_named_pdf.status_code == 302
    verification = queries.verifications(item.id)[0]
    assert verification.scan_content_type == "image/png"
    assert (Path(app.config["VAR_DIR"]) / str(verification.scan_path)).read_bytes() == PNG

    html_named_png = client.post(
        url,
        data=verification_form(certificate_no="JD-2", scan=(io.BytesIO(b"<html><script>x</script>"), "证书.png")),
        content_type="multipart/form-data",
    )
    assert html_named_png.status_code == 200 and "只能上传 PDF、JPEG 或 PNG 格式的证书扫描件" in text(html_named_png)

    # Encoded here: the test client would spool a body this size to a temporary file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            {
                **verification_form(certificate_no="JD-3"),
                "scan": FileStorage(io.BytesIO(PDF + b"\x00" * (5 * 1024 * 1024)), "a.pdf"),
            }
        )
    )
    too_big = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert too_big.status_code == 200 and "文件超过 5 MB 的上限" in text(too_big)
    assert len(queries.verifications(item.id)) == 1

    with client.get(f"/portal/instruments/{item.id}/verifications/{verification.id}/scan") as download:
        assert download.status_code == 200 and download.data == PNG
        assert download.mimetype == "image/png"
        disposition = download.headers["Content-Disposition"]
        assert "attachment" in disposition and ".png" in disposition
        assert "no-store" in download.headers["Cache-Control"]
    detail = text(client.get(f"/portal/instruments/{item.id}"))
    assert f"/verifications/{verification.id}/scan" in detail

    auth.logout()
    assert client.get(f"/portal/instruments/{item.id}/verifications/{verification.id}/scan").status_code == 302
    UserFactory(username="regulator")
    auth.login("regulator")
    with client.get(f"/admin/instruments/{item.id}/verifications/{verification.id}/scan") as download:
        assert download.data == PNG
    assert client.get(f"/admin/instruments/{item.id}/verifications/{verification.id + 999}/scan").status_code == 404
    page = text(client.get(f"/admin/merchants/{user.merchant_id}/instruments"))
    assert "SCAN-1" in page
    admin_detail = text(client.get(f"/admin/instruments/{item.id}"))
    assert f"/admin/instruments/{item.id}/verifications/{verification.id}/scan" in admin_detail
    assert "确认停用" not in admin_detail  # regulators look, merchants act


def test_the_scan_route_never_serves_from_outside_the_upload_store(client: FlaskClient, auth: Auth, app: Flask) -> None:
    user = merchant_user("tamper")
    item = add(user, "T-1")
    verification = verify(user, item)
    verification.scan_path, verification.scan_sha256 = "secret_key", "0" * 64
    verification.scan_content_type, verification.scan_filename = "application/pdf", "key.pdf"
    db.session.flush()
    auth.login("tamper")
    assert client.get(f"/portal/instruments/{item.id}/verifications/{verification.id}/scan").status_code == 404


def csv_file(rows: list[list[str]]) -> bytes:
    lines = [",".join(importing.HEADERS), *(",".join(r) for r in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def test_import_page_lists_errors_by_row_and_column_then_imports(client: FlaskClient, auth: Auth) -> None:
    user = merchant_user("importer")
    auth.login("importer")
    assert "下载 Excel 模板" in text(client.get("/portal/instruments/import"))
    bad = csv_file([["price_scale", "A-1", "", "", "", "", "", ""], ["xyz", "A-2", "", "", "", "", "2026/13/1", ""]])
    page = client.post(
        "/portal/instruments/import", data={"file": (io.BytesIO(bad), "台账.csv")}, content_type="multipart/form-data"
    )
    body = text(page)
    assert "发现 2 处错误，未导入任何器具" in body
    assert "第3行“器具类型代码”：未知的器具类型代码“xyz”" in body
    assert "第3行“最近检定日期”：“2026/13/1”不是有效的日期" in body
    assert queries.for_merchant(user.merchant_id or 0) == []

    good = csv_file([["price_scale", "A-1", "", "", "收银台", "贸易结算", "2026/6/1", "JD1"]])
    done = client.post(
        "/portal/instruments/import", data={"file": (io.BytesIO(good), "台账.csv")}, content_type="multipart/form-data"
    )
    assert done.status_code == 302
    assert "已导入 1 台计量器具" in text(client.get(done.headers["Location"]))
    assert [i.serial_number for i in queries.for_merchant(user.merchant_id or 0)] == ["A-1"]

    picture = client.post(
        "/portal/instruments/import", data={"file": (io.BytesIO(PNG), "台账.xlsx")}, content_type="multipart/form-data"
    )
    assert "这是图片文件" in text(picture)
    missing = client.post("/portal/instruments/import", data={}, content_type="multipart/form-data")
    assert "请选择要导入的文件" in text(missing)


def test_import_size_limit_is_explained(client: FlaskClient, auth: Auth, app: Flask) -> None:
    merchant_user("bigfile")
    auth.login("bigfile")
    app.config["INSTRUMENT_IMPORT_MAX_BYTES"] = 1024
    try:
        page = client.post(
            "/portal/instruments/import",
            data={"file": (io.BytesIO(b"x" * 4096), "big.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["INSTRUMENT_IMPORT_MAX_BYTES"] = importing.DEFAULT_MAX_BYTES
    assert "文件超过 1 KB 的上限，请拆分后分批导入" in text(page)


def test_templates_download(client: FlaskClient, auth: Auth) -> None:
    merchant_user("templates")
    auth.login("templates")
    xlsx = client.get("/portal/instruments/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in xlsx.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert [s.title for s in book.worksheets] == ["计量器具台账", "器具类型代码"]
    assert "price_scale" in [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    csv = client.get("/portal/instruments/import/template.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and csv.mimetype == "text/csv"


def test_cli_import_instruments(app: Flask, tmp_path: Path) -> None:
    merchant = MerchantFactory()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file([["price_scale", f"CLI-{n}", "", "", "", "", "2026-06-01", ""] for n in range(3)]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "instruments", str(good), "--uscc", merchant.uscc])
    assert result.exit_code == 0, result.output
    assert f"imported 3 instruments for {merchant.name}" in result.output
    assert len(queries.for_merchant(merchant.id)) == 3

    again = runner.invoke(args=["import", "instruments", str(good), "--uscc", merchant.uscc])
    assert again.exit_code == 1
    assert "第2行“出厂编号”：台账中已有同一类型、同一出厂编号的器具“CLI-0”" in again.output
    assert "3 error(s); nothing was imported" in again.output
    unknown = runner.invoke(args=["import", "instruments", str(good), "--uscc", "91110000000000000X"])
    assert unknown.exit_code == 1 and "no merchant with USCC" in unknown.output


def test_pages_have_no_inline_script_or_style(client: FlaskClient, auth: Auth) -> None:
    user = merchant_user("csp")
    item = add(user, "CSP-1", last_verified_on=date(2026, 1, 1))
    auth.login("csp")
    for url in (
        "/portal/instruments",
        "/portal/instruments/new",
        f"/portal/instruments/{item.id}",
        f"/portal/instruments/{item.id}/edit",
        f"/portal/instruments/{item.id}/verifications/new",
        "/portal/instruments/import",
    ):
        page = text(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page and "<style" not in page, url
        assert 'name="viewport"' in page
