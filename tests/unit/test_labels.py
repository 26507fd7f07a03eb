"""Every enum value and status code has its words in honestmeter.labels (no app, no database)."""

from __future__ import annotations

import enum
import importlib

from honestmeter import labels
from honestmeter.inspections.models import OrderStatus, TaskKind
from honestmeter.instruments import state
from honestmeter.scoring import GRADES

MODELS = ("complaints", "inspections", "instruments", "lists", "ratings", "repairs")


def _enums() -> dict[str, type[enum.StrEnum]]:
    found: dict[str, type[enum.StrEnum]] = {}
    for domain in MODELS:
        module = importlib.import_module(f"honestmeter.{domain}.models")
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, enum.StrEnum) and value.__module__ == module.__name__:
                found[name] = value
    return found


def test_every_member_of_every_labelled_enum_has_a_label() -> None:
    # labels.py imports no domain (every domain may import it), so it names enums by class and keys by value.
    enums = _enums()
    for name, words in labels.BY_ENUM.items():
        assert set(words) == {member.value for member in enums[name]}, name


def test_code_vocabularies_cover_their_codes() -> None:
    assert set(labels.INSTRUMENT_STATE) == set(state.STATES)
    assert set(labels.STRATUM) == {*GRADES, "unrated"}
    assert set(labels.TASK_STATUS_BRIEF) == set(labels.TASK_STATUS)
    assert set(labels.ENTRY_STATUS_BRIEF) == set(labels.ENTRY_STATUS)


def test_msgid_finds_enums_by_class_and_codes_by_vocabulary() -> None:
    assert labels.msgid(TaskKind.RANDOM) == "双随机抽查"
    assert labels.msgid(OrderStatus.NOT_CORRECTED) == "逾期未改正"
    assert labels.msgid("due_soon", "instrument_state") == "30日内到期"
    assert labels.msgid("valid", "commitment_status") == "有效"
    assert labels.msgid("no-such-code", "health") == "no-such-code"
