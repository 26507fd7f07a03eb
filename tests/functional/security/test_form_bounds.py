"""Every number and date a form accepts is bounded at the form (issue 16 §10): the walk covers every form class in
the package, so a new field without its bound fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date

import pytest
from flask import Flask
from wtforms import DateField, DateTimeField, DecimalField, FloatField, Form, IntegerField
from wtforms.validators import NumberRange, ValidationError

import honestmeter
from honestmeter.web import LATEST_DATE, DateBounds


def _form_classes() -> list[type[Form]]:
    found = []
    for module in pkgutil.walk_packages(honestmeter.__path__, "honestmeter."):
        if ".migrations" in module.name:
            continue
        loaded = importlib.import_module(module.name)
        found += [
            obj
            for obj in vars(loaded).values()
            if inspect.isclass(obj) and issubclass(obj, Form) and obj.__module__ == loaded.__name__
        ]
    return found


def _validators(unbound: object) -> list[object]:
    kwargs = getattr(unbound, "kwargs", {})
    args = getattr(unbound, "args", ())
    return list(kwargs.get("validators") or (args[1] if len(args) > 1 else []))


def test_every_number_and_date_field_is_bounded(app: Flask) -> None:
    missing, walked = [], 0
    for form in _form_classes():
        for name in dir(form):
            unbound = getattr(form, name)
            field_class = getattr(unbound, "field_class", None)
            if field_class is None:
                continue
            validators = _validators(unbound)
            if issubclass(field_class, DateField | DateTimeField):
                walked += 1
                if not any(isinstance(v, DateBounds) for v in validators):
                    missing.append(f"{form.__module__}.{form.__name__}.{name}: no DateBounds")
            elif issubclass(field_class, IntegerField | DecimalField | FloatField):
                walked += 1
                if not any(isinstance(v, NumberRange) for v in validators):
                    missing.append(f"{form.__module__}.{form.__name__}.{name}: no NumberRange")
    assert missing == [], "\n".join(missing)
    assert walked >= 20


class _Field:
    def __init__(self, data: object) -> None:
        self.data = data


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31), date(1989, 12, 31)])
def test_dates_far_out_are_refused(app: Flask, day: date) -> None:
    with app.test_request_context(), pytest.raises(ValidationError):
        DateBounds()(None, _Field(day))


def test_dates_within_the_bounds_and_empty_ones_pass(app: Flask) -> None:
    with app.test_request_context():
        for data in (None, date(2026, 12, 8), LATEST_DATE):
            DateBounds()(None, _Field(data))
