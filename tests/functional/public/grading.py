"""Test data for the grade pages: credit facts and grades made through ratings.facts and ratings.grades."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource, GradeChange

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 11, 23)
_ids = itertools.count(900_000)  # source ids of facts without a row behind them, clear of the tests' real ids


def add_fact(
    merchant: Merchant, rule: str, on: date, *, source: FactSource = FactSource.RESULT, source_id: int | None = None
) -> CreditFact:
    sid = next(_ids) if source_id is None else source_id
    return facts.add(merchant.id, rule, on, source=source, source_id=sid, ref=f"{source.value}/{sid}")


def regrade(merchant: Merchant) -> GradeChange:
    change = grades.regrade(merchant.id, "test")
    assert change is not None
    return change


def grade_a(merchant: Merchant) -> GradeChange:
    """80 + 10 (示范单位) + 3 (one clean check) = 93: A."""
    add_fact(merchant, "model_unit", date(2026, 1, 5), source=FactSource.LIST_ENTRY)
    add_fact(merchant, "check_clean", date(2026, 10, 9))
    change = regrade(merchant)
    assert (change.grade, change.score) == ("A", 93)
    return change
