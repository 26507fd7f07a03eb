"""Bulk import of a merchant's instruments from .xlsx or .csv (pure: no Flask, no SQLAlchemy).

`parse(data, catalogue, today)` reads the file, checks every row and returns either the rows or
the errors, each with its spreadsheet row number (the header is row 1) and column name. Checks
that need the database (a serial already registered) are the service's. Messages are Chinese
msgids with %(name)s placeholders, so the web layer can translate them and the CLI print them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from honestmeter import tables
from honestmeter.config import Config
from honestmeter.tables import N_, Cell, Progress, Unreadable, read_table

DEFAULT_MAX_BYTES = Config.INSTRUMENT_IMPORT_MAX_BYTES  # web uploads; the CLI reads any size


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    max_length: int | None = None
    required: bool = False


COLUMNS = (
    Column("type_code", N_("器具类型代码"), required=True),
    Column("serial_number", N_("出厂编号"), 64, required=True),
    Column("maker", N_("制造商"), 100),
    Column("model", N_("型号"), 100),
    Column("location", N_("安装位置"), 200),
    Column("use", N_("用途")),
    Column("last_verified_on", N_("最近检定日期")),
    Column("certificate_no", N_("检定证书编号"), 64),
)
HEADERS = tuple(c.header for c in COLUMNS)
# 用途 labels → InstrumentUse values (a unit test keeps the two in step).
USES = {"贸易结算": "trade", "安全防护": "safety", "医疗卫生": "medical", "环境监测": "environment"}
EXAMPLE_SERIAL_PREFIX = "示例"
EXAMPLE_DATE = date(2026, 6, 1)


@dataclass(frozen=True)
class TypeEntry:
    """A catalogue entry as the importer needs it."""

    code: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class RowError:
    """One problem: `row` is the spreadsheet row number (None: the whole file), `column` its header."""

    row: int | None
    column: str | None
    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def detail(self) -> str:
        return self.message % {k: tables.echo(v) for k, v in self.params.items()} if self.params else self.message

    def text(self) -> str:
        """The Chinese wording, e.g. 第3行“器具类型代码”：未知的器具类型代码“xyz”."""
        if self.row is None:
            return self.detail()
        if self.column is None:
            return f"第{self.row}行：{self.detail()}"
        return f"第{self.row}行“{self.column}”：{self.detail()}"


@dataclass(frozen=True)
class Row:
    """One valid instrument row."""

    row: int
    type_code: str
    serial_number: str
    maker: str | None
    model: str | None
    location: str | None
    use: str
    last_verified_on: date | None
    certificate_no: str | None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the first tables.MAX_ERRORS
    error_total: int = 0

    @property
    def ok(self) -> bool:
        return self.error_total == 0

    def add(self, error: RowError) -> None:
        self.error_total += 1
        tables.keep_error(self.errors, error)


# ---------------------------------------------------------------- checking


def parse(
    data: bytes,
    catalogue: Sequence[TypeEntry],
    today: date,
    *,
    progress: Progress | None = None,
) -> Parsed:
    """Read and check every row; on any error `rows` is empty (all or nothing)."""
    try:
        table = read_table(data)
    except Unreadable as err:
        result = Parsed()
        result.add(RowError(None, None, err.message, err.params))
        return result
    return check_table(table, catalogue, today, progress=progress)


def _blank(values: Sequence[Cell]) -> bool:
    return all(_text(v) == "" for v in values)


def _header_name(cell: Cell) -> str:
    return unicodedata.normalize("NFKC", _text(cell)).replace(" ", "").rstrip("*")


def _columns(header: Sequence[Cell], number: int, result: Parsed) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _header_name(cell)
        if name in HEADERS:
            if name in positions:
                result.add(RowError(number, name, N_("表头中该列出现了多次")))
            positions[name] = index
    missing = [h for h in HEADERS if h not in positions]
    if missing:
        result.add(
            RowError(
                number,
                None,
                N_("表头缺少列：%(columns)s（请使用导入模板，表头须为：%(headers)s）"),
                {"columns": "、".join(missing), "headers": "、".join(HEADERS)},
            )
        )
    return None if result.error_total else positions


def check_table(
    table: Sequence[Sequence[Cell]],
    catalogue: Sequence[TypeEntry],
    today: date,
    *,
    progress: Progress | None = None,
) -> Parsed:
    result = Parsed()
    numbered = [(n, values) for n, values in enumerate(table, start=1) if not _blank(values)]
    if not numbered:
        result.add(RowError(None, None, N_("文件中没有内容")))
        return result
    header_number, header = numbered[0]
    positions = _columns(header, header_number, result)
    if positions is None:
        return result
    body = numbered[1:]
    if not body:
        result.add(RowError(None, None, N_("表头之后没有器具数据")))
        return result
    checker = _RowChecker(catalogue, today, result)
    for number, values in body:
        cells = {c.key: (values[positions[c.header]] if positions[c.header] < len(values) else None) for c in COLUMNS}
        row = checker.check(number, cells)
        if row is not None:
            result.rows.append(row)
        if progress is not None:
            progress(1)
    if not result.ok:
        result.rows = []
    return result


class _RowChecker:
    def __init__(self, catalogue: Sequence[TypeEntry], today: date, result: Parsed) -> None:
        self.by_code = {t.code.lower(): t for t in catalogue}
        self.by_name = {t.name: t for t in catalogue}
        self.today = today
        self.result = result
        self.seen: dict[tuple[str, str], int] = {}

    def check(self, number: int, cells: Mapping[str, Cell]) -> Row | None:
        before = self.result.error_total
        headers = {c.key: c.header for c in COLUMNS}

        def fail(key: str | None, message: str, **params: object) -> None:
            self.result.add(RowError(number, headers[key] if key else None, message, params))

        serial = _code_text(cells["serial_number"])
        if serial.startswith(EXAMPLE_SERIAL_PREFIX):
            fail(None, N_("这是模板中的示例行，请删除后再导入"))
            return None
        texts: dict[str, str] = {}
        for column in COLUMNS:
            value = serial if column.key == "serial_number" else _text(cells[column.key])
            if column.required and not value:
                fail(column.key, N_("必须填写"))
            elif column.max_length and len(value) > column.max_length:
                fail(column.key, N_("不能超过%(max)s个字符"), max=column.max_length)
            texts[column.key] = value
        kind = self._type(texts["type_code"], fail)
        use = self._use(texts["use"], fail)
        verified_on = self._date(cells["last_verified_on"], fail)
        certificate = _code_text(cells["certificate_no"])
        if certificate and verified_on is None and texts["last_verified_on"] == "":
            fail("certificate_no", N_("填写检定证书编号时须同时填写最近检定日期"))
        if kind is not None and serial:
            key = (kind.code, serial)
            if key in self.seen:
                fail("serial_number", N_("与第%(other)s行的器具类型和出厂编号重复"), other=self.seen[key])
            else:
                self.seen[key] = number
        if self.result.error_total != before or kind is None or use is None:
            return None
        return Row(
            row=number,
            type_code=kind.code,
            serial_number=serial,
            maker=texts["maker"] or None,
            model=texts["model"] or None,
            location=texts["location"] or None,
            use=use,
            last_verified_on=verified_on,
            certificate_no=certificate or None,
        )

    def _type(self, value: str, fail: Callable[..., None]) -> TypeEntry | None:
        if not value:
            return None  # already reported as required
        code = unicodedata.normalize("NFKC", value).strip()
        kind = self.by_code.get(code.lower()) or self.by_name.get(value)
        if kind is None:
            fail("type_code", N_("未知的器具类型代码“%(value)s”（可用代码见导入模板的第二张表）"), value=value)
            return None
        if not kind.active:
            fail("type_code", N_("器具类型“%(value)s”已停用，不能登记新器具"), value=value)
            return None
        return kind

    def _use(self, value: str, fail: Callable[..., None]) -> str | None:
        if not value:
            return USES["贸易结算"]
        use = USES.get(value) or (value.lower() if value.lower() in USES.values() else None)
        if use is None:
            fail("use", N_("“%(value)s”不是有效的用途，应为：%(choices)s"), value=value, choices="、".join(USES))
        return use

    def _date(self, cell: Cell, fail: Callable[..., None]) -> date | None:
        if _text(cell) == "":
            return None
        try:
            day = parse_date(cell)
        except ValueError:
            message = N_("“%(value)s”不是有效的日期，应为 YYYY-MM-DD（如 2026-06-01）")
            fail("last_verified_on", message, value=_text(cell))
            return None
        if day > self.today:
            fail("last_verified_on", N_("检定日期 %(value)s 晚于今天"), value=day.isoformat())
            return None
        return day


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(cell: Cell) -> date:
    """An Excel date cell, or text as YYYY-MM-DD (also 2026/6/1, 2026.06.01, 2026年6月1日, 20260601)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, bool):
        raise ValueError(cell)
    text = unicodedata.normalize("NFKC", _text(cell))
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)  # ValueError for 2026-02-30


def _text(cell: Cell) -> str:
    """A cell as trimmed text; a whole number stored as float (12345.0) loses its ".0"."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime) and cell.time() == datetime.min.time():
        return cell.date().isoformat()
    return str(cell).replace("\ufeff", "").strip()


def _code_text(cell: Cell) -> str:
    """Serials and certificate numbers: full-width letters and digits folded (ＳＮ０１ → SN01)."""
    return unicodedata.normalize("NFKC", _text(cell)).strip()


# ---------------------------------------------------------------- templates


def example_row(catalogue: Sequence[TypeEntry]) -> list[Cell]:
    codes = [t.code for t in catalogue if t.active]
    code = "price_scale" if "price_scale" in codes else (codes[0] if codes else "price_scale")
    serial = f"{EXAMPLE_SERIAL_PREFIX}-0001"
    return [code, serial, "某某衡器有限公司", "ACS-30", "收银台", "贸易结算", EXAMPLE_DATE, "JD2026060001"]


def csv_template(catalogue: Sequence[TypeEntry]) -> bytes:
    """Header and the example row, UTF-8 with BOM and CRLF, so Excel opens the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow([v.isoformat() if isinstance(v, date) else v for v in example_row(catalogue)])
    return "\ufeff".encode() + out.getvalue().encode()


def xlsx_template(catalogue: Sequence[TypeEntry]) -> bytes:
    """Sheet 1: header, the example row, drop-downs for type and use; sheet 2: the type codes."""
    # openpyxl loads only when a template is asked for: most processes never write a spreadsheet.
    import openpyxl  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "计量器具台账"
    sheet.append(list(HEADERS))
    sheet.append(example_row(catalogue))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F6")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCDEFGH", (18, 20, 26, 14, 16, 12, 16, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    # Column styles apply to the cells a merchant types into: dates as dates, serials as text
    # (so leading zeros survive).
    for letter, number_format in (("B", "@"), ("G", "yyyy-mm-dd"), ("H", "@")):
        sheet.column_dimensions[letter].number_format = number_format
        sheet[f"{letter}2"].number_format = number_format
    sheet.freeze_panes = "A2"

    codes = book.create_sheet("器具类型代码")
    codes.append(["器具类型代码", "名称"])
    for cell in codes[1]:
        cell.font, cell.fill = bold, fill
    active = [t for t in catalogue if t.active]
    for entry in active:
        codes.append([entry.code, entry.name])
    codes.column_dimensions["A"].width, codes.column_dimensions["B"].width = 22, 32

    uses = DataValidation(type="list", formula1='"' + ",".join(USES) + '"', allow_blank=True)
    uses.add("F2:F5000")
    sheet.add_data_validation(uses)
    if active:
        types = DataValidation(type="list", formula1=f"'器具类型代码'!$A$2:$A${len(active) + 1}", allow_blank=True)
        types.add("A2:A5000")
        sheet.add_data_validation(types)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
