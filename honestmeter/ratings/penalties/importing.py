"""Bulk entry of 行政处罚 from .xlsx or .csv: every row checked, errors name row and column, all rows or none.

Each row goes through the same check as the form (`penalties.check`), so a row is refused for exactly the reasons
a form would be; duplicates inside the file are caught too. Only when every row is right are they all recorded,
in one transaction with their credit facts, ledger records and the merchants' new grades.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from honestmeter import clock, tables
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.instruments.importing import RowError, parse_date
from honestmeter.ratings.penalties import services as penalties
from honestmeter.tables import N_, Cell, Unreadable, read_table

# (key, header, required); keys are the PenaltyFacts fields, so a service error's `field` names its column.
COLUMNS = (
    ("uscc", N_("统一社会信用代码"), True),
    ("decision_no", N_("决定书文号"), True),
    ("violation_type", N_("违法行为类型"), True),
    ("content", N_("处罚内容"), True),
    ("fine_amount", N_("罚款金额（元）"), False),
    ("other_measures", N_("其他处罚措施"), False),
    ("special_domain", N_("食品药品特种设备"), False),
    ("authority", N_("决定机关"), True),
    ("decided_on", N_("决定日期"), True),
)
HEADERS = tuple(header for _, header, _ in COLUMNS)
HEADER_OF = {key: header for key, header, _ in COLUMNS}
YES = {"是", "有", "y", "yes", "true", "1", "√"}
NO = {"", "否", "无", "n", "no", "false", "0"}
EXAMPLE = (
    "91440300MA5XXXXXX0",
    "示例：深南市监罚〔2026〕1号",
    "使用未经检定的计量器具",
    "警告，并处罚款5000元",
    "5000",
    "否",
    "否",
    "深圳市南山区市场监督管理局",
    "2026-06-01",
)


@dataclass
class Report:
    """What an import did: `imported` penalties, or (nothing imported) the errors found."""

    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0

    @property
    def ok(self) -> bool:
        return self.error_total == 0

    def add(self, error: RowError) -> None:
        self.error_total += 1
        tables.keep_error(self.errors, error)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).replace("\ufeff", "").strip()


def _header(cell: Cell) -> str:
    return unicodedata.normalize("NFKC", _text(cell)).replace(" ", "").rstrip("*")


_HEADER_KEYS = {unicodedata.normalize("NFKC", h).replace(" ", ""): key for key, h, _ in COLUMNS}


def _flag(value: str) -> bool | None:
    folded = unicodedata.normalize("NFKC", value).strip().lower()
    return True if folded in YES else False if folded in NO else None


def _amount(cell: Cell) -> Decimal | None:
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float):
        return Decimal(str(cell))
    text = unicodedata.normalize("NFKC", _text(cell)).replace(",", "").replace("元", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as err:
        raise ValueError(text) from err


class _Rows:
    def __init__(self, report: Report, today: date, thresholds: penalties.Thresholds) -> None:
        self.report, self.today, self.thresholds = report, today, thresholds
        self.seen: dict[str, int] = {}

    def check(self, number: int, cells: dict[str, Cell]) -> penalties.Checked | None:
        before = self.report.error_total

        def fail(key: str | None, message: str, **params: object) -> None:
            self.report.add(RowError(number, HEADER_OF.get(key or ""), message, params))

        texts = {key: _text(cells.get(key)) for key, _, _ in COLUMNS}
        if texts["decision_no"].startswith("示例"):
            fail(None, N_("这是模板中的示例行，请删除后再导入"))
            return None
        for key, _, required in COLUMNS:
            if required and not texts[key]:
                fail(key, N_("必须填写"))
        flags = {key: self._flag(texts[key], key, fail) for key in ("other_measures", "special_domain")}
        fine = self._fine(cells.get("fine_amount"), texts["fine_amount"], fail)
        decided_on = self._date(cells.get("decided_on"), texts["decided_on"], fail)
        decision_no = " ".join(texts["decision_no"].split())
        if decision_no:
            first = self.seen.setdefault(decision_no, number)
            if first != number:
                fail("decision_no", N_("与第%(other)s行的决定书文号重复"), other=first)
        if self.report.error_total != before:
            return None
        given = penalties.PenaltyFacts(
            uscc=texts["uscc"],
            decision_no=decision_no,
            violation_type=texts["violation_type"],
            content=texts["content"],
            fine_amount=fine,
            other_measures=flags["other_measures"],
            special_domain=flags["special_domain"],
            authority=texts["authority"],
            decided_on=decided_on,
        )
        try:
            return penalties.check(given, thresholds=self.thresholds, today=self.today)
        except ValidationFailed as err:
            fail(err.field, err.message)
            return None

    @staticmethod
    def _flag(text: str, key: str, fail: Callable[..., None]) -> bool:
        flag = _flag(text)
        if flag is None:
            fail(key, N_("“%(value)s”应填写“是”或“否”"), value=text)
        return bool(flag)

    @staticmethod
    def _fine(cell: Cell, text: str, fail: Callable[..., None]) -> Decimal | None:
        try:
            return _amount(cell)
        except ValueError:
            fail("fine_amount", N_("“%(value)s”不是有效的金额"), value=text)
            return None

    @staticmethod
    def _date(cell: Cell, text: str, fail: Callable[..., None]) -> date | None:
        if not text:
            return None  # already reported as required
        try:
            return parse_date(cell)
        except ValueError:
            fail("decided_on", N_("“%(value)s”不是有效的日期，应为 YYYY-MM-DD（如 2026-06-01）"), value=text)
            return None


def check_table(
    table: Sequence[Sequence[Cell]], today: date, thresholds: penalties.Thresholds
) -> tuple[Report, list[penalties.Checked]]:
    """Every row checked; the checked penalties only when no row has an error."""
    report = Report()
    numbered = [(n, row) for n, row in enumerate(table, start=1) if any(_text(v) for v in row)]
    if not numbered:
        report.add(RowError(None, None, N_("文件中没有内容")))
        return report, []
    header_number, header = numbered[0]
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _HEADER_KEYS.get(_header(cell))
        if key is not None:
            if key in positions:
                report.add(RowError(header_number, HEADER_OF[key], N_("表头中该列出现了多次")))
            positions[key] = index
    missing = [HEADER_OF[key] for key, _, required in COLUMNS if required and key not in positions]
    if missing:
        report.add(
            RowError(
                header_number,
                None,
                N_("表头缺少列：%(columns)s（请使用导入模板，表头须为：%(headers)s）"),
                {"columns": "、".join(missing), "headers": "、".join(HEADERS)},
            )
        )
    if not report.ok:
        return report, []
    if len(numbered) == 1:
        report.add(RowError(None, None, N_("表头之后没有行政处罚数据")))
        return report, []
    rows = _Rows(report, today, thresholds)
    checked = []
    for number, values in numbered[1:]:
        cells = {key: values[i] if i < len(values) else None for key, i in positions.items()}
        found = rows.check(number, cells)
        if found is not None:
            checked.append(found)
    return report, ([] if report.error_total else checked)


def import_penalties(data: bytes, by: User | None) -> Report:
    """Record every penalty of the file, or (any error) none; each error names its row and column."""
    try:
        table = read_table(data)
    except Unreadable as err:
        report = Report()
        report.add(RowError(None, None, err.message, err.params))
        return report
    report, checked = check_table(table, clock.today(), penalties.Thresholds.configured())
    if not report.ok:
        return report
    with unit_of_work(db.session):
        report.imported = len(penalties.record_many(checked, by))
    return report


def csv_template() -> bytes:
    """Header and the example row, UTF-8 with BOM and CRLF, so Excel opens the Chinese right."""
    return tables.write_csv(HEADERS, [EXAMPLE])
