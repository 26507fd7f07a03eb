"""Every merchant's grade at once (the nightly job, and after a new rule table): one set-based SQL pass.

Windows close and commitments and certificates run out without any event, so once a day every grade is
recomputed. At a million merchants that cannot be the pure core run a million times, so the pass is one SELECT that
states the scoring rules in SQL (the same on SQLite and PostgreSQL):

1. count, per merchant and rule, the stored credit facts that count today: started by today, not ended, and
   within the rule's window (`window_start(today, months) <= happened_on`, computed once per window in Python);
2. add the state facts of `grades.state_facts_many` (a covering commitment, overdue mandatory instruments,
   all mandatory instruments valid) as rows of the same shape;
3. points per (merchant, rule) = count × points, capped; score = base + their sum, clamped to 0..100; the grade
   from the cut-offs, then the list overrides (严重违法失信名单 → its grade; 经营异常名录 → at best its grade);
4. keep only merchants whose (grade, score, rule version) differs from what `merchants` holds.

Only for those, in chunks of CHUNK merchants and one transaction each, the pure core computes the reasons
(`grades.evaluate_many` from bulk-loaded facts) and the chunk writes `merchants`, `grade_changes` and the
"credit_grade" ledger records (when GRADES_PUBLIC). A merchant the pure core scores differently from SQL is logged
and counted (`Summary.mismatched`; the property tests hold it at 0) and stored as the pure core says, since the
stored reasons must add up to the stored score. A merchant whose grade an event changed since the SQL pass (rows
are locked and re-read per chunk) is left alone: its grade is newer than ours. So the pass is idempotent, a crash
loses nothing (the next run finishes the rest) and a second concurrent run writes nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.commitments.models import Commitment
from honestmeter.db import insert_plain, unit_of_work
from honestmeter.extensions import db
from honestmeter.instruments import state as instrument_state
from honestmeter.instruments.models import Instrument, InstrumentStatus, InstrumentType
from honestmeter.ledger import services as ledger
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, GradeChange, RuleTable
from honestmeter.ratings.rules import services as rule_tables
from honestmeter.scoring import MAX_SCORE, MIN_SCORE, Rule, RuleCode, RuleSet, window_start

log = logging.getLogger(__name__)

CHUNK = 1000  # merchants per write transaction: short locks, and a crash loses at most one chunk's work
NIGHTLY = "nightly"
GRADE_CHANGES = cast(sa.Table, GradeChange.__table__)
MERCHANTS = cast(sa.Table, Merchant.__table__)

Progress = Callable[[int, int], None]  # (merchants written so far, merchants to write)


@dataclass(frozen=True)
class Summary:
    changed: int  # merchants whose grade, score or rule version changed
    total: int  # merchants graded
    seconds: float
    mismatched: int = 0  # the pure core disagreed with SQL (should be 0; logged)
    skipped: int = 0  # changed by an event while the pass ran: left as the event set them

    def __str__(self) -> str:
        text = f"{self.changed} of {self.total} merchants changed in {self.seconds:.1f} s"
        if self.skipped:
            text += f", {self.skipped} left to newer event grades"
        if self.mismatched:
            text += f", {self.mismatched} SQL/pure-core mismatches (see the log)"
        return text


# ---------------------------------------------------------------- the SQL statement


def _code(code: str) -> sa.ColumnElement[str]:
    return sa.cast(sa.literal(code), sa.String(40))


def _one() -> sa.ColumnElement[int]:
    return sa.literal(1, sa.Integer)


def _capped(n: sa.ColumnElement[Any], rule: Rule) -> sa.ColumnElement[Any]:
    """n facts of a rule → its points: n × points, at most the cap (caps of deductions are floors)."""
    total = n * rule.points
    if rule.cap is None:
        return total
    if rule.cap > 0:
        return sa.case((total > rule.cap, rule.cap), else_=total)
    return sa.case((total < rule.cap, rule.cap), else_=total)


def _stored_counts(rules: RuleSet, today: date) -> sa.Select[Any]:
    """(merchant_id, rule, n) of the stored facts that count today."""
    open_ended = [r.code for r in rules.rules if r.window_months is None]
    by_window: dict[int, list[str]] = {}
    for r in rules.rules:
        if r.window_months is not None:
            by_window.setdefault(r.window_months, []).append(r.code)
    in_window = [CreditFact.rule.in_(open_ended)] + [
        sa.and_(CreditFact.rule.in_(codes), CreditFact.happened_on >= window_start(today, months))
        for months, codes in sorted(by_window.items())
    ]
    return (
        sa.select(
            CreditFact.merchant_id.label("merchant_id"), CreditFact.rule.label("rule"), sa.func.count().label("n")
        )
        .where(
            CreditFact.happened_on <= today,
            sa.or_(CreditFact.ended_on.is_(None), CreditFact.ended_on > today),
            sa.or_(*in_window),
        )
        .group_by(CreditFact.merchant_id, CreditFact.rule)
    )


def _state_counts(rules: RuleSet, today: date) -> list[sa.Select[Any]]:
    """(merchant_id, rule, n) of the state facts (grades.state_facts_many in SQL)."""
    codes = {r.code: r for r in rules.rules}
    parts: list[sa.Select[Any]] = []

    commitment = codes.get(RuleCode.COMMITMENT_VALID)
    if commitment is not None:
        # state_facts takes the earliest covering commitment: its fact starts on valid_from.
        covering = (
            sa.select(Commitment.merchant_id.label("merchant_id"), sa.func.min(Commitment.valid_from).label("since"))
            .where(
                Commitment.status.in_(grades.COVERING),
                Commitment.valid_from <= today,
                Commitment.valid_until >= today,
            )
            .group_by(Commitment.merchant_id)
            .subquery("covering")
        )
        part = sa.select(covering.c.merchant_id, _code(commitment.code), _one())
        if commitment.window_months is not None:
            part = part.where(covering.c.since >= window_start(today, commitment.window_months))
        parts.append(part)

    overdue_rule, valid_rule = codes.get(RuleCode.INSTRUMENT_OVERDUE), codes.get(RuleCode.INSTRUMENTS_ALL_VALID)
    if overdue_rule is not None or valid_rule is not None:
        valid = instrument_state.in_force_clause(today)
        overdue = instrument_state.past_due_clause(today)
        if overdue_rule is not None and overdue_rule.window_months is not None:
            # The overdue fact starts the day after the due date, so it is in the window from one day earlier.
            since = window_start(today, overdue_rule.window_months) - timedelta(days=1)
            overdue = sa.and_(overdue, Instrument.next_due_on >= since)
        mandatory = (
            sa.select(
                Instrument.merchant_id.label("merchant_id"),
                sa.func.count().label("n_total"),
                sa.func.sum(sa.case((valid, 1), else_=0)).label("n_valid"),
                sa.func.sum(sa.case((overdue, 1), else_=0)).label("n_overdue"),
            )
            .join(InstrumentType, Instrument.type_id == InstrumentType.id)
            .where(Instrument.status != InstrumentStatus.RETIRED, instrument_state.mandatory_clause())
            .group_by(Instrument.merchant_id)
            .subquery("mandatory")
        )
        if overdue_rule is not None:
            parts.append(
                sa.select(mandatory.c.merchant_id, _code(overdue_rule.code), mandatory.c.n_overdue).where(
                    mandatory.c.n_overdue > 0
                )
            )
        if valid_rule is not None:
            parts.append(
                sa.select(mandatory.c.merchant_id, _code(valid_rule.code), _one()).where(
                    mandatory.c.n_valid == mandatory.c.n_total
                )
            )
    return parts


def scores_query(rules: RuleSet, today: date) -> sa.Select[Any]:
    """Every merchant: (id, old_grade, old_score, old_version, score, grade) on `today` under `rules`."""
    counts = sa.union_all(_stored_counts(rules, today), *_state_counts(rules, today)).subquery("counts")
    per_rule = (
        sa.select(
            counts.c.merchant_id,
            counts.c.rule,
            sa.cast(sa.func.sum(counts.c.n), sa.Integer).label("n"),
        )
        .group_by(counts.c.merchant_id, counts.c.rule)
        .subquery("per_rule")
    )
    points = sa.case(*[(per_rule.c.rule == r.code, _capped(per_rule.c.n, r)) for r in rules.rules], else_=0)
    deltas = (
        sa.select(per_rule.c.merchant_id, sa.cast(sa.func.sum(points), sa.Integer).label("delta"))
        .group_by(per_rule.c.merchant_id)
        .subquery("deltas")
    )
    flags = (
        sa.select(
            ListEntry.merchant_id,
            sa.func.max(sa.case((ListEntry.kind == ListKind.SERIOUS, 1), else_=0)).label("serious"),
            sa.func.max(sa.case((ListEntry.kind == ListKind.ABNORMAL, 1), else_=0)).label("abnormal"),
        )
        .where(ListEntry.status == EntryStatus.LISTED)
        .group_by(ListEntry.merchant_id)
        .subquery("flags")
    )
    raw = rules.base + sa.func.coalesce(deltas.c.delta, 0)
    scored = (
        sa.select(
            Merchant.id.label("id"),
            Merchant.grade.label("old_grade"),
            Merchant.score.label("old_score"),
            Merchant.grade_rule_version.label("old_version"),
            sa.case((raw < MIN_SCORE, MIN_SCORE), (raw > MAX_SCORE, MAX_SCORE), else_=raw).label("score"),
            sa.func.coalesce(flags.c.serious, 0).label("serious"),
            sa.func.coalesce(flags.c.abnormal, 0).label("abnormal"),
        )
        .select_from(Merchant)
        .outerjoin(deltas, deltas.c.merchant_id == Merchant.id)
        .outerjoin(flags, flags.c.merchant_id == Merchant.id)
        .subquery("scored")
    )
    floors = dict(rules.cutoffs)
    # On 经营异常名录 the grade is at best abnormal_list_best: any score that would reach it gets exactly it.
    letter = sa.case(
        (scored.c.serious == 1, rules.serious_list_grade),
        (
            sa.and_(scored.c.abnormal == 1, scored.c.score >= floors[rules.abnormal_list_best]),
            rules.abnormal_list_best,
        ),
        *[(scored.c.score >= minimum, g) for g, minimum in rules.cutoffs[:-1]],
        else_=rules.cutoffs[-1][0],
    )
    return sa.select(
        scored.c.id,
        scored.c.old_grade,
        scored.c.old_score,
        scored.c.old_version,
        scored.c.score,
        letter.label("grade"),
    )


def changed_query(rules: RuleSet, today: date) -> sa.Select[Any]:
    """The merchants whose grade, score or rule version would change, by id."""
    every = scores_query(rules, today).subquery("every")
    return (
        sa.select(every)
        .where(
            sa.or_(
                every.c.old_grade.is_(None),
                every.c.old_score.is_(None),
                every.c.old_version.is_(None),
                every.c.old_version != rules.version,
                every.c.old_score != every.c.score,
                every.c.old_grade != every.c.grade,
            )
        )
        .order_by(every.c.id)
    )


# ---------------------------------------------------------------- writing the changed merchants


@dataclass(frozen=True)
class _Planned:
    id: int
    old: tuple[str | None, int | None, int | None]  # (grade, score, rule version) as the SQL pass read them
    score: int
    grade: str


@dataclass
class _Counts:
    changed: int = 0
    mismatched: int = 0
    skipped: int = 0


def _update_merchants(rows: list[dict[str, Any]], today: date, version: int) -> None:
    if not rows:
        return
    statement = (
        sa.update(MERCHANTS)
        .where(MERCHANTS.c.id == sa.bindparam("m_id"))
        .values(
            grade=sa.bindparam("m_grade"),
            score=sa.bindparam("m_score"),
            graded_on=today,
            grade_rule_version=version,
            updated_at=clock.utcnow(),
        )
    )
    db.session.execute(statement, rows)


def _write_chunk(chunk: Sequence[_Planned], rules: RuleSet, today: date, cause: str, counts: _Counts) -> None:
    planned = {p.id: p for p in chunk}
    with unit_of_work(db.session):
        current = db.session.execute(
            sa.select(Merchant.id, Merchant.uscc, Merchant.grade, Merchant.score, Merchant.grade_rule_version)
            .where(Merchant.id.in_(list(planned)))
            .order_by(Merchant.id)
            .with_for_update()  # PostgreSQL: an event's regrade waits for this chunk; SQLite holds the write lock
        ).all()
        fresh = [c for c in current if (c.grade, c.score, c.grade_rule_version) == planned[c.id].old]
        counts.skipped += len(current) - len(fresh)
        results = grades.evaluate_many([c.id for c in fresh], today, rules)
        now = clock.utcnow()
        updates: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        records: list[ledger.Record] = []
        for c in fresh:
            result, plan = results[c.id], planned[c.id]
            if (result.score, result.grade) != (plan.score, plan.grade):
                counts.mismatched += 1
                log.error(
                    "grade recompute: merchant %s scored %s %s in SQL but %s %s by the pure core",
                    c.id,
                    plan.score,
                    plan.grade,
                    result.score,
                    result.grade,
                )
            if (c.grade, c.score, c.grade_rule_version) == (result.grade, result.score, result.rule_version):
                continue
            updates.append({"m_id": c.id, "m_grade": result.grade, "m_score": result.score})
            data = grades.grade_data(c.uscc, result, today)
            changes.append(
                {
                    "merchant_id": c.id,
                    "grade": result.grade,
                    "score": result.score,
                    "previous_grade": c.grade,
                    "previous_score": c.score,
                    "reasons": data["reasons"],
                    "overrides": data["overrides"],
                }
            )
            records.append(ledger.Record(grades.RECORD_TYPE, c.uscc, data))
        _update_merchants(updates, today, rules.version)
        insert_plain(
            db.session, GRADE_CHANGES, changes, rule_version=rules.version, graded_on=today, at=now, cause=cause[:80]
        )
        if grades.grades_public():
            ledger.append_many(records, at=now)
        counts.changed += len(updates)


def recompute_all(today: date | None = None, *, progress: Progress | None = None, cause: str = NIGHTLY) -> Summary:
    """Recompute every merchant's grade on `today` under the rules in force; write only what changed."""
    started = time.perf_counter()
    today = today or clock.today()
    with unit_of_work(db.session):
        rule_tables.ensure_seeded()
    rules = rule_tables.current()
    with unit_of_work(db.session):
        total = int(db.session.scalar(sa.select(sa.func.count(Merchant.id))) or 0)
        planned = [
            _Planned(r.id, (r.old_grade, r.old_score, r.old_version), int(r.score), r.grade)
            for r in db.session.execute(changed_query(rules, today))
        ]
    if progress is not None:
        progress(0, len(planned))
    counts = _Counts()
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start : start + CHUNK]
        _write_chunk(chunk, rules, today, cause, counts)
        if progress is not None:
            progress(start + len(chunk), len(planned))
    summary = Summary(
        changed=counts.changed,
        total=total,
        seconds=time.perf_counter() - started,
        mismatched=counts.mismatched,
        skipped=counts.skipped,
    )
    log.info("grade recompute (%s): %s", cause, summary)
    return summary


# ---------------------------------------------------------------- scheduler entries


def nightly() -> str:
    """Scheduler entry (ratings.recompute): every grade, once a day and when the scheduler starts."""
    return str(recompute_all())


def stale_rule_version() -> int | None:
    """The version in force when some graded merchant still has an older one (a new table awaits its recompute)."""
    table = rule_tables.current_table()
    if table is None:
        return None
    behind = db.session.scalar(sa.select(Merchant.id).where(Merchant.grade_rule_version < table.version).limit(1))
    return None if behind is None else table.version


def rules_watch() -> str:
    """Scheduler entry (ratings.rules_watch): a newly published rule table is applied to every merchant within a
    minute, without holding the admin's request for the minutes a million merchants take."""
    version = stale_rule_version()
    db.session.commit()  # end the read transaction
    if version is None:
        return "rules in force applied"
    return str(recompute_all(cause=rule_tables.cause_of(version)))


# ---------------------------------------------------------------- publishing a rule table

# Publishing recomputes every grade in the admin's request only up to this many merchants (a second or two);
# beyond it the `ratings.rules_watch` job applies the new table within a minute (see docs/grading.md).
INLINE_RECOMPUTE_MAX = 5000


@dataclass(frozen=True)
class Published:
    table: RuleTable
    summary: Summary | None  # None: the rules_watch job applies it (too many merchants for one request)


def merchant_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Merchant.id))) or 0)


def publish_rules(body: dict[str, Any], note: str, by: User) -> Published:
    """Publish a new rule table version, then apply it to every merchant: right away when there are few, else within
    a minute through the `ratings.rules_watch` job."""
    table = rule_tables.publish_version(body, note, by)
    if merchant_count() > INLINE_RECOMPUTE_MAX:
        return Published(table, None)
    return Published(table, recompute_all(cause=rule_tables.cause_of(table.version)))
