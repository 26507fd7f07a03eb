"""The nightly set-based recompute: SQL equals the pure core (random worlds and window edges), only changes are
written (merchants, history, ledger), events meanwhile are respected, and a new rule table reaches everyone."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from honestmeter import clock
from honestmeter.commitments import services as commitment_services
from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.extensions import db
from honestmeter.instruments.models import Instrument, InstrumentStatus, InstrumentType, VerificationMode
from honestmeter.ledger import services as ledger
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource, GradeChange
from honestmeter.ratings.rules import services as rules
from honestmeter.scoring import DEFAULT_RULES, RuleSet, window_start
from tests.factories import MerchantFactory, UserFactory

TODAY = date(2026, 11, 23)
_source_ids = iter(range(700_000, 10**9))


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=4)  # noon in Shanghai


def add_fact(merchant_id: int, rule: str, on: date, ended_on: date | None = None) -> CreditFact:
    sid = next(_source_ids)
    fact = facts.add(merchant_id, rule, on, source=FactSource.COMPLAINT, source_id=sid, ref=f"complaint/{sid}")
    if ended_on is not None:
        facts.end(FactSource.COMPLAINT, sid, ended_on, "test")
    return fact


def template_id() -> int:
    commitment_services.seed_default_templates()
    template = commitment_services.current_template("retail")
    assert template is not None
    return template.id


def add_commitment(merchant_id: int, valid_from: date, valid_until: date, status: CommitmentStatus) -> Commitment:
    commitment = Commitment(
        merchant_id=merchant_id,
        template_id=template_id(),
        text_sha256="0" * 64,
        signer_name="张三",
        signer_title="店主",
        signed_at=at(valid_from),
        valid_from=valid_from,
        valid_until=valid_until,
        status=status,
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def type_id(mode: VerificationMode) -> int:
    found = db.session.scalar(sa.select(InstrumentType.id).where(InstrumentType.mode == mode).limit(1))
    assert found is not None
    return found


def add_instrument(merchant_id: int, **values: Any) -> Instrument:
    instrument = Instrument(
        merchant_id=merchant_id,
        type_id=values.pop("type_id", None) or type_id(VerificationMode.PV),
        serial_number=f"SN{next(_source_ids)}",
        **values,
    )
    db.session.add(instrument)
    db.session.flush()
    return instrument


def add_listing(merchant_id: int, kind: ListKind, status: EntryStatus = EntryStatus.LISTED) -> ListEntry:
    entry = ListEntry(
        kind=kind,
        merchant_id=merchant_id,
        status=status,
        reason="测试",
        authority="测试局",
        proposed_at=at(TODAY),
        listed_on=TODAY if status == EntryStatus.LISTED else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def sql_scores(rule_set: RuleSet, today: date) -> dict[int, tuple[int, str]]:
    return {r.id: (int(r.score), r.grade) for r in db.session.execute(recompute.scores_query(rule_set, today))}


def pure_scores(merchant_ids: list[int], rule_set: RuleSet, today: date) -> dict[int, tuple[int, str]]:
    return {m: (g.score, g.grade) for m, g in grades.evaluate_many(merchant_ids, today, rule_set).items()}


def assert_sql_is_pure_core(merchant_ids: list[int], rule_set: RuleSet, today: date) -> None:
    sql = sql_scores(rule_set, today)
    pure = pure_scores(merchant_ids, rule_set, today)
    differ = {m: (sql[m], pure[m]) for m in merchant_ids if sql[m] != pure[m]}
    assert differ == {}, f"SQL vs pure core on {today}: {differ}"


# ---------------------------------------------------------------- random worlds


def random_rules(rng: random.Random) -> RuleSet:
    """The default table with random numbers: windows on every kind of rule (state rules too), caps, cut-offs."""
    body = DEFAULT_RULES.to_json()
    for rule in body["rules"]:
        rule["points"] = rng.choice([-30, -7, -3, 2, 3, 10]) if rule["points"] else 0
        sign = 1 if rule["points"] > 0 else -1
        rule["cap"] = rng.choice([None, sign * rng.randint(1, 20)]) if rule["points"] else None
        rule["window_months"] = rng.choice([None, 1, 3, 12, 24, 36])
        rule["repair_after_months"] = None
    body["base"] = rng.randint(50, 90)
    top = rng.randint(80, 100)
    body["cutoffs"] = [
        {"grade": "A", "min": top},
        {"grade": "B", "min": top - rng.randint(5, 20)},
        {"grade": "C", "min": rng.randint(20, 40)},
        {"grade": "D", "min": 0},
    ]
    body["serious_list_grade"] = rng.choice("CD")
    body["abnormal_list_best"] = rng.choice("BC")
    body["version"] = rng.randint(2, 9)
    return RuleSet.from_json(body)


def random_world(rng: random.Random, today: date, merchants: int) -> list[int]:
    codes = [r.code for r in DEFAULT_RULES.rules]
    mandatory, voluntary = type_id(VerificationMode.PV), type_id(VerificationMode.P)
    ids = []

    def near() -> date:
        return today + timedelta(days=rng.randint(-1200, 40))

    for _ in range(merchants):
        merchant_id = MerchantFactory().id
        ids.append(merchant_id)
        for _ in range(rng.randint(0, 6)):
            on = near()
            ended = rng.choice([None, None, on + timedelta(days=rng.randint(0, 400)), today, today + timedelta(days=1)])
            add_fact(merchant_id, rng.choice(codes), on, ended)
        for _ in range(rng.choice([0, 0, 1, 2])):
            start = near()
            add_commitment(
                merchant_id,
                start,
                start + timedelta(days=rng.randint(0, 500)),
                rng.choice(list(CommitmentStatus)),
            )
        for _ in range(rng.choice([0, 1, 2, 3])):
            verified = rng.choice([None, near()])
            add_instrument(
                merchant_id,
                type_id=rng.choice([mandatory, mandatory, voluntary]),
                status=rng.choice([InstrumentStatus.IN_USE, InstrumentStatus.IN_USE, InstrumentStatus.RETIRED]),
                last_verified_on=verified,
                first_verified_on=verified,
                next_due_on=rng.choice([None, near(), today, today - timedelta(days=1)]),
                failed_on=rng.choice([None, None, None, near()]),
            )
        for _ in range(rng.choice([0, 0, 0, 1])):
            add_listing(merchant_id, rng.choice(list(ListKind)), rng.choice(list(EntryStatus)))
    return ids


@pytest.mark.parametrize("seed", range(4))
def test_sql_equals_the_pure_core_on_random_worlds(seed: int) -> None:
    rng = random.Random(seed)
    ids = random_world(rng, TODAY, merchants=25)
    assert_sql_is_pure_core(ids, DEFAULT_RULES, TODAY)
    for _ in range(3):
        rule_set = random_rules(rng)
        for today in (TODAY, TODAY - timedelta(days=rng.randint(1, 400)), date(2026, 2, 28), date(2024, 2, 29)):
            assert_sql_is_pure_core(ids, rule_set, today)


# ---------------------------------------------------------------- window edges


EDGE_DAYS = (date(2026, 3, 31), date(2026, 2, 28), date(2024, 2, 29), date(2025, 12, 31), date(2026, 11, 23))


@pytest.mark.parametrize("today", EDGE_DAYS, ids=str)
def test_window_edges_count_the_same_in_sql_and_the_pure_core(today: date) -> None:
    """Facts on each side of every window's first day, on today and tomorrow, ending today and tomorrow."""
    ids = []
    for rule in DEFAULT_RULES.rules:
        days = [today, today + timedelta(days=1), today - timedelta(days=400)]
        if rule.window_months is not None:
            first = window_start(today, rule.window_months)
            days += [first, first - timedelta(days=1), first + timedelta(days=1)]
        for on in days:
            for ended in (None, today, today + timedelta(days=1)):
                merchant_id = MerchantFactory().id
                ids.append(merchant_id)
                add_fact(merchant_id, rule.code, on, ended)
    for months in (1, 12, 24):
        due_first = window_start(today, months) - timedelta(days=1)
        for due in (due_first, due_first - timedelta(days=1), today - timedelta(days=1), today):
            merchant_id = MerchantFactory().id
            ids.append(merchant_id)
            add_instrument(merchant_id, last_verified_on=due, first_verified_on=due, next_due_on=due)
            add_commitment(
                merchant_id, due + timedelta(days=1), today + timedelta(days=months), CommitmentStatus.ACTIVE
            )
        body = DEFAULT_RULES.to_json()
        for r in body["rules"]:
            if r["code"] in ("instrument_overdue", "commitment_valid"):
                r["window_months"] = months
        assert_sql_is_pure_core(ids, RuleSet.from_json(body), today)
    assert_sql_is_pure_core(ids, DEFAULT_RULES, today)


def test_window_edge_vector_a_twelve_month_fact_stops_on_its_anniversary() -> None:
    merchant_id = MerchantFactory().id
    add_fact(merchant_id, "result_02", date(2025, 3, 10))
    assert sql_scores(DEFAULT_RULES, date(2026, 3, 9))[merchant_id] == (75, "B")
    assert sql_scores(DEFAULT_RULES, date(2026, 3, 10))[merchant_id] == (80, "B")
    # Month-end clamping: a 36-month fact of 2023-02-28 stops on 2026-02-28; one of 2024-02-29 on 2027-02-28.
    other = MerchantFactory().id
    add_fact(other, "cheating", date(2024, 2, 29))
    assert sql_scores(DEFAULT_RULES, date(2027, 2, 27))[other] == (50, "D")
    assert sql_scores(DEFAULT_RULES, date(2027, 2, 28))[other] == (80, "B")


# ---------------------------------------------------------------- what the pass writes


def test_first_pass_grades_everyone_then_writes_nothing() -> None:
    rng = random.Random(99)
    ids = random_world(rng, TODAY, merchants=12)
    with clock.frozen(at(TODAY)):
        first = recompute.recompute_all()
        assert (first.mismatched, first.skipped) == (0, 0)
        assert first.changed == first.total == db.session.scalar(sa.select(sa.func.count(Merchant.id)))
        again = recompute.recompute_all()
    assert again.changed == 0
    pure = pure_scores(ids, rules.current(), TODAY)
    for merchant_id in ids:
        merchant = db.session.get(Merchant, merchant_id)
        assert merchant is not None
        assert (merchant.score, merchant.grade) == pure[merchant_id]
        assert (merchant.graded_on, merchant.grade_rule_version) == (TODAY, 1)
        change = grades.latest_change(merchant_id)
        assert change is not None and change.cause == recompute.NIGHTLY
        assert sum(r["points"] for r in change.reasons) + DEFAULT_RULES.base == change.score or change.score in (0, 100)
        data = json.loads(ledger.latest_record(grades.RECORD_TYPE, merchant.uscc).canonical)["data"]  # type: ignore[union-attr]
        assert data == grades.record_data(merchant, change)


def test_a_window_closing_overnight_changes_only_that_merchant() -> None:
    quiet, closing = MerchantFactory(), MerchantFactory()
    add_fact(closing.id, "result_02", date(2025, 11, 23))  # counts until 2026-11-22, not on 11-23
    with clock.frozen(at(TODAY - timedelta(days=1))):
        recompute.recompute_all()
    assert (closing.score, quiet.score) == (75, 80)
    before = ledger.tree_size()
    with clock.frozen(at(TODAY)):
        summary = recompute.recompute_all()
    assert summary.changed == 1
    assert ledger.tree_size() == before + 1
    change = grades.latest_change(closing.id)
    assert change is not None
    assert (change.previous_score, change.score, change.reasons, change.graded_on) == (75, 80, [], TODAY)
    assert grades.latest_change(quiet.id).graded_on == TODAY - timedelta(days=1)  # type: ignore[union-attr]


def test_a_grade_an_event_changed_meanwhile_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = MerchantFactory()
    real = recompute._write_chunk

    def event_first(*args: Any, **kwargs: Any) -> None:
        add_fact(merchant.id, "cheating", TODAY)
        grades.regrade(merchant.id, "complaint/1")  # what an event does between the SQL pass and the write
        real(*args, **kwargs)

    monkeypatch.setattr(recompute, "_write_chunk", event_first)
    with clock.frozen(at(TODAY)):
        summary = recompute.recompute_all()
    assert (summary.changed, summary.skipped) == (0, 1)
    assert (merchant.score, merchant.grade) == (50, "D")
    assert [c.cause for c in grades.history(merchant.id)] == ["complaint/1"]


def test_grades_not_public_means_no_ledger_records(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    MerchantFactory()
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    with clock.frozen(at(TODAY)):
        rules.ensure_seeded()
        before = ledger.tree_size()
        summary = recompute.recompute_all()
    assert summary.changed >= 1
    assert ledger.tree_size() == before
    assert db.session.scalar(sa.select(sa.func.count(GradeChange.id))) == summary.changed


def test_a_new_rule_table_is_applied_by_the_watch_job_and_names_its_record() -> None:
    merchant = MerchantFactory()
    admin = UserFactory()
    with clock.frozen(at(TODAY)):
        recompute.recompute_all()
        assert recompute.stale_rule_version() is None
        assert recompute.rules_watch() == "rules in force applied"
        body = rules.current().to_json()
        body["base"] = 70
        table = rules.add_version(body, "基础分调整", admin.id)
        db.session.commit()
        assert recompute.stale_rule_version() == table.version
        recompute.rules_watch()
        assert recompute.stale_rule_version() is None
    assert (merchant.score, merchant.grade, merchant.grade_rule_version) == (70, "C", table.version)
    assert grades.latest_change(merchant.id).cause == f"rating_rules/{table.version}"  # type: ignore[union-attr]


def test_progress_reports_the_writes(capsys: pytest.CaptureFixture[str]) -> None:
    MerchantFactory.create_batch(3)
    seen: list[tuple[int, int]] = []
    with clock.frozen(at(TODAY)):
        recompute.recompute_all(progress=lambda done, total: seen.append((done, total)))
    total = seen[0][1]
    assert seen[0] == (0, total) and seen[-1] == (total, total) and total >= 3


def test_the_jobs_are_registered_and_point_at_the_recompute() -> None:
    from honestmeter.jobs import registry
    from honestmeter.jobs.scheduler import _resolve

    specs = {s.id: s for s in registry.specs()}
    nightly, watch = specs["ratings.recompute"], specs["ratings.rules_watch"]
    assert (nightly.trigger, nightly.trigger_args, nightly.run_at_start) == ("cron", {"hour": 1, "minute": 30}, True)
    assert (watch.trigger, watch.trigger_args) == ("interval", {"minutes": 1})
    assert _resolve(nightly.func) is recompute.nightly and _resolve(watch.func) is recompute.rules_watch
