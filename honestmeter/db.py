"""Declarative base, naming convention, shared column types and the unit of work."""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session
from sqlalchemy.types import TypeDecorator

from honestmeter import clock

# Deterministic constraint names, so migrations can drop them by name on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no timezone type; storing naive UTC and re-attaching UTC on load keeps comparisons
    and ISO-8601 output identical on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use honestmeter.clock.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # Enums are stored by value (e.g. "active") in a plain string column, so adding a member never
    # needs an ALTER TYPE on PostgreSQL; datetimes are always timezone-aware UTC.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            enum.StrEnum: sa.Enum(
                enum.StrEnum,
                native_enum=False,
                values_callable=lambda e: [m.value for m in e],
                validate_strings=True,
                length=32,
            ),
            datetime: UTCDateTime(),
        },
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=clock.utcnow, onupdate=clock.utcnow)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Make SQLite behave like a real database: enforced foreign keys, WAL, waiting on locks.

    pysqlite's own transaction handling silently commits before DDL and never issues SAVEPOINT-safe
    BEGINs; taking it over (isolation_level=None plus the "begin" hook below) gives SQLite the same
    transactional semantics as PostgreSQL, which the tests' SAVEPOINT isolation relies on.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: sa.Connection) -> None:
    # IMMEDIATE takes the write lock up front (waiting up to busy_timeout). A deferred transaction
    # that reads and then writes fails at once with SQLITE_BUSY when another connection wrote in
    # between (its snapshot is stale), which no timeout can cure. Readers are not blocked in WAL
    # mode; writers queue, which is the right trade for the single-node embedded default.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unit_of_work(session: Session | scoped_session[Any]) -> Iterator[Session | scoped_session[Any]]:
    """One business use case = one transaction: commit on success, roll back on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


_DRIVER_NATIVE = (sa.String, sa.Integer, sa.LargeBinary, sa.Boolean)


def insert_plain(
    session: Session | scoped_session[Any], table: sa.Table, rows: list[dict[str, Any]], **same: Any
) -> None:
    """executemany for bulk loads (ledger leaves, demo data) with the least per-row work.

    Strings, integers, bytes and booleans go to the driver as they are; only columns of other
    types (dates, enums, JSON) pass through their bind processors. `same` holds columns equal for
    every row (a timestamp), converted once. At half a million rows SQLAlchemy's usual per-row,
    per-column processing cost more than everything else.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect

    def processor(name: str) -> Any:
        column_type = table.c[name].type
        if isinstance(column_type, _DRIVER_NATIVE) and not isinstance(column_type, sa.Enum | TypeDecorator):
            return None
        return column_type.dialect_impl(dialect).bind_processor(dialect)

    constants = {}
    for name, value in same.items():
        convert = processor(name)
        constants[name] = convert(value) if convert else value
    converters = {name: convert for name in rows[0] if (convert := processor(name)) is not None}
    if converters or constants:
        rows = [
            {**row, **{n: (None if row[n] is None else c(row[n])) for n, c in converters.items()}, **constants}
            for row in rows
        ]
    columns = list(rows[0])
    names = ", ".join(columns)
    values = ", ".join(":" + c for c in columns)
    statement = sa.text(f"INSERT INTO {table.name} ({names}) VALUES ({values})")  # noqa: S608 — our own names
    session.execute(statement, rows)

