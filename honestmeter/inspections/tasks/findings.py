"""Recording a finding on site: check items, instrument checks, net-content samples and evidence photos.

Verdicts come from the pure cores (instrument_check, netcontent), never typed; every change goes through
`tasks.finding_changed`, so each inspector confirms again exactly the content they saw (services.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import (
    CheckForm,
    CheckItem,
    EvidencePhoto,
    Finding,
    InstrumentCheck,
    NetContentSample,
    Task,
)
from honestmeter.inspections.tasks import evidence, netcontent
from honestmeter.inspections.tasks import services as tasks
from honestmeter.inspections.tasks.instrument_check import judge_instrument
from honestmeter.instruments.models import Instrument
from honestmeter.settings import settings
from honestmeter.tables import N_

VERDICTS = ("pass", "fail", "na")  # 符合 / 不符合 / 不适用; "" while not yet judged
SAMPLE_UNITS = ("g", "mL", "m", "m2", "count")
MAX_PACKAGES = 200


# ---------------------------------------------------------------- recording a finding


@dataclass(frozen=True)
class ItemEntry:
    code: str
    verdict: str  # one of VERDICTS, or "" while not yet judged
    note: str = ""


@dataclass(frozen=True)
class InstrumentEntry:
    instrument_id: int | None  # None: an instrument not in the merchant's ledger
    description: str
    serial_found: bool
    verification_valid: bool | None  # None: as the merchant's ledger says
    measured_error: Decimal | None = None
    mpe: Decimal | None = None
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class SampleEntry:
    product: str
    batch: str
    nominal: Decimal | None
    unit: str
    actuals: str  # as typed: the packages' actual contents separated by spaces, commas or new lines
    allowed_t1: int = 0


@dataclass(frozen=True)
class FindingEntry:
    checked_on: date
    result_codes: Sequence[str]
    items: Sequence[ItemEntry] = ()
    instruments: Sequence[InstrumentEntry] = ()
    samples: Sequence[SampleEntry] = ()
    notes: str = ""


_CHECK_KEYS = (
    "instrument_id",
    "description",
    "serial_found",
    "verification_valid",
    "measured_error",
    "mpe",
    "unit",
    "note",
)
_SAMPLE_KEYS = ("product", "batch", "nominal", "unit", "actuals", "allowed_t1")


def record_finding(task_id: int, user: User, entry: FindingEntry) -> Finding:
    """Create or update the task's finding. A change bumps the revision and clears every confirmation."""
    with unit_of_work(db.session):
        task = tasks.task_for_inspector(task_id, user)
        if not tasks.editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        codes = _codes(entry.result_codes)
        item_results = _item_results(task, entry.items)
        checks = [_instrument_row(task, n, e) for n, e in enumerate(entry.instruments)]
        samples = [_sample_row(n, e) for n, e in enumerate(entry.samples)]
        _consistent(task, codes, item_results, checks, samples)
        content = {
            "checked_on": entry.checked_on,
            "result_codes": list(codes),
            "item_results": item_results,
            "notes": entry.notes.strip(),
            "checks": [{k: c[k] for k in _CHECK_KEYS} for c in checks],
            "samples": [{k: s[k] for k in _SAMPLE_KEYS} for s in samples],
        }
        finding = task.finding
        if finding is not None and _content(finding) == content:
            return finding
        if finding is None:
            finding = Finding(task=task, revision=1, recorded_by_id=user.id)
            db.session.add(finding)
        else:
            finding.revision += 1
        finding.checked_on = entry.checked_on
        finding.result_codes = list(codes)
        finding.item_results = item_results
        finding.notes = entry.notes.strip()
        finding.recorded_by_id = user.id
        finding.instrument_checks = [InstrumentCheck(**c) for c in checks]
        finding.samples = [NetContentSample(**s) for s in samples]
        tasks.finding_changed(task)
        db.session.flush()
        return finding


def _content(finding: Finding) -> dict[str, Any]:
    return {
        "checked_on": finding.checked_on,
        "result_codes": list(finding.result_codes),
        "item_results": dict(finding.item_results),
        "notes": finding.notes,
        "checks": [{k: getattr(c, k) for k in _CHECK_KEYS} for c in finding.instrument_checks],
        "samples": [{k: getattr(s, k) for k in _SAMPLE_KEYS} for s in finding.samples],
    }


def _codes(codes: Sequence[str]) -> tuple[str, ...]:
    try:
        return results.validate_codes(codes)
    except ValidationFailed as err:
        raise ValidationFailed(err.msgid, field="result_codes", params=err.params) from None


def _item_results(task: Task, items: Sequence[ItemEntry]) -> dict[str, dict[str, str]]:
    given = {e.code: e for e in items}
    unknown = set(given) - set(task.item_codes)
    if unknown:
        raise ValidationFailed(N_("检查事项不属于本任务"), field="items")
    out: dict[str, dict[str, str]] = {}
    for n, code in enumerate(task.item_codes):
        e = given.get(code)
        verdict = (e.verdict if e else "").strip()
        if verdict and verdict not in VERDICTS:
            raise ValidationFailed(N_("请选择符合、不符合或不适用"), field=f"items-{n}-verdict")
        note = (e.note if e else "").strip()
        if len(note) > 500:
            raise ValidationFailed(N_("说明不能超过 500 字"), field=f"items-{n}-note")
        out[code] = {"verdict": verdict, "note": note}
    return out


def _text(value: str, limit: int, name: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ValidationFailed(N_("内容过长"), field=name)
    return value


def _instrument_row(task: Task, n: int, e: InstrumentEntry) -> dict[str, Any]:
    prefix = f"instruments-{n}-"
    description = _text(e.description, 200, prefix + "description")
    valid = e.verification_valid
    if e.instrument_id is not None:
        instrument = db.session.get(Instrument, e.instrument_id)
        if instrument is None or instrument.merchant_id != task.merchant_id:
            raise ValidationFailed(N_("该器具不在本经营者的台账中"), field=prefix + "instrument_id")
        description = description or f"{instrument.type.name} {instrument.serial_number}"
        if valid is None:
            valid = tasks.ledger_says_valid(instrument)
    elif not description:
        raise ValidationFailed(N_("请从台账中选择器具，或描述台账外的器具"), field=prefix + "description")
    if valid is None:
        raise ValidationFailed(N_("台账外的器具请填写检定是否有效"), field=prefix + "verification_valid")
    try:
        verdict = judge_instrument(
            serial_found=e.serial_found, verification_valid=valid, measured_error=e.measured_error, mpe=e.mpe
        )
    except ValueError:
        raise ValidationFailed(N_("最大允许误差须为非负数"), field=prefix + "mpe") from None
    return {
        "instrument_id": e.instrument_id,
        "description": description,
        "serial_found": e.serial_found,
        "verification_valid": valid,
        "measured_error": e.measured_error,
        "mpe": e.mpe,
        "unit": _text(e.unit, 16, prefix + "unit"),
        "note": _text(e.note, 500, prefix + "note"),
        "passed": verdict.passed,
    }


_SEPARATORS = re.compile(r"[\s,，;；、]+")


def parse_actuals(text: str) -> list[Decimal]:
    """The actual contents as typed ("498.5 501, 499") → Decimals; ValueError naming the first bad value."""
    values = []
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        try:
            value = Decimal(token)
        except InvalidOperation:
            raise ValueError(token) from None
        if not value.is_finite():
            raise ValueError(token)
        values.append(value)
    return values


def _sample_row(n: int, e: SampleEntry) -> dict[str, Any]:
    prefix = f"samples-{n}-"
    product = _text(e.product, 200, prefix + "product")
    if not product:
        raise ValidationFailed(N_("请填写商品名称"), field=prefix + "product")
    if e.nominal is None:
        raise ValidationFailed(N_("请填写标注净含量"), field=prefix + "nominal")
    if e.unit not in SAMPLE_UNITS:
        raise ValidationFailed(N_("计量单位无效"), field=prefix + "unit")
    if e.allowed_t1 < 0:
        raise ValidationFailed(N_("允许的 T1 类短缺件数不能为负数"), field=prefix + "allowed_t1")
    unit = cast(netcontent.Unit, e.unit)
    try:
        netcontent.allowed_shortfall(e.nominal, unit)
    except netcontent.NetContentError as err:
        raise ValidationFailed(str(err), field=prefix + "nominal") from None
    try:
        actuals = parse_actuals(e.actuals)
    except ValueError as err:
        raise ValidationFailed(N_("“%(value)s”不是数值"), params={"value": err}, field=prefix + "actuals") from None
    if len(actuals) > MAX_PACKAGES:
        raise ValidationFailed(N_("一个样本最多 200 件"), field=prefix + "actuals")
    try:
        verdict = netcontent.judge_sample(e.nominal, unit, actuals, allowed_t1=e.allowed_t1)
    except netcontent.NetContentError as err:
        raise ValidationFailed(str(err), field=prefix + "actuals") from None
    return {
        "product": product,
        "batch": _text(e.batch, 100, prefix + "batch"),
        "nominal": e.nominal,
        "unit": e.unit,
        "actuals": [format(a, "f") for a in actuals],
        "allowed_t1": e.allowed_t1,
        "shortfall_limit": verdict.t,
        # Rounded down to the column's 4 places: a failing average never reads as ≥ Qn, a passing one stays ≥ Qn.
        "average": verdict.average.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR),
        "passed": verdict.passed,
        "reasons": [str(r) for r in verdict.reasons],
    }


def _consistent(
    task: Task,
    codes: tuple[str, ...],
    item_results: dict[str, dict[str, str]],
    checks: list[dict[str, Any]],
    samples: list[dict[str, Any]],
) -> None:
    failed_sample = any(not s["passed"] for s in samples)
    if failed_sample:
        for n, item in enumerate(check_items_by_code(task)):
            if item is not None and item.form == CheckForm.NET_CONTENT and item_results[item.code]["verdict"] == "pass":
                raise ValidationFailed(N_("净含量抽样不合格，该事项不能判为符合"), field=f"items-{n}-verdict")
    problem = (
        any(r["verdict"] == "fail" for r in item_results.values())
        or any(not c["passed"] for c in checks)
        or failed_sample
    )
    if problem and codes == (results.CLEAN,):
        raise ValidationFailed(
            N_("有不符合的检查事项或不合格的器具、样本，检查结果不能为“未发现问题”"), field="result_codes"
        )


def check_items_by_code(task: Task) -> list[CheckItem | None]:
    """CheckItem rows aligned with task.item_codes (None for a code no longer in the list)."""
    found = {i.code: i for i in tasks.check_items(task)}
    return [found.get(c) for c in task.item_codes]


# ---------------------------------------------------------------- photos


def photo_limit() -> int:
    return settings().EVIDENCE_MAX_BYTES


def _var_dir() -> Path:
    return Path(settings().VAR_DIR)


def add_photo(task_id: int, user: User, data: bytes, *, caption: str = "") -> EvidencePhoto:
    """Check, hash and store a photo (outside the web root) and attach it to the finding: a change."""
    with unit_of_work(db.session):
        task = tasks.task_for_inspector(task_id, user)
        if not tasks.editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        finding = task.finding
        if finding is None:
            raise InvalidTransition(N_("请先保存检查记录，再上传照片"))
        photo = evidence.check(data, max_bytes=photo_limit())
        digest = bytes.fromhex(photo.sha256)
        if any(p.sha256 == digest for p in finding.photos):
            raise ValidationFailed(N_("这张照片已经上传过了"), field="photo")
        evidence.store(_var_dir(), photo)
        row = EvidencePhoto(
            sha256=digest,
            content_type=photo.content_type,
            size=photo.size,
            caption=_text(caption, 200, "caption"),
            uploaded_by_id=user.id,
            uploaded_at=clock.utcnow(),
        )
        finding.photos.append(row)
        finding.revision += 1
        tasks.finding_changed(task)
        db.session.flush()
        return row


def remove_photo(task_id: int, photo_id: int, user: User) -> None:
    """Take a photo off the finding (the file stays: another finding may hold the same bytes)."""
    with unit_of_work(db.session):
        task = tasks.task_for_inspector(task_id, user)
        photo = _photo_of(task, photo_id)
        if not tasks.editable(task):
            raise InvalidTransition(N_("任务已完成，检查记录不能再修改"))
        finding = cast(Finding, task.finding)
        finding.photos.remove(photo)
        finding.revision += 1
        tasks.finding_changed(task)


@dataclass(frozen=True)
class PhotoFile:
    path: Path
    content_type: str
    name: str


def _photo_of(task: Task, photo_id: int) -> EvidencePhoto:
    photo = next((p for p in task.finding.photos if p.id == photo_id), None) if task.finding else None
    if photo is None:
        raise NotFound(N_("照片不存在"))
    return photo


def _photo_file(task: Task, photo_id: int) -> PhotoFile:
    photo = _photo_of(task, photo_id)
    path = evidence.locate(_var_dir(), photo.sha256)
    if path is None:
        raise NotFound(N_("照片文件缺失或已被改动"))
    ext = evidence.EXTENSIONS.get(photo.content_type, "")
    return PhotoFile(path, photo.content_type, f"task{task.id}-photo{photo.id}{ext}")


def photo_for_inspector(task_id: int, photo_id: int, user: User) -> PhotoFile:
    return _photo_file(tasks.task_for_inspector(task_id, user), photo_id)


def photo_for_admin(task_id: int, photo_id: int) -> PhotoFile:
    return _photo_file(tasks.task_for_admin(task_id), photo_id)
