"""Domain events: a domain says what happened, the domains above it react (DESIGN §2, issue 15).

A lower domain (merchants, instruments, commitments, inspections, lists, complaints) never calls the ones above it
(ratings, repairs): it emits an event, and each interested domain subscribes a handler in its `init_app`. Handlers
run synchronously, in subscription order, inside the emitter's transaction, so a fact, its regrade and their ledger
records commit (or roll back) together with the change that caused them. A handler's exception propagates to the
emitter and aborts its transaction, as a direct call would.

Subscriptions are kept per app (`app.extensions`), so a test app built without a domain has none of its handlers,
and building many apps in one process never doubles one; subscribing the same handler twice is a no-op.

Pure apart from `flask.current_app` (to find the running app's hub): no models, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "honestmeter.events"
E = TypeVar("E")
Handler = Callable[[Any], None]


# ---------------------------------------------------------------- the events


@dataclass(frozen=True)
class MerchantChanged:
    """A directory entry's public facts changed (a regulator's correction or a confirmed change request). Every
    domain whose public records embed the merchant's USCC or name republishes them (`ledger.publish` appends only
    what actually changed)."""

    merchant_id: int
    fields: frozenset[str]  # the public fields that changed (merchants.records.PUBLIC_FIELDS), e.g. {"uscc"}


@dataclass(frozen=True)
class StateChanged:
    """A merchant's commitments or instruments changed: state the credit grade reads directly, with no stored fact."""

    merchant_id: int
    cause: str  # the ledger record that changed, "type/id", e.g. "commitment/3"


@dataclass(frozen=True)
class TaskCompleted:
    """Every assigned inspector confirmed the same revision of a task's finding: it is completed (not yet public).
    Inspections' results part sets the publication deadline and opens the follow-up."""

    task_id: int


@dataclass(frozen=True)
class ResultPublished:
    """A spot-check result was published (its "inspection_result" record is written)."""

    merchant_id: int
    task_id: int
    checked_on: date
    codes: tuple[str, ...]
    item_results: Mapping[str, Mapping[str, str]] = field(hash=False)
    ref: str
    follow_up_closed_on: date | None  # a 09 whose follow-up was closed before publication
    unreachable_ended: tuple[date, str] | None  # a 10 whose listing proposal was already rejected or removed


@dataclass(frozen=True)
class FollowUpClosed:
    """The follow-up of a published 09 result was closed: it stops counting from `closed_on`."""

    merchant_id: int
    task_id: int
    closed_on: date
    ref: str


@dataclass(frozen=True)
class EntryListed:
    """A list entry became LISTED from `listed_on` (its "list_entry" record is written)."""

    merchant_id: int
    entry_id: int
    kind: str  # ListKind value
    listed_on: date
    ref: str


@dataclass(frozen=True)
class EntryRemoved:
    """A listing was removed from `on` (its "list_entry" record is written). `from_result`: an 经营异常名录 listing
    proposed by a 10 无法联系 result, whose deductions count only while listed."""

    merchant_id: int
    entry_id: int
    on: date
    reason: str
    from_result: bool
    ref: str


@dataclass(frozen=True)
class ListingRejected:
    """A regulator rejected the 经营异常名录 proposal of a 10 result: the merchant can be reached after all."""

    merchant_id: int
    entry_id: int
    task_id: int | None  # the result that proposed it
    on: date
    reason: str
    ref: str


@dataclass(frozen=True)
class ComplaintSubstantiated:
    """A complaint was decided substantiated (its "complaint" record is written)."""

    merchant_id: int
    complaint_id: int
    decided_on: date
    ref: str


@dataclass(frozen=True)
class ReplyApproving:
    """A merchant's reply to a published result is about to be approved. A domain above that has taken the result
    off the public record (credit repair) refuses by raising a DomainError, which aborts the approval."""

    merchant_id: int
    task_id: int


# ---------------------------------------------------------------- the hub


class Hub:
    """Handlers by event type, in subscription order."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}

    def subscribe(self, event_type: type, handler: Handler) -> None:
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    def handlers(self, event_type: type) -> tuple[Handler, ...]:
        return tuple(self._handlers.get(event_type, ()))

    def emit(self, event: object) -> None:
        for handler in self.handlers(type(event)):
            handler(event)


def hub(app: Flask) -> Hub:
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = Hub()
    return found


def subscribe(app: Flask, event_type: type[E], handler: Callable[[E], None]) -> None:
    """From a domain's `init_app`: call `handler(event)` whenever an `event_type` is emitted in this app."""
    hub(app).subscribe(event_type, handler)


def emit(event: object) -> None:
    """Run the running app's handlers for `event`, now, inside the caller's transaction."""
    found = current_app.extensions.get(EXTENSION)
    if found is not None:
        found.emit(event)
