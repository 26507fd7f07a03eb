"""Recording scored events as credit facts, inside the caller's transaction (the caller commits).

Domains call these when something scored happens or stops counting, then `grades.regrade(merchant_id, cause)`
so the grade changes in the same transaction as its cause. Adding the same (source, source_id, rule) twice is a
no-op, so republishing a result never counts it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.ratings.models import CreditFact, FactSource
from honestmeter.scoring import RuleCode


def add(merchant_id: int, rule: str, happened_on: date, *, source: FactSource, source_id: int, ref: str) -> CreditFact:
    """The fact for (source, source_id, rule), created if missing. `ref` names the ledger record that proves it."""
    existing = db.session.scalar(
        sa.select(CreditFact).where(
            CreditFact.source == source, CreditFact.source_id == source_id, CreditFact.rule == rule
        )
    )
    if existing is not None:
        return existing
    fact = CreditFact(
        merchant_id=merchant_id,
        rule=rule,
        happened_on=happened_on,
        source=source,
        source_id=source_id,
        ref=ref,
        created_at=clock.utcnow(),
    )
    db.session.add(fact)
    db.session.flush()
    return fact


# A published result's codes → the rules they trigger (DESIGN §6). 10 无法联系 counts like the abnormal listing it
# proposes (the two share one capped rule); lists.services ends it when the proposal is rejected.
RESULT_RULES: dict[str, str] = {
    "01": RuleCode.CHECK_CLEAN,
    "02": RuleCode.RESULT_02,
    "04": RuleCode.RESULT_04,
    "09": RuleCode.RESULT_09,
    "10": RuleCode.RESULT_10_OR_ABNORMAL,
    "13": RuleCode.RESULT_13,
    "14": RuleCode.RESULT_14,
}
CHEATING_ITEM = "JL-02"  # 计量器具作弊: a failed verdict is a cheating device or falsified data
CHEATING_RULE = RuleCode.CHEATING
FOLLOW_UP_CLOSED = "后续处理已结案"


def result_rules(codes: Iterable[str], item_results: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The rules a result with these codes and item verdicts triggers, in code order."""
    rules = [RESULT_RULES[c] for c in sorted(set(codes)) if c in RESULT_RULES]
    if (item_results.get(CHEATING_ITEM) or {}).get("verdict") == "fail":
        rules.append(CHEATING_RULE)
    return rules


def add_result(
    merchant_id: int,
    task_id: int,
    checked_on: date,
    codes: Iterable[str],
    item_results: Mapping[str, Mapping[str, str]],
    *,
    ref: str,
    follow_up_closed_on: date | None = None,
    unreachable_ended: tuple[date, str] | None = None,
) -> list[CreditFact]:
    """The facts of a published spot-check result (source: the task), inside the caller's transaction.

    What was decided between completion and publication already applies: a 09 whose follow-up was closed ends on
    the day it was closed, a 10 whose 经营异常名录 proposal was rejected (or listing removed) on that day
    (`lists.services.result_10_ended`)."""
    added = [
        add(merchant_id, rule, checked_on, source=FactSource.RESULT, source_id=task_id, ref=ref)
        for rule in result_rules(codes, item_results)
    ]
    if follow_up_closed_on is not None:
        end(FactSource.RESULT, task_id, follow_up_closed_on, FOLLOW_UP_CLOSED, rules=[RESULT_RULES["09"]])
    if unreachable_ended is not None:
        end(FactSource.RESULT, task_id, unreachable_ended[0], unreachable_ended[1], rules=[RESULT_RULES["10"]])
    return added


def end(source: FactSource, source_id: int, ended_on: date, reason: str, *, rules: Iterable[str] | None = None) -> int:
    """Stop the source's facts (all, or only `rules`) from `ended_on` on; facts already ended keep their end.

    Returns how many facts were ended."""
    query = (
        sa.update(CreditFact)
        .where(CreditFact.source == source, CreditFact.source_id == source_id, CreditFact.ended_on.is_(None))
        .values(ended_on=ended_on, end_reason=reason)
    )
    if rules is not None:
        query = query.where(CreditFact.rule.in_(list(rules)))
    return int(db.session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def for_merchant(merchant_id: int) -> list[CreditFact]:
    return list(
        db.session.scalars(
            sa.select(CreditFact)
            .where(CreditFact.merchant_id == merchant_id)
            .order_by(CreditFact.happened_on, CreditFact.id)
        )
    )
