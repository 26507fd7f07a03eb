"""Bulk entry of the inspection-object directory from .xlsx or .csv: every row checked, all or none."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from honestmeter import tables
from honestmeter.db import unit_of_work
from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.merchants import services
from honestmeter.merchants.models import Merchant, Region, Sector
from honestmeter.tables import Unreadable, read_table

COLUMNS = {
    "统一社会信用代码": "uscc",
    "经营者名称": "name",
    "行业": "sector_code",
    "所在地区代码": "region_code",
    "经营场所地址": "address",
    "法定代表人/负责人": "legal_representative",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "电子邮箱": "contact_email",
}
REQUIRED = ("uscc", "name", "sector_code", "region_code", "address", "legal_representative")


@dataclass
class Report:
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    error_total: int = 0

    def fail(self, message: str) -> None:
        self.error_total += 1
        tables.keep_error(self.errors, message)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel stores 440305 as 440305.0
        value = int(value)
    return str(value).strip()


class _Checker:
    """Row checks against the directory and reference data, loaded once per file."""

    def __init__(self) -> None:
        self.sectors = {code: code for code in db.session.scalars(sa.select(Sector.code))}
        self.sectors.update({name: code for code, name in db.session.execute(sa.select(Sector.code, Sector.name))})
        self.regions = set(db.session.scalars(sa.select(Region.code)))
        self.existing = set(db.session.scalars(sa.select(Merchant.uscc)))
        self.seen: dict[str, int] = {}

    def check(self, number: int, row: dict[str, str]) -> list[tuple[str, str]]:
        problems = [(key, "必须填写") for key in REQUIRED if not row.get(key)]
        if row.get("sector_code") and row["sector_code"] not in self.sectors:
            problems.append(("sector_code", f"未知的行业“{tables.echo(row['sector_code'])}”"))
        if row.get("region_code") and row["region_code"] not in self.regions:
            problems.append(("region_code", f"行政区划代码“{tables.echo(row['region_code'])}”不在区划表中"))
        if row.get("uscc"):
            problems += self._uscc(number, row)
        return problems

    def _uscc(self, number: int, row: dict[str, str]) -> list[tuple[str, str]]:
        try:
            row["uscc"] = services.check_uscc(row["uscc"])
        except ValidationFailed as err:
            return [("uscc", err.message)]
        if row["uscc"] in self.existing:
            return [("uscc", "该统一社会信用代码已在名录库中")]
        first = self.seen.setdefault(row["uscc"], number)
        return [("uscc", f"与第{first}行重复")] if first != number else []

    def facts(self, row: dict[str, str]) -> services.MerchantFacts:
        return services.MerchantFacts(
            uscc=row["uscc"],
            name=row["name"],
            sector_code=self.sectors[row["sector_code"]],
            region_code=row["region_code"],
            address=row["address"],
            legal_representative=row["legal_representative"],
            contact_name=row.get("contact_name") or None,
            contact_phone=row.get("contact_phone") or None,
            contact_email=row.get("contact_email") or None,
        )


def import_merchants(data: bytes) -> Report:
    """Enter merchants into the directory; each becomes a ledger record. Errors name row and column."""
    report = Report()
    try:
        table = read_table(data)
    except Unreadable as err:
        report.fail(str(err))
        return report
    header = [_cell(v) for v in table[0]] if table else []
    positions = {COLUMNS[name]: i for i, name in enumerate(header) if name in COLUMNS}
    missing = [name for name, key in COLUMNS.items() if key in REQUIRED and key not in positions]
    if missing:
        report.fail(f"表头缺少列：{'、'.join(missing)}（表头须为：{'、'.join(COLUMNS)}）")
        return report
    checker = _Checker()
    labels = {key: name for name, key in COLUMNS.items()}
    facts: list[services.MerchantFacts] = []
    for number, values in enumerate(table[1:], start=2):
        row = {key: _cell(values[i]) if i < len(values) else "" for key, i in positions.items()}
        if not any(row.values()):
            continue
        problems = checker.check(number, row)
        for key, message in problems:
            report.fail(f"第{number}行“{labels[key]}”：{message}")
        if not problems:
            facts.append(checker.facts(row))
    if not report.error_total and not facts:
        report.fail("表头之后没有经营者数据")
    if report.error_total:
        return report
    with unit_of_work(db.session):
        for item in facts:
            services.add_merchant(item)
    report.imported = len(facts)
    return report
