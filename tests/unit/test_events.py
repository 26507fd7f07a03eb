"""The event hub: handlers in subscription order, each once, per app."""

from __future__ import annotations

from datetime import date

from flask import Flask

from honestmeter import events


def test_handlers_run_in_order_once_and_only_for_their_app() -> None:
    seen: list[str] = []

    def first(event: events.StateChanged) -> None:
        seen.append(f"first {event.cause}")

    def second(event: events.StateChanged) -> None:
        seen.append(f"second {event.cause}")

    app, other = Flask("a"), Flask("b")
    for handler in (first, second, first):  # a second create_app subscribes again: no double
        events.subscribe(app, events.StateChanged, handler)
    with app.app_context():
        events.emit(events.StateChanged(1, "commitment/3"))
        events.emit(events.EntryRemoved(1, 2, date(2026, 11, 20), "", False, "list_entry/2"))  # no handler
    with other.app_context():
        events.emit(events.StateChanged(1, "commitment/4"))  # nothing subscribed in this app
    assert seen == ["first commitment/3", "second commitment/3"]
