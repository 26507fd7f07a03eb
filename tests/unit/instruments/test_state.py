"""The instrument-state rule on dates alone (no app, no database)."""

from __future__ import annotations

from datetime import date, timedelta

from honestmeter.instruments import state

TODAY = date(2026, 6, 15)
LAST = date(2025, 6, 1)


def test_states_in_order_of_precedence() -> None:
    assert state.verification_state(TODAY - timedelta(days=1), LAST, date(2026, 1, 1), TODAY) == "failed"
    assert state.verification_state(None, None, None, TODAY) == "unverified"
    assert state.verification_state(None, LAST, None, TODAY) == "ok"
    assert state.verification_state(TODAY - timedelta(days=1), LAST, None, TODAY) == "overdue"
    assert state.verification_state(TODAY, LAST, None, TODAY) == "due_soon"
    assert state.verification_state(TODAY + timedelta(days=state.DUE_SOON_DAYS), LAST, None, TODAY) == "due_soon"
    assert state.verification_state(TODAY + timedelta(days=state.DUE_SOON_DAYS + 1), LAST, None, TODAY) == "ok"


def test_in_force_is_ok_or_due_soon() -> None:
    cases = [
        (n, lv, f)
        for n in (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=90))
        for lv in (None, LAST)
        for f in (None, LAST)
    ]
    for next_due_on, last_verified_on, failed_on in cases:
        expected = state.verification_state(next_due_on, last_verified_on, failed_on, TODAY) in state.IN_FORCE
        assert state.in_force(next_due_on, last_verified_on, failed_on, TODAY) is expected


def test_past_due_needs_a_passed_due_date_and_no_failure() -> None:
    assert state.past_due(TODAY - timedelta(days=1), None, TODAY)
    assert not state.past_due(TODAY, None, TODAY)
    assert not state.past_due(None, None, TODAY)
    assert not state.past_due(TODAY - timedelta(days=1), LAST, TODAY)
