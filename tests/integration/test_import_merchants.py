"""`honestmeter import merchants`: the directory from a spreadsheet, every row checked, all or none."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
from flask import Flask

from honestmeter.ledger import services as ledger
from honestmeter.merchants.importing import import_merchants
from honestmeter.merchants.queries import find_by_uscc

HEADER = "统一社会信用代码,经营者名称,行业,所在地区代码,经营场所地址,法定代表人/负责人,联系电话"
GOOD = [
    "914403001922038216,南山计量示范超市,商店超市,440305,深圳市南山区1号,赵一,0755-1",
    "91440300708461136T,南山加油站,fuel,440305,深圳市南山区2号,钱二,",
]


def csv_bytes(*rows: str) -> bytes:
    return ("\ufeff" + "\n".join([HEADER, *rows])).encode()


def test_good_file_lands_with_ledger_records() -> None:
    report = import_merchants(csv_bytes(*GOOD))
    assert report.error_total == 0 and report.imported == 2
    merchant = find_by_uscc("91440300708461136T")
    assert merchant is not None and merchant.sector_code == "fuel" and merchant.contact_phone is None
    record = ledger.latest_record("merchant", str(merchant.id))
    assert record is not None and json.loads(record.canonical)["data"]["name"] == "南山加油站"


def test_one_bad_row_imports_nothing_and_every_error_names_row_and_column() -> None:
    rows = [
        *GOOD,
        "914403001922038215,错误代码商店,商店超市,440305,地址,孙三,",  # wrong check character
        "91330100716105852F,未知行业,赌场,999999,地址,,",
        "914403001922038216,重复,商店超市,440305,地址,李四,",
    ]
    report = import_merchants(csv_bytes(*rows))
    assert report.imported == 0 and find_by_uscc("914403001922038216") is None
    assert "第4行“统一社会信用代码”：统一社会信用代码第18位（校验码）应为“6”，实际为“5”" in report.errors
    assert "第5行“行业”：未知的行业“赌场”" in report.errors
    assert "第5行“所在地区代码”：行政区划代码“999999”不在区划表中" in report.errors
    assert "第5行“法定代表人/负责人”：必须填写" in report.errors
    assert "第6行“统一社会信用代码”：与第2行重复" in report.errors


def test_excel_file_with_numeric_cells() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["914403001922038216", "表格商店", "retail", 440305, "深圳", "周五", None])
    buffer = io.BytesIO()
    book.save(buffer)
    assert import_merchants(buffer.getvalue()).imported == 1


def test_wrong_header_and_wrong_file_type() -> None:
    assert "表头缺少列" in import_merchants("名称,地址\n甲,乙".encode()).errors[0]
    assert "PDF" in import_merchants(b"%PDF-1.7 not a table").errors[0]


def test_cli(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "merchants.csv"
    path.write_bytes(csv_bytes(*GOOD))
    result = app.test_cli_runner().invoke(args=["import", "merchants", str(path)])
    assert result.exit_code == 0 and "imported 2 merchants" in result.output
    result = app.test_cli_runner().invoke(args=["import", "merchants", str(path)])
    assert result.exit_code == 1 and "已在名录库中" in result.output
