"""Use cases for the instrument-type catalogue and a merchant's instrument ledger (强检计量器具台账).

Every merchant-side use case takes the merchant's id from the signed-in account and finds the
instrument within that merchant's rows only: another merchant's instrument is "not found".
Every change to an instrument's public facts is appended to the ledger in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from honestmeter import clock, events, scans, tables
from honestmeter.attachments import Upload
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.instruments import cycle, importing, records
from honestmeter.instruments.models import (
    CycleKind,
    Instrument,
    InstrumentStatus,
    InstrumentType,
    InstrumentUse,
    InstrumentVerification,
    VerificationMode,
    VerificationResult,
)
from honestmeter.ledger import services as ledger
from honestmeter.settings import settings


@dataclass(frozen=True)
class TypeFacts:
    code: str
    name: str
    category: str
    mode: VerificationMode
    cycle_kind: CycleKind
    cycle_months: int | None
    service_life_months: int | None
    regulation: str | None
    note: str | None
    active: bool


def _check(facts: TypeFacts) -> None:
    if facts.cycle_kind is CycleKind.PERIODIC and not facts.cycle_months:
        raise ValidationFailed("周期检定的器具必须填写检定周期", field="cycle_months")
    if facts.cycle_kind is CycleKind.FIXED_LIFE and not facts.service_life_months:
        raise ValidationFailed("限期使用的器具必须填写使用期限", field="service_life_months")
    if facts.mode is VerificationMode.P and facts.cycle_kind is not CycleKind.NONE:
        raise ValidationFailed("仅型式批准（P）的器具不实行强制检定", field="cycle_kind")


def save_instrument_type(type_id: int | None, facts: TypeFacts) -> InstrumentType:
    """Add a catalogue entry or change one; cycles follow the JJG regulation in force."""
    _check(facts)
    with unit_of_work(db.session):
        clash = db.session.scalar(sa.select(InstrumentType.id).where(InstrumentType.code == facts.code))
        if clash is not None and clash != type_id:
            raise ValidationFailed("代码已被使用", field="code")
        item = InstrumentType() if type_id is None else get_instrument_type(type_id)
        for key, value in facts.__dict__.items():
            setattr(item, key, value)
        if facts.cycle_kind is not CycleKind.PERIODIC:
            item.cycle_months = None
        if facts.cycle_kind is not CycleKind.FIXED_LIFE:
            item.service_life_months = None
        db.session.add(item)
        return item


def get_instrument_type(type_id: int) -> InstrumentType:
    item = db.session.get(InstrumentType, type_id)
    if item is None:
        raise NotFound("器具类型不存在")
    return item


# ---------------------------------------------------------------- the merchant's instruments


@dataclass(frozen=True)
class InstrumentFacts:
    """What a merchant registers about an instrument (verification facts come from verifications)."""

    type_id: int
    serial_number: str
    maker: str | None = None
    model: str | None = None
    location: str | None = None
    use: InstrumentUse = InstrumentUse.TRADE


def own_instrument(merchant_id: int, instrument_id: int) -> Instrument:
    """The merchant's instrument; another merchant's is reported exactly like a missing one."""
    instrument = db.session.scalar(
        sa.select(Instrument).where(Instrument.id == instrument_id, Instrument.merchant_id == merchant_id)
    )
    if instrument is None:
        raise NotFound("计量器具不存在")
    return instrument


def get_instrument(instrument_id: int) -> Instrument:
    """Any merchant's instrument (regulators)."""
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound("计量器具不存在")
    return instrument


def _type_for(type_id: int, *, current: InstrumentType | None = None) -> InstrumentType:
    kind = db.session.get(InstrumentType, type_id)
    if kind is None:
        raise ValidationFailed("器具类型不存在", field="type_id")
    if not kind.active and kind is not current:
        raise ValidationFailed("该器具类型已停用，不能登记新器具", field="type_id")
    return kind


def _serial(raw: str) -> str:
    serial = raw.strip()
    if not serial:
        raise ValidationFailed("请填写出厂编号", field="serial_number")
    if len(serial) > 64:
        raise ValidationFailed("出厂编号不能超过64个字符", field="serial_number")
    return serial


def _check_unique(merchant_id: int, type_id: int, serial: str, instrument_id: int | None) -> None:
    clash = db.session.scalar(
        sa.select(Instrument.id).where(
            Instrument.merchant_id == merchant_id,
            Instrument.type_id == type_id,
            Instrument.serial_number == serial,
        )
    )
    if clash is not None and clash != instrument_id:
        raise ValidationFailed("台账中已有同一类型、同一出厂编号的器具（含已停用的）", field="serial_number")


def _refresh_due(instrument: Instrument) -> None:
    kind = instrument.type
    instrument.next_due_on = cycle.next_due(
        kind.cycle_kind,
        cycle_months=kind.cycle_months,
        service_life_months=kind.service_life_months,
        first_verified_on=instrument.first_verified_on,
        last_verified_on=instrument.last_verified_on,
    )


def _check_day(day: date, field: str) -> None:
    if day > clock.today():
        raise ValidationFailed("检定日期不能晚于今天", field=field)


def add_instrument(
    merchant_id: int,
    facts: InstrumentFacts,
    *,
    last_verified_on: date | None = None,
    certificate_no: str | None = None,
) -> Instrument:
    """Register an instrument, optionally with the verification its current certificate records."""
    serial = _serial(facts.serial_number)
    if last_verified_on is not None:
        _check_day(last_verified_on, "last_verified_on")
    elif certificate_no:
        raise ValidationFailed("填写检定证书编号时须同时填写最近检定日期", field="last_verified_on")
    with unit_of_work(db.session):
        kind = _type_for(facts.type_id)
        _check_unique(merchant_id, kind.id, serial, None)
        instrument = Instrument(
            merchant_id=merchant_id,
            type=kind,
            serial_number=serial,
            status=InstrumentStatus.IN_USE,
            first_verified_on=last_verified_on,
            last_verified_on=last_verified_on,
            certificate_no=(certificate_no or "").strip() or None,
        )
        _describe(instrument, facts)
        _refresh_due(instrument)
        db.session.add(instrument)
        db.session.flush()
        ledger.publish(records.record_of(instrument))
        _regrade(instrument)
        return instrument


def _regrade(instrument: Instrument) -> None:
    """A mandatory instrument's state scores (DESIGN §6: all within verification, overdue): regrade at once."""
    events.emit(events.StateChanged(instrument.merchant_id, f"{records.RECORD_TYPE}/{instrument.id}"))


def _describe(instrument: Instrument, facts: InstrumentFacts) -> None:
    instrument.maker = (facts.maker or "").strip() or None
    instrument.model = (facts.model or "").strip() or None
    instrument.location = (facts.location or "").strip() or None
    instrument.use = facts.use


def update_instrument(merchant_id: int, instrument_id: int, facts: InstrumentFacts) -> Instrument:
    """Correct an instrument's description; a new type recomputes the due date from its cycle."""
    serial = _serial(facts.serial_number)
    with unit_of_work(db.session):
        instrument = own_instrument(merchant_id, instrument_id)
        if instrument.status is InstrumentStatus.RETIRED:
            raise InvalidTransition("已停用的器具不能修改")
        kind = _type_for(facts.type_id, current=instrument.type)
        _check_unique(merchant_id, kind.id, serial, instrument.id)
        instrument.type = kind
        instrument.serial_number = serial
        _describe(instrument, facts)
        _refresh_due(instrument)
        ledger.publish(records.record_of(instrument))
        _regrade(instrument)
        return instrument


def retire_instrument(merchant_id: int, instrument_id: int) -> Instrument:
    """Take an instrument out of use; it stays in the ledger with its verification history."""
    with unit_of_work(db.session):
        instrument = own_instrument(merchant_id, instrument_id)
        if instrument.status is InstrumentStatus.RETIRED:
            raise InvalidTransition("该器具已停用")
        instrument.status = InstrumentStatus.RETIRED
        ledger.publish(records.record_of(instrument))
        _regrade(instrument)
        return instrument


# ---------------------------------------------------------------- verifications


@dataclass(frozen=True)
class VerificationFacts:
    verified_on: date
    verifying_body: str
    certificate_no: str
    result: VerificationResult


def scan_limit() -> int:
    return settings().CERTIFICATE_SCAN_MAX_BYTES


def _var_dir() -> Path:
    return Path(settings().VAR_DIR)


def _apply(instrument: Instrument, facts: VerificationFacts) -> None:
    """Fold one verification into the instrument's current state.

    The newest verification decides. A pass renews the certificate in force (last date, number,
    due date by the type's cycle) and clears an earlier failure; a failure marks the instrument
    检定不合格 but leaves the certificate facts and the due date as they were, since no new
    certificate was issued. A verification older than the newest one is history only, except
    that an older pass can move the first-verification date back (fixed-life types count from it).
    """
    day = facts.verified_on
    newest = instrument.last_verified_on is None or day >= instrument.last_verified_on
    if facts.result is VerificationResult.PASS:
        if instrument.first_verified_on is None or day < instrument.first_verified_on:
            instrument.first_verified_on = day
        if newest:
            instrument.last_verified_on = day
            instrument.certificate_no = facts.certificate_no
        if instrument.failed_on is not None and day >= instrument.failed_on:
            instrument.failed_on = None
        _refresh_due(instrument)
    elif newest and (instrument.failed_on is None or day >= instrument.failed_on):
        instrument.failed_on = day


def record_verification(
    merchant_id: int,
    instrument_id: int,
    facts: VerificationFacts,
    *,
    scan: Upload | None = None,
    recorded_by_id: int | None = None,
) -> InstrumentVerification:
    """Record a verification of the merchant's instrument (with an optional certificate scan)."""
    _check_day(facts.verified_on, "verified_on")
    body, number = facts.verifying_body.strip(), facts.certificate_no.strip()
    if not body:
        raise ValidationFailed("请填写检定机构", field="verifying_body")
    if not number:
        raise ValidationFailed("请填写证书或通知书编号", field="certificate_no")
    checked = None
    if scan is not None:
        try:
            checked = scans.check(scan.data, scan.filename, max_bytes=scan_limit())
        except scans.ScanRejected as err:
            raise ValidationFailed(str(err), field="scan") from err
    with unit_of_work(db.session):
        instrument = own_instrument(merchant_id, instrument_id)
        if instrument.status is InstrumentStatus.RETIRED:
            raise InvalidTransition("已停用的器具不能登记检定")
        verification = InstrumentVerification(
            instrument=instrument,
            verified_on=facts.verified_on,
            verifying_body=body,
            certificate_no=number,
            result=facts.result,
            recorded_by_id=recorded_by_id,
        )
        if checked is not None:
            # Written before the commit: a rolled-back transaction leaves an unreferenced file, never
            # a row pointing at nothing. Content-addressed, so a retry reuses it.
            verification.scan_path = scans.store(_var_dir(), checked).as_posix()
            verification.scan_sha256 = checked.sha256
            verification.scan_content_type = checked.content_type
            verification.scan_filename = checked.filename
        _apply(instrument, VerificationFacts(facts.verified_on, body, number, facts.result))
        db.session.add(verification)
        db.session.flush()
        ledger.publish(records.record_of(instrument))
        _regrade(instrument)
        return verification


def _verification_of(instrument: Instrument, verification_id: int) -> InstrumentVerification:
    verification = db.session.scalar(
        sa.select(InstrumentVerification).where(
            InstrumentVerification.id == verification_id,
            InstrumentVerification.instrument_id == instrument.id,
        )
    )
    if verification is None:
        raise NotFound("检定记录不存在")
    return verification


@dataclass(frozen=True)
class ScanFile:
    path: Path
    content_type: str
    download_name: str


def _scan_file(verification: InstrumentVerification) -> ScanFile:
    path = None
    if verification.scan_path and verification.scan_sha256:
        path = scans.locate(_var_dir(), verification.scan_path, verification.scan_sha256)
    if path is None or verification.scan_content_type is None:
        raise NotFound("该检定记录没有证书扫描件")
    name = scans.download_name(verification.scan_filename or "", verification.scan_content_type)
    return ScanFile(path, verification.scan_content_type, name)


def own_scan(merchant_id: int, instrument_id: int, verification_id: int) -> ScanFile:
    """The certificate scan of one of the merchant's own verifications."""
    return _scan_file(_verification_of(own_instrument(merchant_id, instrument_id), verification_id))


def any_scan(instrument_id: int, verification_id: int) -> ScanFile:
    """Regulators may open any merchant's scan."""
    return _scan_file(_verification_of(get_instrument(instrument_id), verification_id))


# ---------------------------------------------------------------- bulk import


def import_limit() -> int:
    return settings().INSTRUMENT_IMPORT_MAX_BYTES


@dataclass
class ImportReport:
    """What an import did: `imported` rows, or (with nothing imported) the errors found."""

    imported: int = 0
    errors: list[importing.RowError] = field(default_factory=list)
    error_total: int = 0

    @property
    def ok(self) -> bool:
        return self.error_total == 0


ImportProgress = Callable[[str, int, int], None]  # (stage, done so far, total) with stage "check" or "write"


def catalogue_entries() -> list[importing.TypeEntry]:
    return [
        importing.TypeEntry(t.code, t.name, t.active)
        for t in db.session.scalars(sa.select(InstrumentType).order_by(InstrumentType.category, InstrumentType.code))
    ]


def _existing_clashes(
    merchant_id: int, rows: Sequence[importing.Row], types: dict[str, InstrumentType]
) -> list[importing.RowError]:
    taken = set(
        db.session.execute(
            sa.select(Instrument.type_id, Instrument.serial_number).where(Instrument.merchant_id == merchant_id)
        ).tuples()
    )
    header = importing.COLUMNS[1].header
    return [
        importing.RowError(
            row.row,
            header,
            importing.N_("台账中已有同一类型、同一出厂编号的器具“%(serial)s”"),
            {"serial": row.serial_number},
        )
        for row in rows
        if (types[row.type_code].id, row.serial_number) in taken
    ]


def import_instruments(
    merchant_id: int,
    data: bytes,
    *,
    max_bytes: int | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import a merchant's instruments from .xlsx or .csv: every row is checked first, then all of
    them land in one transaction with their ledger records, or none does."""
    report = ImportReport()
    if max_bytes is not None and len(data) > max_bytes:
        report.errors.append(
            importing.RowError(
                None,
                None,
                importing.N_("文件超过 %(limit)s 的上限，请拆分后分批导入"),
                {"limit": scans.human_size(max_bytes)},
            )
        )
        report.error_total = 1
        return report
    done = 0

    def checked(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("check", done, 0)

    parsed = importing.parse(data, catalogue_entries(), clock.today(), progress=checked)
    if not parsed.ok:
        return ImportReport(0, parsed.errors, parsed.error_total)
    with unit_of_work(db.session):
        types = {t.code: t for t in db.session.scalars(sa.select(InstrumentType))}
        clashes = _existing_clashes(merchant_id, parsed.rows, types)
        if clashes:
            return ImportReport(0, clashes[: tables.MAX_ERRORS], len(clashes))
        instruments = []
        for row in parsed.rows:
            instrument = Instrument(
                merchant_id=merchant_id,
                type=types[row.type_code],
                serial_number=row.serial_number,
                maker=row.maker,
                model=row.model,
                location=row.location,
                use=InstrumentUse(row.use),
                status=InstrumentStatus.IN_USE,
                first_verified_on=row.last_verified_on,
                last_verified_on=row.last_verified_on,
                certificate_no=row.certificate_no,
            )
            _refresh_due(instrument)
            instruments.append(instrument)
        total = len(instruments)
        for start in range(0, total, WRITE_BATCH):
            batch = instruments[start : start + WRITE_BATCH]
            db.session.add_all(batch)
            db.session.flush()
            # New rows have no record yet: append (not publish), in the same transaction as the rows.
            ledger.append_many([records.record_of(i) for i in batch])
            if progress is not None:
                progress("write", start + len(batch), total)
        if instruments:
            _regrade(instruments[-1])
        return ImportReport(imported=total)


WRITE_BATCH = 1000
