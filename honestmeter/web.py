"""Small helpers shared by the HTML routes of every domain."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from flask import flash, request
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.validators import ValidationError

from honestmeter.errors import DomainError
from honestmeter.extensions import db

T = TypeVar("T")
MAX_PAGE = 100_000  # far beyond any real listing; keeps OFFSET within every backend's integer range
PER_PAGE = 20


class RowProblem(Protocol):
    """An import error (instruments.importing.RowError and its kin): row, column header, msgid and its params."""

    @property
    def row(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def message(self) -> str: ...
    @property
    def params(self) -> Mapping[str, object]: ...


def describe(error: RowProblem) -> str:
    """An import error in the visitor's language: 第3行“器具类型代码”：未知的器具类型代码“xyz”."""
    detail = gettext(error.message, **dict(error.params))
    if error.row is None:
        return detail
    if error.column is None:
        return gettext("第%(row)s行：%(detail)s", row=error.row, detail=detail)
    return gettext("第%(row)s行“%(column)s”：%(detail)s", row=error.row, column=gettext(error.column), detail=detail)


def show_error(form: FlaskForm | None, err: DomainError) -> None:
    """Put a service's error next to the field it names, or at the top of the page."""
    message = err.localized(gettext)
    if form is not None and err.field and err.field in form:
        form[err.field].errors = [*form[err.field].errors, message]
    else:
        flash(message, "error")


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def clamp_page(page: int | None) -> int:
    """A page number within 1..MAX_PAGE: `?page=10**20` would overflow OFFSET on every backend (a 500)."""
    return min(max(1, page or 1), MAX_PAGE)


def page_arg() -> int:
    """The `page` query argument of the current request, clamped (not a number: the first page)."""
    return clamp_page(request.args.get("page", 1, type=int))


def paginate(stmt: sa.Select[Any], page: int, per_page: int = PER_PAGE) -> Page[Any]:
    """Page through a select; the count runs on the same filters without the ORDER BY."""
    page = clamp_page(page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=items, page=page, per_page=per_page, total=total)


def choices(pairs: Sequence[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def grouped_choices(triples: Sequence[tuple[str, Any, str]]) -> list[SelectChoice]:
    """(value, label, group) triples as choices inside <optgroup>s."""
    return [SelectChoice(value, label, optgroup=group or None) for value, label, group in triples]


# ---------------------------------------------------------------- dates in forms

EARLIEST_DATE = date(1990, 1, 1)  # before any record this system keeps (instrument histories reach back furthest)
LATEST_DATE = date(2099, 12, 31)


class DateBounds:
    """A form date (or date and time) within EARLIEST_DATE..LATEST_DATE: 0001-01-01 and 9999-12-31 parse as dates,
    then overflow date arithmetic (deadlines, windows) or hide a typing slip. Every date field carries it."""

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError(
                lazy_gettext("日期须在 %(earliest)s 至 %(latest)s 之间")
                % {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}
            )
