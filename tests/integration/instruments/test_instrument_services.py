"""The merchant's instrument ledger on the real database: CRUD, verifications, scans, imports, counts."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from honestmeter import clock
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.instruments import importing, queries, records, services
from honestmeter.instruments.models import (
    Instrument,
    InstrumentStatus,
    InstrumentType,
    InstrumentUse,
    InstrumentVerification,
    VerificationResult,
)
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from tests.factories import MerchantFactory, instrument_type

PDF = b"%PDF-1.7\n% scan of a certificate\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with clock.frozen(datetime(2026, 11, 23, 4, tzinfo=UTC)):
        yield


def facts(serial: str = "SN-1", type_code: str = "price_scale", **changes: object) -> services.InstrumentFacts:
    base: dict[str, object] = {"type_id": instrument_type(type_code).id, "serial_number": serial}
    return services.InstrumentFacts(**{**base, **changes})  # type: ignore[arg-type]


def passed(day: date, number: str = "JD-1") -> services.VerificationFacts:
    return services.VerificationFacts(day, "深圳市计量质量检测研究院", number, VerificationResult.PASS)


def failed(day: date, number: str = "TZ-1") -> services.VerificationFacts:
    return services.VerificationFacts(day, "深圳市计量质量检测研究院", number, VerificationResult.FAIL)


def newest_data(instrument: Instrument) -> dict[str, object]:
    entry = ledger.latest_record(records.RECORD_TYPE, str(instrument.id))
    assert entry is not None
    return dict(json.loads(entry.canonical)["data"])


def versions(instrument: Instrument) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.record_type == records.RECORD_TYPE, LedgerEntry.record_id == str(instrument.id))
        )
        or 0
    )


def instrument_audit_problems() -> list[str]:
    return [p for p in audit.check_rows() if p.startswith(f"{records.RECORD_TYPE} ")]


# ---------------------------------------------------------------- add, edit, retire


def test_add_publishes_the_instrument_with_its_due_date() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(
        merchant.id,
        facts(maker=" 友声 ", location="收银台", use=InstrumentUse.TRADE),
        last_verified_on=date(2026, 6, 1),
        certificate_no="JD202606",
    )
    assert (item.first_verified_on, item.next_due_on, item.maker) == (date(2026, 6, 1), date(2027, 6, 1), "友声")
    assert newest_data(item) == {
        "merchant_id": str(merchant.id),
        "type": "price_scale",
        "serial_number": "SN-1",
        "use": "trade",
        "status": "in_use",
        "last_verified_on": "2026-06-01",
        "next_due_on": "2027-06-01",
        "certificate_no": "JD202606",
    }
    assert instrument_audit_problems() == []


def test_add_refuses_duplicates_inactive_types_and_future_dates() -> None:
    merchant = MerchantFactory()
    services.add_instrument(merchant.id, facts("SN-1"))
    with pytest.raises(ValidationFailed) as err:
        services.add_instrument(merchant.id, facts(" SN-1 "))
    assert err.value.field == "serial_number"
    services.add_instrument(merchant.id, facts("SN-1", "platform_scale"))  # same serial, other type
    services.add_instrument(MerchantFactory().id, facts("SN-1"))  # same serial, other merchant
    kind = instrument_type("tonometer")
    kind.active = False
    with pytest.raises(ValidationFailed, match="已停用") as err:
        services.add_instrument(merchant.id, facts("T-1", "tonometer"))
    assert err.value.field == "type_id"
    with pytest.raises(ValidationFailed, match="晚于今天"):
        services.add_instrument(merchant.id, facts("F-1"), last_verified_on=date(2026, 11, 24))
    with pytest.raises(ValidationFailed, match="须同时填写最近检定日期"):
        services.add_instrument(merchant.id, facts("F-2"), certificate_no="JD-9")


def test_update_recomputes_the_due_date_and_publishes_a_new_version() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts(), last_verified_on=date(2026, 6, 1))
    services.update_instrument(merchant.id, item.id, facts("SN-1", "fuel_dispenser", location="加油岛"))
    assert (item.type.code, item.location, item.next_due_on) == ("fuel_dispenser", "加油岛", date(2026, 12, 1))
    assert versions(item) == 2 and newest_data(item)["type"] == "fuel_dispenser"
    services.update_instrument(merchant.id, item.id, facts("SN-1", "fuel_dispenser", location="加油岛"))
    assert versions(item) == 2  # nothing public changed, nothing appended


def test_another_merchants_instrument_does_not_exist() -> None:
    owner, other = MerchantFactory(), MerchantFactory()
    item = services.add_instrument(owner.id, facts())
    with pytest.raises(NotFound):
        services.own_instrument(other.id, item.id)
    with pytest.raises(NotFound):
        services.update_instrument(other.id, item.id, facts("HIJACK"))
    with pytest.raises(NotFound):
        services.retire_instrument(other.id, item.id)
    with pytest.raises(NotFound):
        services.record_verification(other.id, item.id, passed(date(2026, 11, 1)))
    assert (item.serial_number, item.status, item.last_verified_on) == ("SN-1", InstrumentStatus.IN_USE, None)


def test_retire_keeps_history_and_publishes_the_status() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    services.record_verification(merchant.id, item.id, passed(date(2026, 6, 1)))
    services.retire_instrument(merchant.id, item.id)
    assert item.status is InstrumentStatus.RETIRED and newest_data(item)["status"] == "retired"
    assert len(queries.verifications(item.id)) == 1 and queries.state_of(item) == "retired"
    with pytest.raises(InvalidTransition):
        services.retire_instrument(merchant.id, item.id)
    with pytest.raises(InvalidTransition):
        services.update_instrument(merchant.id, item.id, facts())
    with pytest.raises(InvalidTransition):
        services.record_verification(merchant.id, item.id, passed(date(2026, 7, 1)))


# ---------------------------------------------------------------- verifications


def test_a_pass_renews_the_certificate_and_the_due_date() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    assert queries.state_of(item) == "unverified"
    verification = services.record_verification(merchant.id, item.id, passed(date(2026, 11, 1), "JD-2611"))
    assert verification.recorded_by_id is None and verification.scan_path is None
    assert (item.first_verified_on, item.last_verified_on, item.certificate_no, item.next_due_on) == (
        date(2026, 11, 1),
        date(2026, 11, 1),
        "JD-2611",
        date(2027, 11, 1),
    )
    assert queries.state_of(item) == "ok" and newest_data(item)["next_due_on"] == "2027-11-01"


def test_a_failure_marks_the_instrument_until_a_later_pass() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts(), last_verified_on=date(2026, 6, 1), certificate_no="JD-1")
    services.record_verification(merchant.id, item.id, failed(date(2026, 11, 20)))
    # The certificate in force and its due date stay; the state says 检定不合格 whatever the date says.
    assert (item.last_verified_on, item.certificate_no, item.next_due_on) == (
        date(2026, 6, 1),
        "JD-1",
        date(2027, 6, 1),
    )
    assert item.failed_on == date(2026, 11, 20) and queries.state_of(item) == "failed"
    assert newest_data(item)["failed_on"] == "2026-11-20"
    assert queries.needing_attention(merchant.id) == [(item, "failed")]
    assert instrument_audit_problems() == []

    services.record_verification(merchant.id, item.id, passed(date(2026, 11, 22), "JD-2"))
    assert item.failed_on is None and queries.state_of(item) == "ok"
    assert item.next_due_on == date(2027, 11, 22) and "failed_on" not in newest_data(item)
    assert [v.result for v in queries.verifications(item.id)] == [VerificationResult.PASS, VerificationResult.FAIL]
    assert instrument_audit_problems() == []


def test_older_verifications_are_history_only() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    services.record_verification(merchant.id, item.id, passed(date(2026, 6, 1), "NEW"))
    before = versions(item)
    services.record_verification(merchant.id, item.id, failed(date(2025, 6, 1)))
    assert item.failed_on is None and item.certificate_no == "NEW" and versions(item) == before
    services.record_verification(merchant.id, item.id, passed(date(2024, 6, 1), "OLD"))
    assert (item.first_verified_on, item.last_verified_on, item.certificate_no) == (
        date(2024, 6, 1),
        date(2026, 6, 1),
        "NEW",
    )
    assert len(queries.verifications(item.id)) == 3


def test_fixed_life_instruments_count_from_the_first_pass() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts("WM-1", "water_meter"))
    services.record_verification(merchant.id, item.id, failed(date(2020, 1, 10)))
    assert item.first_verified_on is None and queries.state_of(item) == "failed"
    services.record_verification(merchant.id, item.id, passed(date(2020, 2, 10)))
    assert (item.first_verified_on, item.next_due_on) == (date(2020, 2, 10), date(2026, 2, 10))  # 72 months
    assert queries.state_of(item) == "overdue"


def test_verification_input_is_checked() -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    with pytest.raises(ValidationFailed) as err:
        services.record_verification(merchant.id, item.id, passed(date(2026, 11, 24)))
    assert err.value.field == "verified_on"
    with pytest.raises(ValidationFailed) as err:
        services.record_verification(
            merchant.id, item.id, services.VerificationFacts(date(2026, 1, 1), " ", "X", VerificationResult.PASS)
        )
    assert err.value.field == "verifying_body"


def test_a_scan_is_stored_outside_the_web_root_by_its_hash(app: Flask) -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    verification = services.record_verification(
        merchant.id, item.id, passed(date(2026, 11, 1)), scan=services.Upload(PNG, "证书.pdf"), recorded_by_id=None
    )
    assert verification.scan_content_type == "image/png" and verification.scan_filename == "证书.pdf"
    var_dir = Path(app.config["VAR_DIR"])
    stored = var_dir / str(verification.scan_path)
    assert stored.read_bytes() == PNG and stored.parent.parent == var_dir / "uploads" / "certificates"
    found = services.own_scan(merchant.id, item.id, verification.id)
    assert (found.path, found.content_type, found.download_name) == (stored, "image/png", "证书.png")
    assert services.any_scan(item.id, verification.id).path == stored
    with pytest.raises(NotFound):
        services.own_scan(MerchantFactory().id, item.id, verification.id)
    other = services.add_instrument(merchant.id, facts("SN-2"))
    with pytest.raises(NotFound):  # a verification of another instrument, even the merchant's own
        services.own_scan(merchant.id, other.id, verification.id)


def test_a_rejected_scan_records_nothing(app: Flask) -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    with pytest.raises(ValidationFailed, match="PDF、JPEG 或 PNG") as err:
        services.record_verification(
            merchant.id, item.id, passed(date(2026, 11, 1)), scan=services.Upload(b"<html>", "证书.png")
        )
    assert err.value.field == "scan"
    app.config["CERTIFICATE_SCAN_MAX_BYTES"] = 16
    try:
        with pytest.raises(ValidationFailed, match="文件超过 1 KB 的上限"):
            services.record_verification(
                merchant.id, item.id, passed(date(2026, 11, 1)), scan=services.Upload(PDF, "a.pdf")
            )
    finally:
        app.config["CERTIFICATE_SCAN_MAX_BYTES"] = 5 * 1024 * 1024
    assert queries.verifications(item.id) == [] and item.last_verified_on is None


def test_a_scan_missing_from_disk_is_not_found(app: Flask) -> None:
    merchant = MerchantFactory()
    item = services.add_instrument(merchant.id, facts())
    verification = services.record_verification(merchant.id, item.id, passed(date(2026, 11, 1)))
    with pytest.raises(NotFound, match="没有证书扫描件"):
        services.own_scan(merchant.id, item.id, verification.id)
    verification.scan_path, verification.scan_sha256 = "uploads/certificates/ab/" + "ab" * 32, "ab" * 32
    verification.scan_content_type, verification.scan_filename = "application/pdf", "x.pdf"
    with pytest.raises(NotFound):
        services.own_scan(merchant.id, item.id, verification.id)


# ---------------------------------------------------------------- counts for the dashboard


def test_counts_across_merchants() -> None:
    today = clock.today()
    one, two = MerchantFactory(), MerchantFactory()
    services.add_instrument(one.id, facts("OVERDUE"), last_verified_on=date(2025, 11, 1))
    services.add_instrument(two.id, facts("SOON"), last_verified_on=date(2025, 12, 20))
    services.add_instrument(two.id, facts("FINE"), last_verified_on=date(2026, 6, 1))
    services.add_instrument(one.id, facts("NEVER"))
    services.add_instrument(one.id, facts("TAPE", "tape_measure"))  # not under mandatory verification
    bad = services.add_instrument(two.id, facts("BAD"), last_verified_on=date(2025, 10, 1))
    services.record_verification(two.id, bad.id, failed(date(2026, 11, 2)))
    gone = services.add_instrument(one.id, facts("GONE"), last_verified_on=date(2020, 1, 1))
    services.retire_instrument(one.id, gone.id)
    assert queries.overdue_count(today) == 1  # BAD is overdue too, but counted as failed
    assert queries.due_soon_count(today) == 1
    assert queries.unverified_count() == 1
    assert queries.failed_count() == 1
    assert queries.state_counts(one.id)["overdue"] == 1 and queries.state_counts(two.id)["failed"] == 1


# ---------------------------------------------------------------- bulk import


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(list(importing.HEADERS))
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def instrument_entries() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.record_type == records.RECORD_TYPE)
        )
        or 0
    )


def test_import_lands_every_row_with_its_ledger_record() -> None:
    merchant = MerchantFactory()
    before = instrument_entries()
    stages: list[tuple[str, int, int]] = []
    rows: list[list[object]] = [
        ["price_scale", f"IMP-{n:03d}", "友声", "TCS", "收银台", "贸易结算", date(2026, 5, 1), f"JD{n}"]
        for n in range(3)
    ]
    rows.append(["water_meter", "WM-1", None, None, "后厨", "", None, None])
    report = services.import_instruments(merchant.id, workbook(rows), progress=lambda *a: stages.append(a))
    assert report.ok and report.imported == 4
    assert instrument_entries() == before + 4
    items = {i.serial_number: i for i in queries.for_merchant(merchant.id)}
    assert items["IMP-000"].next_due_on == date(2027, 5, 1) and items["IMP-000"].certificate_no == "JD0"
    assert queries.state_of(items["WM-1"]) == "unverified"
    assert newest_data(items["IMP-002"])["serial_number"] == "IMP-002"
    assert stages[-1] == ("write", 4, 4) and ("check", 4, 0) in stages
    assert instrument_audit_problems() == []


def test_one_bad_row_imports_nothing() -> None:
    merchant = MerchantFactory()
    before = instrument_entries()
    rows: list[list[object]] = [["price_scale", f"OK-{n}", None, None, None, None, None, None] for n in range(5)]
    rows.insert(3, ["price_scale", "BAD", None, None, None, "自用", None, None])
    report = services.import_instruments(merchant.id, workbook(rows))
    assert not report.ok and report.imported == 0
    assert [e.text() for e in report.errors] == [
        "第5行“用途”：“自用”不是有效的用途，应为：贸易结算、安全防护、医疗卫生、环境监测"
    ]
    assert queries.for_merchant(merchant.id) == [] and instrument_entries() == before


def test_serials_already_in_the_ledger_are_errors_and_nothing_lands() -> None:
    merchant = MerchantFactory()
    services.add_instrument(merchant.id, facts("TAKEN"))
    services.add_instrument(MerchantFactory().id, facts("ELSEWHERE"))  # another merchant's: no clash
    rows: list[list[object]] = [
        ["price_scale", "NEW-1", None, None, None, None, None, None],
        ["price_scale", "TAKEN", None, None, None, None, None, None],
        ["price_scale", "ELSEWHERE", None, None, None, None, None, None],
    ]
    report = services.import_instruments(merchant.id, workbook(rows))
    assert [e.text() for e in report.errors] == ["第3行“出厂编号”：台账中已有同一类型、同一出厂编号的器具“TAKEN”"]
    assert [i.serial_number for i in queries.for_merchant(merchant.id)] == ["TAKEN"]


def test_import_size_limit() -> None:
    report = services.import_instruments(MerchantFactory().id, b"x" * 2048, max_bytes=1024)
    assert [e.text() for e in report.errors] == ["文件超过 1 KB 的上限，请拆分后分批导入"]


def test_import_of_a_large_file_is_one_transaction() -> None:
    merchant = MerchantFactory()
    rows: list[list[object]] = [
        ["price_scale", f"BULK-{n:05d}", None, None, None, None, "2026-01-01", None] for n in range(2500)
    ]
    report = services.import_instruments(merchant.id, workbook(rows))
    assert report.imported == 2500
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Instrument).where(Instrument.merchant_id == merchant.id)
        )
        == 2500
    )


def test_catalogue_entries_include_inactive_types() -> None:
    entries = {e.code: e for e in services.catalogue_entries()}
    assert entries["price_scale"].active and len(entries) == db.session.scalar(
        sa.select(sa.func.count()).select_from(InstrumentType)
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InstrumentVerification)) == 0


def test_demo_data_has_verification_history_that_matches_the_instruments() -> None:
    from honestmeter.demo import seed as demo

    summary = demo.generate(merchants=120, seed=5)
    assert summary["verifications"] > summary["instruments"] // 2
    latest_pass = sa.select(sa.func.max(InstrumentVerification.verified_on)).where(
        InstrumentVerification.instrument_id == Instrument.id, InstrumentVerification.result == VerificationResult.PASS
    )
    mismatched = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Instrument)
        .where(Instrument.last_verified_on.is_not(None), latest_pass.scalar_subquery() != Instrument.last_verified_on)
    )
    assert mismatched == 0
    failed = db.session.scalars(sa.select(Instrument).where(Instrument.failed_on.is_not(None))).all()
    assert failed and all(queries.state_of(i) in {"failed", "exempt", "retired"} for i in failed)
    assert instrument_audit_problems() == []
