"""The China calendar core: pure, so no app and no database."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from honestmeter import chinatime


def test_china_date_turns_at_16_utc() -> None:
    assert chinatime.china_date(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert chinatime.china_date(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert chinatime.china_date(datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=8)))) == date(
        2026, 12, 31
    )


def test_china_midnight_is_the_utc_start_of_the_china_day() -> None:
    assert chinatime.china_midnight(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert chinatime.china_date(chinatime.china_midnight(date(2026, 7, 1))) == date(2026, 7, 1)


def test_china_time_to_the_minute_and_empty_for_none() -> None:
    assert chinatime.china_time(datetime(2026, 3, 1, 1, 2, 59, tzinfo=UTC)) == "2026-03-01 09:02"
    assert chinatime.china_time(None) == ""


def test_the_sql_offset_equals_the_zone_since_1991() -> None:
    # chinatime_sql shifts by a fixed offset; that is only right while the zone keeps no daylight saving time.
    for year in (1992, 2000, 2026, 2100):
        for month in (1, 7):
            offset = datetime(year, month, 1, tzinfo=chinatime.CHINA).utcoffset()
            assert offset == timedelta(hours=chinatime.UTC_OFFSET_HOURS)


def test_it_imports_the_standard_library_only() -> None:
    # (the honestmeter package itself imports the app, so check the module's own imports)
    tree = ast.parse(Path(chinatime.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m.split(".")[0] for m in imported} <= set(sys.stdlib_module_names) | {"__future__"}
