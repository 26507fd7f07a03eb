"""A merchant's metrology credit grade: its facts gathered, scored by the pure core, and kept with its history.

`regrade(merchant_id, cause)` runs inside the caller's transaction right after a scored event, so the grade
changes with its cause. Only a changed grade or score writes a `GradeChange` row and a "credit_grade" ledger record
(one record per merchant, a new version per change), so every grade on a page names its rule version and can be
explained line by line from recorded facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.extensions import db
from honestmeter.instruments import state as instrument_state
from honestmeter.instruments.models import Instrument, InstrumentStatus, InstrumentType
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.lists.models import ListKind
from honestmeter.lists.queries import listed_kinds_many
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import CreditFact, GradeChange
from honestmeter.ratings.rules import services as rule_tables
from honestmeter.scoring import Fact, Grade, RuleCode, RuleSet, grade
from honestmeter.settings import settings
from honestmeter.tables import N_

RECORD_TYPE = "credit_grade"
# Commitments that cover a day: an early renewal leaves the old one RENEWED but still in force until it ends.
COVERING = (CommitmentStatus.ACTIVE, CommitmentStatus.RENEWED)
IN_CHUNK = 1000  # ids per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits


def grades_public() -> bool:
    return settings().GRADES_PUBLIC


# ---------------------------------------------------------------- gathering facts (one merchant or a chunk)


def _chunks(ids: Sequence[int], size: int = IN_CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def state_facts_many(merchant_ids: Sequence[int], today: date) -> dict[int, list[Fact]]:
    """Facts from the current state of commitments and instruments (not stored: they are true or not today).

    - commitment_valid: the earliest commitment covering today (active, or renewed early and still in force);
    - instrument_overdue: one per mandatory instrument in use past its due date (not counting one whose newest
      verification failed: it must not be used at all, which is the inspectors' business), from the day after;
    - instruments_all_valid: the merchant has mandatory instruments in use and every one is within its verification.
    The nightly recompute (recompute.py) states the same definitions in SQL; a property test holds them equal."""
    found: dict[int, list[Fact]] = {m: [] for m in merchant_ids}
    one_day = timedelta(days=1)
    for ids in _chunks(merchant_ids):
        commitments = db.session.execute(
            sa.select(Commitment.merchant_id, Commitment.id, Commitment.valid_from, Commitment.valid_until)
            .where(
                Commitment.merchant_id.in_(ids),
                Commitment.status.in_(COVERING),
                Commitment.valid_from <= today,
                Commitment.valid_until >= today,
            )
            .order_by(Commitment.merchant_id, Commitment.valid_from, Commitment.id)
        ).tuples()
        seen: set[int] = set()
        for merchant_id, commitment_id, valid_from, valid_until in commitments:
            if merchant_id not in seen:
                seen.add(merchant_id)
                found[merchant_id].append(
                    Fact(RuleCode.COMMITMENT_VALID, valid_from, valid_until + one_day, f"commitment/{commitment_id}")
                )
        rows = db.session.execute(
            sa.select(
                Instrument.merchant_id,
                Instrument.id,
                Instrument.next_due_on,
                Instrument.last_verified_on,
                Instrument.failed_on,
            )
            .join(InstrumentType)
            .where(
                Instrument.merchant_id.in_(ids),
                Instrument.status != InstrumentStatus.RETIRED,
                instrument_state.mandatory_clause(),
            )
            .order_by(Instrument.merchant_id, Instrument.id)
        ).tuples()
        by_merchant: dict[int, list[tuple[int, date | None, date | None, date | None]]] = {}
        for merchant_id, instrument_id, next_due_on, last_verified_on, failed_on in rows:
            by_merchant.setdefault(merchant_id, []).append((instrument_id, next_due_on, last_verified_on, failed_on))
        for merchant_id, mine in by_merchant.items():
            facts = found[merchant_id]
            all_valid = True
            for instrument_id, next_due_on, last_verified_on, failed_on in mine:
                if next_due_on is not None and instrument_state.past_due(next_due_on, failed_on, today):
                    ref = f"instrument/{instrument_id}"
                    facts.append(Fact(RuleCode.INSTRUMENT_OVERDUE, next_due_on + one_day, None, ref))
                if all_valid and not instrument_state.in_force(next_due_on, last_verified_on, failed_on, today):
                    all_valid = False
            if all_valid:
                refs = ",".join(str(m[0]) for m in mine)
                facts.append(Fact(RuleCode.INSTRUMENTS_ALL_VALID, today, None, f"instrument/{refs}"))
    return found


def state_facts(merchant_id: int, today: date) -> list[Fact]:
    return state_facts_many([merchant_id], today)[merchant_id]


def stored_facts_many(merchant_ids: Sequence[int], today: date | None = None) -> dict[int, list[Fact]]:
    """The merchants' credit facts; with `today`, only those that started by then and had not ended (the others
    cannot count, so the nightly pass does not load years of history for nothing)."""
    found: dict[int, list[Fact]] = {m: [] for m in merchant_ids}
    for ids in _chunks(merchant_ids):
        query = sa.select(
            CreditFact.merchant_id, CreditFact.rule, CreditFact.happened_on, CreditFact.ended_on, CreditFact.ref
        ).where(CreditFact.merchant_id.in_(ids))
        if today is not None:
            query = query.where(
                CreditFact.happened_on <= today, sa.or_(CreditFact.ended_on.is_(None), CreditFact.ended_on > today)
            )
        for merchant_id, rule, happened_on, ended_on, ref in db.session.execute(
            query.order_by(CreditFact.merchant_id, CreditFact.id)
        ).tuples():
            found[merchant_id].append(Fact(rule, happened_on, ended_on, ref))
    return found


def merchant_facts(merchant_id: int, today: date) -> list[Fact]:
    return stored_facts_many([merchant_id])[merchant_id] + state_facts(merchant_id, today)


def evaluate_many(merchant_ids: Sequence[int], today: date, rules: RuleSet | None = None) -> dict[int, Grade]:
    """The grades the merchants have on `today` (nothing is written): a few queries per chunk, then the pure core."""
    rules = rules or rule_tables.current()
    stored = stored_facts_many(merchant_ids, today)
    state = state_facts_many(merchant_ids, today)
    lists = listed_kinds_many(merchant_ids)
    return {
        m: grade(
            stored[m] + state[m],
            today,
            rules,
            serious_listed=ListKind.SERIOUS in lists[m],
            abnormal_listed=ListKind.ABNORMAL in lists[m],
        )
        for m in merchant_ids
    }


def evaluate(merchant_id: int, today: date | None = None) -> Grade:
    """The grade the merchant has on `today` under the rules in force (nothing is written)."""
    return evaluate_many([merchant_id], today or clock.today())[merchant_id]


# ---------------------------------------------------------------- writing


def reasons_json(result: Grade) -> list[dict[str, Any]]:
    return [
        {
            "rule": r.rule,
            "label": r.label,
            "points": r.points,
            "facts": [f.ref for f in r.facts],
            "until": None if r.until is None else r.until.isoformat(),
        }
        for r in result.reasons
    ]


def overrides_json(result: Grade) -> list[dict[str, Any]]:
    return [{"message": o.message, "grade": o.grade} for o in result.overrides]


def grade_data(
    uscc: str,
    result: Grade,
    graded_on: date,
) -> dict[str, Any]:
    """The public "credit_grade" record of a grade (id = USCC): everything needed to explain it line by line."""
    return {
        "uscc": uscc,
        "grade": result.grade,
        "score": result.score,
        "rule_version": result.rule_version,
        "graded_on": graded_on.isoformat(),
        "reasons": reasons_json(result),
        "overrides": overrides_json(result),
    }


def record_data(merchant: Merchant, change: GradeChange) -> dict[str, Any]:
    return {
        "uscc": merchant.uscc,
        "grade": change.grade,
        "score": change.score,
        "rule_version": change.rule_version,
        "graded_on": change.graded_on.isoformat(),
        "reasons": change.reasons,
        "overrides": change.overrides,
    }


def apply(merchant: Merchant, result: Grade, cause: str, today: date) -> GradeChange | None:
    """Store `result` as the merchant's grade if it differs from the current one; the history row and ledger record."""
    if (merchant.grade, merchant.score, merchant.grade_rule_version) == (
        result.grade,
        result.score,
        result.rule_version,
    ):
        return None
    change = GradeChange(
        merchant_id=merchant.id,
        grade=result.grade,
        score=result.score,
        previous_grade=merchant.grade,
        previous_score=merchant.score,
        rule_version=result.rule_version,
        reasons=reasons_json(result),
        overrides=overrides_json(result),
        graded_on=today,
        at=clock.utcnow(),
        cause=cause[:80],
    )
    merchant.grade, merchant.score = result.grade, result.score
    merchant.graded_on, merchant.grade_rule_version = today, result.rule_version
    db.session.add(change)
    db.session.flush()
    if grades_public():
        ledger.append(ledger.Record(RECORD_TYPE, merchant.uscc, record_data(merchant, change)))
    return change


def regrade(merchant_id: int, cause: str) -> GradeChange | None:
    """Recompute one merchant's grade inside the caller's transaction; the change, or None if it stayed the same."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        return None
    today = clock.today()
    return apply(merchant, evaluate(merchant_id, today), cause, today)


# ---------------------------------------------------------------- reading


def latest_change(merchant_id: int) -> GradeChange | None:
    return db.session.scalars(
        sa.select(GradeChange).where(GradeChange.merchant_id == merchant_id).order_by(GradeChange.id.desc())
    ).first()


def history(merchant_id: int) -> list[GradeChange]:
    return list(
        db.session.scalars(
            sa.select(GradeChange).where(GradeChange.merchant_id == merchant_id).order_by(GradeChange.id.desc())
        )
    )


# What a reason's fact refs ("type/id", "instrument/3,4") name, for the grade card.
REF_LABELS: dict[str, str] = {
    "inspection_result": N_("抽查检查结果"),
    "commitment": N_("诚信计量承诺书"),
    "instrument": N_("计量器具"),
    "list_entry": N_("名录记录"),
    "penalty": N_("行政处罚"),
    "complaint": N_("投诉举报"),
}


CAUSE_LABELS: dict[str, str] = {
    **REF_LABELS,
    "nightly": N_("每日重算"),
    "rating_rules": N_("评级规则修订"),
    "credit_repair": N_("信用修复"),
}


def cause_label(cause: str) -> tuple[str, str]:
    """A grade change's cause as (label msgid, record id or ""), e.g. ("抽查检查结果", "12")."""
    kind, _, record_id = cause.partition("/")
    return CAUSE_LABELS.get(kind, kind), record_id


@dataclass(frozen=True)
class FactLink:
    """One record a reason rests on: its type, id and the leaf of its newest ledger record (None: not public)."""

    type: str
    id: str
    leaf_hash: str | None

    @property
    def label(self) -> str:
        return REF_LABELS.get(self.type, self.type)


def split_ref(ref: str) -> list[tuple[str, str]]:
    kind, _, ids = ref.partition("/")
    return [(kind, i) for i in ids.split(",") if i]


def fact_links(refs: Iterable[str]) -> dict[str, list[FactLink]]:
    """ref → the records it names, each with its newest leaf hash, in a few queries (one per record type)."""
    refs = list(dict.fromkeys(refs))
    wanted: dict[str, set[str]] = {}
    for ref in refs:
        for kind, record_id in split_ref(ref):
            wanted.setdefault(kind, set()).add(record_id)
    leaves: dict[tuple[str, str], tuple[int, bytes]] = {}
    for kind, ids in wanted.items():
        id_list = sorted(ids)
        for start in range(0, len(id_list), IN_CHUNK):
            rows = db.session.execute(
                sa.select(LedgerEntry.record_id, LedgerEntry.version, LedgerEntry.leaf_hash).where(
                    LedgerEntry.record_type == kind, LedgerEntry.record_id.in_(id_list[start : start + IN_CHUNK])
                )
            )
            for record_id, version, leaf in rows:
                key = (kind, record_id)
                if key not in leaves or version > leaves[key][0]:
                    leaves[key] = (version, leaf)
    return {
        ref: [
            FactLink(kind, record_id, leaves[(kind, record_id)][1].hex() if (kind, record_id) in leaves else None)
            for kind, record_id in split_ref(ref)
        ]
        for ref in refs
    }


def republish_for_merchant(merchant_id: int) -> None:
    """The merchant's grade as its newest change holds it, under its current USCC: the record's id is the USCC, so
    after a confirmed change of code the grade is published afresh under the new one (the old id's versions stay in
    the log as they were, and no row projects to it any more)."""
    merchant = db.session.get(Merchant, merchant_id)
    change = latest_change(merchant_id)
    if merchant is not None and change is not None and grades_public():
        ledger.publish(ledger.Record(RECORD_TYPE, merchant.uscc, record_data(merchant, change)))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each graded merchant's newest change, as its "credit_grade" record holds it (ledger audit input)."""
    if not grades_public():
        return
    newest = sa.select(sa.func.max(GradeChange.id)).group_by(GradeChange.merchant_id).scalar_subquery()
    query = (
        sa.select(GradeChange, Merchant)
        .join(Merchant, Merchant.id == GradeChange.merchant_id)
        .where(GradeChange.id.in_(newest))
        .order_by(GradeChange.merchant_id)
    )
    for change, merchant in db.session.execute(query):
        yield merchant.uscc, record_data(merchant, change)
