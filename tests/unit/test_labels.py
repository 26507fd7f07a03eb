"""Every enum value and status code has its words in honestmeter.labels (no app, no database)."""

from __future__ import annotations

from honestmeter import labels
from honestmeter.inspections.models import OrderStatus, TaskKind
from honestmeter.instruments import state
from honestmeter.ratings.scoring import GRADES


def test_every_member_of_every_labelled_enum_has_a_label() -> None:
    for enum, words in labels.BY_ENUM.items():
        assert set(words) == set(enum), enum.__name__


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
