"""Vectors for the bulk-import core: reading .xlsx/.csv, checking every row, the templates."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from honestmeter import tables
from honestmeter.instruments import importing
from honestmeter.instruments.importing import HEADERS, RowError, TypeEntry
from honestmeter.instruments.models import InstrumentUse

TODAY = date(2026, 11, 23)
CATALOGUE = [
    TypeEntry("price_scale", "电子计价秤"),
    TypeEntry("fuel_dispenser", "燃油加油机"),
    TypeEntry("old_scale", "杆秤", active=False),
]
GOOD = [
    ["price_scale", "SN-001", "上海友声衡器有限公司", "TCS-30", "收银台", "贸易结算", "2026-06-01", "JD202606001"],
    ["fuel_dispenser", "FD-7", "", "", "加油岛", "", "", ""],
]


def xlsx(rows: list[list[object]], header: tuple[str, ...] | list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8", header: tuple[str, ...] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def parse(data: bytes) -> importing.Parsed:
    return importing.parse(data, CATALOGUE, TODAY)


def texts(result: importing.Parsed) -> list[str]:
    return [e.text() for e in result.errors]


@pytest.mark.parametrize(
    "data",
    [
        xlsx(GOOD),
        csv_bytes(GOOD),
        b"\xef\xbb\xbf" + csv_bytes(GOOD),  # UTF-8 with BOM, as our template and Excel "CSV UTF-8" write
        csv_bytes(GOOD, "gb18030"),  # Excel's plain "CSV" on Chinese Windows
        "\ufeff".encode("utf-16-le").join([b"", "\t".join(HEADERS).encode("utf-16-le")])
        + "\r\n".join(["", *("\t".join(r) for r in GOOD)]).encode("utf-16-le"),  # Excel "Unicode text"
    ],
    ids=["xlsx", "csv-utf8", "csv-utf8-bom", "csv-gb18030", "tsv-utf16"],
)
def test_a_good_file_in_every_supported_form(data: bytes) -> None:
    result = parse(data)
    assert texts(result) == []
    first, second = result.rows
    assert first == importing.Row(
        row=2,
        type_code="price_scale",
        serial_number="SN-001",
        maker="上海友声衡器有限公司",
        model="TCS-30",
        location="收银台",
        use="trade",
        last_verified_on=date(2026, 6, 1),
        certificate_no="JD202606001",
    )
    assert (second.row, second.type_code, second.maker, second.use, second.last_verified_on) == (
        3,
        "fuel_dispenser",
        None,
        "trade",  # blank 用途 means trade settlement
        None,
    )


def test_excel_cells_dates_numbers_and_names() -> None:
    rows: list[list[object]] = [
        ["price_scale", 12345.0, None, None, None, "医疗卫生", datetime(2026, 5, 4), 20260504],  # noqa: DTZ001 — Excel cells are naive
        ["燃油加油机", "00077", None, None, None, "safety", date(2026, 1, 31), None],
    ]
    first, second = parse(xlsx(rows)).rows
    assert (first.serial_number, first.use, first.last_verified_on, first.certificate_no) == (
        "12345",
        "medical",
        date(2026, 5, 4),
        "20260504",
    )
    assert (second.type_code, second.serial_number, second.use) == ("fuel_dispenser", "00077", "safety")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01", date(2026, 6, 1)),
        ("2026/6/1", date(2026, 6, 1)),  # Excel's CSV export on Chinese Windows
        ("2026.06.01", date(2026, 6, 1)),
        ("2026年6月1日", date(2026, 6, 1)),
        ("20260601", date(2026, 6, 1)),
        ("２０２６－０６－０１", date(2026, 6, 1)),
        ("2026-06-01 00:00:00", date(2026, 6, 1)),
    ],
)
def test_date_forms(text: str, expected: date) -> None:
    assert importing.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2026-02-30", "01/06/2026", "June 1", "46174", "2026-6", "true"])
def test_dates_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        importing.parse_date(text)


def test_every_kind_of_row_error_names_row_and_column() -> None:
    rows = [
        ["xyz", "A1", "", "", "", "", "", ""],
        ["old_scale", "A2", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "注释"],  # only an extra column: not blank, but both required cells are
        ["price_scale", "A3", "", "", "", "自用", "", ""],
        ["price_scale", "A4", "", "", "", "", "2026-13-01", ""],
        ["price_scale", "A5", "", "", "", "", "2027-01-01", ""],
        ["price_scale", "A6", "", "", "", "", "", "JD-1"],
        ["price_scale", "X" * 65, "M" * 101, "", "", "", "", ""],
        ["price_scale", "SN-001", "", "", "", "", "", ""],
        ["price_scale", "SN-001", "", "", "", "", "", ""],
        ["fuel_dispenser", "SN-001", "", "", "", "", "", ""],  # same serial, other type: fine
    ]
    result = parse(xlsx(rows, header=[*HEADERS, "备注"]))
    assert result.rows == [] and not result.ok
    assert texts(result) == [
        "第2行“器具类型代码”：未知的器具类型代码“xyz”（可用代码见导入模板的第二张表）",
        "第3行“器具类型代码”：器具类型“old_scale”已停用，不能登记新器具",
        "第4行“器具类型代码”：必须填写",
        "第4行“出厂编号”：必须填写",
        "第5行“用途”：“自用”不是有效的用途，应为：贸易结算、安全防护、医疗卫生、环境监测",
        "第6行“最近检定日期”：“2026-13-01”不是有效的日期，应为 YYYY-MM-DD（如 2026-06-01）",
        "第7行“最近检定日期”：检定日期 2027-01-01 晚于今天",
        "第8行“检定证书编号”：填写检定证书编号时须同时填写最近检定日期",
        "第9行“出厂编号”：不能超过64个字符",
        "第9行“制造商”：不能超过100个字符",
        "第11行“出厂编号”：与第10行的器具类型和出厂编号重复",
    ]
    assert result.error_total == 11


def test_one_bad_row_means_no_rows() -> None:
    result = parse(csv_bytes([*GOOD, ["nope", "Z1", "", "", "", "", "", ""]]))
    assert result.rows == [] and result.error_total == 1
    assert result.errors[0] == RowError(4, "器具类型代码", result.errors[0].message, {"value": "nope"})


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet() -> None:
    result = parse(xlsx([GOOD[0], [], [None, "  "], ["bad", "Q", "", "", "", "", "", ""]]))
    assert texts(result) == ["第5行“器具类型代码”：未知的器具类型代码“bad”（可用代码见导入模板的第二张表）"]


def test_columns_may_come_in_any_order_and_headers_may_carry_a_star() -> None:
    header = ["出厂编号*", "器具类型代码 *", *HEADERS[2:]]
    result = parse(csv_bytes([["SN-9", "price_scale", "", "", "", "", "", ""]], header=tuple(header)))
    assert texts(result) == [] and result.rows[0].serial_number == "SN-9"


def test_missing_or_repeated_columns() -> None:
    result = parse(csv_bytes([["price_scale"]], header=("器具类型代码", "型号")))
    assert texts(result) == [
        "第1行：表头缺少列：出厂编号、制造商、安装位置、用途、最近检定日期、检定证书编号"
        "（请使用导入模板，表头须为：器具类型代码、出厂编号、制造商、型号、安装位置、用途、最近检定日期、检定证书编号）"
    ]
    twice = parse(csv_bytes([], header=(*HEADERS, "型号")))
    assert texts(twice) == ["第1行“型号”：表头中该列出现了多次"]


def test_the_template_example_row_must_be_deleted() -> None:
    result = parse(importing.csv_template(CATALOGUE))
    assert texts(result) == ["第2行：这是模板中的示例行，请删除后再导入"]


def test_errors_are_capped_but_counted() -> None:
    rows = [["nope", f"S{n}", "", "", "", "", "", ""] for n in range(tables.MAX_ERRORS + 50)]
    result = parse(csv_bytes(rows))
    assert len(result.errors) == tables.MAX_ERRORS and result.error_total == tables.MAX_ERRORS + 50



def test_a_small_file_cannot_make_a_huge_report() -> None:
    # Issue 16 §9: 5 KB of long cell values once made a 150 MB error page. The report lists a hundred errors at most,
    # and repeats at most tables.MAX_ECHO characters of a value.
    rows = [["类型" * 2000, f"S{n}", "", "", "", "", "", ""] for n in range(500)]
    result = parse(csv_bytes(rows))
    assert result.error_total == 500 and len(result.errors) == tables.MAX_ERRORS == 100
    assert max(len(error.text()) for error in result.errors) < 120
    assert sum(len(error.text()) for error in result.errors) < 12_000


def test_echo_keeps_one_short_line() -> None:
    assert tables.echo("a\nb\tc") == "a b c"
    assert tables.echo("x" * 100) == "x" * (tables.MAX_ECHO - 1) + "…"
    assert len(tables.echo("长" * 1000)) == tables.MAX_ECHO

@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        (b"\xef\xbb\xbf\r\n", "文件是空的"),
        (",,,\r\n,,\r\n", "文件中没有内容"),
        (csv_bytes([]), "表头之后没有器具数据"),
        (b"%PDF-1.7\n...", "这是 PDF 文件，请上传 .xlsx 或 .csv 格式的台账"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "这是图片文件，请上传 .xlsx 或 .csv 格式的台账"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后上传"),
        (b"PK\x03\x04 not really a zip", "无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密"),
        (b"\x00\x01\x02binary", "不支持的文件类型，请上传 .xlsx 或 .csv 格式的台账"),
        (b"\x81\x30", "无法识别文件编码，请以 UTF-8 编码保存 CSV 文件"),  # a cut GB18030 four-byte sequence
    ],
    ids=["empty", "bom-only", "only-commas", "header-only", "pdf", "png", "xls", "bad-zip", "binary", "bad-encoding"],
)
def test_files_that_are_refused_as_a_whole(data: bytes | str, message: str) -> None:
    result = parse(data.encode() if isinstance(data, str) else data)
    assert texts(result) == [message] and result.rows == []


def test_a_zip_that_is_not_a_workbook() -> None:
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert texts(parse(out.getvalue())) == ["无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密"]


def test_progress_is_reported_per_row() -> None:
    seen: list[int] = []
    importing.parse(csv_bytes(GOOD), CATALOGUE, TODAY, progress=seen.append)
    assert sum(seen) == 2


def test_uses_match_the_model() -> None:
    assert set(importing.USES.values()) == {u.value for u in InstrumentUse}


def test_xlsx_template_has_header_example_and_type_sheet() -> None:
    book = openpyxl.load_workbook(io.BytesIO(importing.xlsx_template(CATALOGUE)))
    first, second = book.worksheets
    rows = list(first.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert rows[1][0] == "price_scale" and str(rows[1][1]).startswith("示例")
    assert isinstance(rows[1][6], datetime)  # a real date cell
    codes = list(second.iter_rows(values_only=True))
    assert codes == [("器具类型代码", "名称"), ("price_scale", "电子计价秤"), ("fuel_dispenser", "燃油加油机")]
    # The example is refused until deleted; without it the template is a valid empty file.
    assert texts(importing.parse(importing.xlsx_template(CATALOGUE), CATALOGUE, TODAY)) == [
        "第2行：这是模板中的示例行，请删除后再导入"
    ]


def test_csv_template_is_utf8_with_bom() -> None:
    data = importing.csv_template(CATALOGUE)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)
