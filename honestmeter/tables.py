"""Reading spreadsheets for bulk imports: the first sheet of an .xlsx, or a CSV (pure: no Flask, no SQLAlchemy).

Shared by every `honestmeter import …`; each domain checks the rows itself. Messages are Chinese
msgids with %(name)s placeholders, so the web layer can translate them and the CLI print them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

MAX_ROWS = 100_000
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a zip bomb is refused before openpyxl unpacks it


def N_(message: str) -> str:  # noqa: N802 — the gettext convention: marks a msgid for extraction only
    return message


E = TypeVar("E")

# An import's report lists the first hundred problems (the rest are counted), and repeats a cell's value only in
# part: a few KB of spreadsheet must not become a page of hundreds of MB.
MAX_ERRORS = 100
MAX_ECHO = 40  # characters of a cell's value an error message repeats


def echo(value: object) -> str:
    """A cell's value as an error message repeats it: one line, at most MAX_ECHO characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def keep_error(errors: list[E], error: E) -> None:
    """Append `error` while the report lists fewer than MAX_ERRORS (the caller counts every one)."""
    if len(errors) < MAX_ERRORS:
        errors.append(error)


class Unreadable(ValueError):
    """The file as a whole cannot be read as a table."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


Cell = Any  # str | int | float | bool | date | datetime | None, as openpyxl or csv give it
Progress = Callable[[int], None]

# ---------------------------------------------------------------- reading


_FOREIGN = (
    (b"%PDF-", N_("这是 PDF 文件，请上传 .xlsx 或 .csv 格式的台账")),
    (b"\x89PNG", N_("这是图片文件，请上传 .xlsx 或 .csv 格式的台账")),
    (b"\xff\xd8\xff", N_("这是图片文件，请上传 .xlsx 或 .csv 格式的台账")),
    (b"GIF8", N_("这是图片文件，请上传 .xlsx 或 .csv 格式的台账")),
    (b"\xd0\xcf\x11\xe0", N_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后上传")),
)


def read_table(data: bytes) -> list[list[Cell]]:
    """The first sheet of an .xlsx, or a CSV, as rows of cells (row i is spreadsheet row i+1).

    The type is told by the bytes: a zip (PK) is an .xlsx; text is CSV in UTF-8 (with or without
    BOM), UTF-16 with BOM (Excel's "Unicode text") or GB18030 (Excel's default on Chinese Windows).
    """
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise Unreadable(N_("文件是空的"))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    for magic, message in _FOREIGN:
        if data.startswith(magic):
            raise Unreadable(message)
    return _read_csv(_decode(data))


def _read_xlsx(data: bytes) -> list[list[Cell]]:
    import openpyxl  # noqa: PLC0415 — loaded for the first spreadsheet upload, not by every process

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            raise Unreadable(N_("Excel 文件解压后过大，请拆分后分批导入"))
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Unreadable:
        raise
    except Exception as err:  # openpyxl raises many kinds for a damaged or foreign zip
        raise Unreadable(N_("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密")) from err
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions, which would cut rows off
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                raise Unreadable(N_("一次最多导入 %(max)s 行，请拆分后分批导入"), max=MAX_ROWS)
        return rows
    finally:
        book.close()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise Unreadable(N_("无法识别文件编码，请以 UTF-8 编码保存 CSV 文件")) from err
    if b"\x00" in data[:4096]:
        raise Unreadable(N_("不支持的文件类型，请上传 .xlsx 或 .csv 格式的台账"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(N_("无法识别文件编码，请以 UTF-8 编码保存 CSV 文件"))


def _read_csv(text: str) -> list[list[Cell]]:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    rows: list[list[Cell]] = []
    try:
        for record in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter):
            rows.append(list(record))
            if len(rows) > MAX_ROWS + 1:
                raise Unreadable(N_("一次最多导入 %(max)s 行，请拆分后分批导入"), max=MAX_ROWS)
    except csv.Error as err:
        raise Unreadable(N_("CSV 文件格式有误：%(detail)s"), detail=str(err)) from err
    return rows


# A cell starting like a formula is run by Excel when the file is opened (CSV injection): write it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(headers: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A sheet as CSV for Excel: UTF-8 with BOM (so Excel reads the Chinese right), CRLF, formula-safe cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
