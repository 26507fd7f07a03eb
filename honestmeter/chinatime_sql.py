"""China Standard Time in SQL, per backend: the SQL twins of honestmeter.chinatime (not pure: SQLAlchemy).

Both shift a UTC timestamp column by chinatime.UTC_OFFSET_HOURS (no time-zone database needed in SQLite), which
gives the same day as chinatime.china_date for every date the platform can hold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from honestmeter.chinatime import UTC_OFFSET_HOURS


class ChinaMonth(FunctionElement[str]):
    """ "YYYY-MM" of a UTC timestamp column, in China Standard Time."""

    type = sa.String()
    name = "china_month"
    inherit_cache = True


class ChinaDate(FunctionElement[date]):
    """The China Standard Time date of a UTC timestamp column (comparable with a Date column)."""

    type = sa.Date()
    name = "china_date"
    inherit_cache = True


def args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    """The compiled SQL of a function element's arguments (for @compiles functions)."""
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(ChinaMonth, "postgresql")
def _china_month_pg(element: ChinaMonth, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = args(element, compiler, **kw)
    return f"to_char({moment} + interval '{UTC_OFFSET_HOURS} hours', 'YYYY-MM')"


@compiles(ChinaMonth, "sqlite")
def _china_month_sqlite(element: ChinaMonth, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = args(element, compiler, **kw)
    return f"strftime('%Y-%m', {moment}, '+{UTC_OFFSET_HOURS} hours')"


@compiles(ChinaDate, "postgresql")
def _china_date_pg(element: ChinaDate, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = args(element, compiler, **kw)
    return f"CAST({moment} + interval '{UTC_OFFSET_HOURS} hours' AS DATE)"


@compiles(ChinaDate, "sqlite")
def _china_date_sqlite(element: ChinaDate, compiler: SQLCompiler, **kw: Any) -> str:
    # Dates are stored as 'YYYY-MM-DD' text in SQLite, so this compares with a Date column as it should.
    (moment,) = args(element, compiler, **kw)
    return f"date({moment}, '+{UTC_OFFSET_HOURS} hours')"
