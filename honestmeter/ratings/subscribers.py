"""What the credit grade does when the domains below it say something happened (honestmeter.events).

This is the one place that maps those events to credit facts and rules (DESIGN §6); every handler runs inside the
emitter's transaction and ends with `grades.regrade`, so the grade (and its "credit_grade" record) changes with its
cause.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from honestmeter import events
from honestmeter.extensions import db
from honestmeter.lists.models import ListKind
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource
from honestmeter.ratings.penalties import records as penalty_records

ABNORMAL_RULE = facts.RESULT_RULES["10"]  # a 10 result and an 经营异常名录 listing share one capped rule
MODEL_UNIT_RULE = "model_unit"
COMPLAINT_RULE = "complaint_substantiated"
# 严重违法失信名单 has no points: the grade reads the listing itself and sets D.
LISTING_RULES: dict[str, str] = {ListKind.ABNORMAL: ABNORMAL_RULE, ListKind.MODEL_UNIT: MODEL_UNIT_RULE}


def on_state_changed(event: events.StateChanged) -> None:
    grades.regrade(event.merchant_id, cause=event.cause)


def on_result_published(event: events.ResultPublished) -> None:
    facts.add_result(
        event.merchant_id,
        event.task_id,
        event.checked_on,
        event.codes,
        event.item_results,
        ref=event.ref,
        follow_up_closed_on=event.follow_up_closed_on,
        unreachable_ended=event.unreachable_ended,
    )
    grades.regrade(event.merchant_id, cause=event.ref)


def on_follow_up_closed(event: events.FollowUpClosed) -> None:
    # The 09 deduction counts "until closed" (DESIGN §6).
    facts.end(
        FactSource.RESULT, event.task_id, event.closed_on, facts.FOLLOW_UP_CLOSED, rules=[facts.RESULT_RULES["09"]]
    )
    grades.regrade(event.merchant_id, cause=event.ref)


def _end_result_10(merchant_id: int, on: date, reason: str) -> None:
    """End the merchant's open 10 无法联系 result deductions: they count "while listed" (DESIGN §6), and a rejected
    proposal or a removed listing means the merchant can be reached. Every 10 of the merchant, not only the one that
    proposed: a second 10 while a proposal is pending proposes nothing new (`lists.services.propose`)."""
    task_ids = db.session.scalars(
        sa.select(CreditFact.source_id).where(
            CreditFact.merchant_id == merchant_id,
            CreditFact.source == FactSource.RESULT,
            CreditFact.rule == ABNORMAL_RULE,
            CreditFact.ended_on.is_(None),
        )
    ).all()
    for task_id in task_ids:
        facts.end(FactSource.RESULT, task_id, on, reason, rules=[ABNORMAL_RULE])


def on_entry_listed(event: events.EntryListed) -> None:
    rule = LISTING_RULES.get(event.kind)
    if rule is not None:
        facts.add(
            event.merchant_id,
            rule,
            event.listed_on,
            source=FactSource.LIST_ENTRY,
            source_id=event.entry_id,
            ref=event.ref,
        )
    grades.regrade(event.merchant_id, cause=event.ref)


def on_entry_removed(event: events.EntryRemoved) -> None:
    facts.end(FactSource.LIST_ENTRY, event.entry_id, event.on, event.reason)
    if event.from_result:
        # The 10 result that led to the listing counts "while listed": it ends with the listing.
        _end_result_10(event.merchant_id, event.on, event.reason)
    grades.regrade(event.merchant_id, cause=event.ref)


def on_listing_rejected(event: events.ListingRejected) -> None:
    if event.task_id is not None:
        facts.end(FactSource.RESULT, event.task_id, event.on, event.reason, rules=[ABNORMAL_RULE])
        _end_result_10(event.merchant_id, event.on, event.reason)
    grades.regrade(event.merchant_id, cause=event.ref)


def on_complaint_substantiated(event: events.ComplaintSubstantiated) -> None:
    facts.add(
        event.merchant_id,
        COMPLAINT_RULE,
        event.decided_on,
        source=FactSource.COMPLAINT,
        source_id=event.complaint_id,
        ref=event.ref,
    )
    grades.regrade(event.merchant_id, event.ref)


def on_merchant_changed(event: events.MerchantChanged) -> None:
    """Penalties and the grade embed the USCC; the grade's record is keyed by it, so a new code gets its own."""
    penalty_records.republish_for_merchant(event.merchant_id)
    grades.republish_for_merchant(event.merchant_id)


def subscribe(app: Flask) -> None:
    events.subscribe(app, events.StateChanged, on_state_changed)
    events.subscribe(app, events.ResultPublished, on_result_published)
    events.subscribe(app, events.FollowUpClosed, on_follow_up_closed)
    events.subscribe(app, events.EntryListed, on_entry_listed)
    events.subscribe(app, events.EntryRemoved, on_entry_removed)
    events.subscribe(app, events.ListingRejected, on_listing_rejected)
    events.subscribe(app, events.ComplaintSubstantiated, on_complaint_substantiated)
    events.subscribe(app, events.MerchantChanged, on_merchant_changed)
