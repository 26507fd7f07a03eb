"""Public transparency statistics (issue 7): what the supervision did, in numbers anyone may see.

Only public facts, and only as counts: commitments in force and signed, spot-check plans, draws and tasks, published
results by code and kind, whether they were published within their deadline, complaints received and decided (never
who complained), and the grade distribution while grades are published (GRADES_PUBLIC).

Every figure is one aggregate query (GROUP BY in the database; a few hundred rows at most reach Python). Some must
read a whole large table whatever the indexes (merchants in business, commitments covering today, the grade
distribution, signatures by month): 1–2 s together at 1 M merchants on PostgreSQL on the shared 2-core machine. So
`figures()` keeps its result per process for TRANSPARENCY_CACHE_SECONDS (300 by default; 0 when testing unless set),
computes it once when it expires however many requests wait, and the page says when it was computed.

Months and days are China Standard Time, as the regulators' calendar (clock.today); in SQL through
honestmeter.chinatime_sql (a fixed +8 hours, equal to Asia/Shanghai since 1991, no time-zone database in SQLite).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from honestmeter import clock
from honestmeter.chinatime import add_months, china_date, china_midnight
from honestmeter.chinatime_sql import ChinaDate, ChinaMonth, args
from honestmeter.commitments.models import Commitment
from honestmeter.complaints.models import DECIDED, Complaint, ComplaintCategory, ComplaintStatus
from honestmeter.console.queries import Chart, grade_distribution, months_back
from honestmeter.extensions import db
from honestmeter.inspections.codes import PROBLEM_CODES, RESULT_CODES
from honestmeter.inspections.models import Draw, DrawStatus, Finding, Plan, PlanStatus, Task, TaskKind, TaskStatus
from honestmeter.inspections.results import publication
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.ratings.grades import services as grades
from honestmeter.settings import settings
from honestmeter.tables import N_

FIRST_YEAR = 2000  # ?year= below this (or after this year) is ignored
CACHE_SECONDS = 300
DONE = (TaskStatus.COMPLETED, TaskStatus.PUBLISHED)  # every inspector confirmed the finding
KINDS = tuple(TaskKind)

SUBSTANTIATED, UNSUBSTANTIATED, OPEN = "substantiated", "unsubstantiated", "open"
OUTCOMES: dict[str, str] = {SUBSTANTIATED: N_("属实"), UNSUBSTANTIATED: N_("不属实"), OPEN: N_("核查中")}


# ---------------------------------------------------------------- SQL, per backend (China time: chinatime_sql)


class DaysBetween(FunctionElement[float]):
    """Days (with fractions) from the first timestamp column to the second."""

    type = sa.Float()
    name = "days_between"
    inherit_cache = True


@compiles(DaysBetween, "postgresql")
def _days_between_pg(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = args(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(DaysBetween, "sqlite")
def _days_between_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = args(element, compiler, **kw)
    return f"(julianday({end}) - julianday({start}))"


# ---------------------------------------------------------------- the figures


@dataclass(frozen=True)
class Period:
    """The months the page covers: the last twelve (this one included), or one calendar year up to this month."""

    year: int | None
    months: tuple[date, ...]  # first days, oldest first

    @classmethod
    def of(cls, year: int | None, today: date) -> Period:
        if year is None:
            return cls(None, tuple(months_back(today)))
        last = 12 if year < today.year else today.month
        return cls(year, tuple(date(year, m, 1) for m in range(1, last + 1)))

    @property
    def start(self) -> date:
        return self.months[0]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.months[-1], 1)

    @property
    def labels(self) -> list[str]:
        return [f"{m.year}-{m.month:02d}" for m in self.months]

    def index(self, month: str) -> int | None:
        """Where a "YYYY-MM" falls in the period, or None."""
        try:
            return self.labels.index(month)
        except ValueError:
            return None


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


@dataclass(frozen=True)
class CommitmentFigures:
    active_merchants: int  # merchants in business (在营)
    in_force: int  # … of them with a commitment covering today
    first: list[int]  # first signatures per month of the period
    renewals: list[int]  # renewals per month

    @property
    def share(self) -> float | None:
        return _share(self.in_force, self.active_merchants)

    @property
    def signed(self) -> int:
        return sum(self.first) + sum(self.renewals)


@dataclass
class YearChecks:
    """One year's 双随机 spot checks (the plans' year): plans approved, draws held, tasks drawn and where they are."""

    year: int
    plans: int = 0
    draws: int = 0
    drawn: int = 0
    done: int = 0  # completed: confirmed by every inspector (published ones included)
    published: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class ResultFigures:
    """Results published in the period, per task kind; per code, the results carrying it (one result may carry two)."""

    by_kind: dict[TaskKind, int]
    by_code: dict[str, dict[TaskKind, int]]
    with_problem: int  # results with any problem code (02, 04, 09, 13, 14)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def random(self) -> int:
        return self.by_kind[TaskKind.RANDOM]

    @property
    def directed(self) -> int:
        """Directed checks, complaint checks and re-inspections."""
        return self.total - self.random


@dataclass(frozen=True)
class Timeliness:
    """Results published in the period, within their deadline or after it, per month; and those overdue today."""

    on_time: list[int]
    late: list[int]
    overdue_now: int  # completed, deadline passed, still not published
    deadline_days: int  # the default working days (a plan may set its own)

    @property
    def published(self) -> int:
        return sum(self.on_time) + sum(self.late)

    @property
    def share(self) -> float | None:
        return _share(sum(self.on_time), self.published)


@dataclass(frozen=True)
class ComplaintFigures:
    """Complaints received in the period per category and outcome, and how long the decided ones took."""

    by_category: dict[ComplaintCategory, dict[str, int]]
    mean_days: float | None  # submission to decision, over the decided ones

    def _sum(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.by_category.values())

    @property
    def substantiated(self) -> int:
        return self._sum(SUBSTANTIATED)

    @property
    def unsubstantiated(self) -> int:
        return self._sum(UNSUBSTANTIATED)

    @property
    def open(self) -> int:
        return self._sum(OPEN)

    @property
    def decided(self) -> int:
        return self.substantiated + self.unsubstantiated

    @property
    def received(self) -> int:
        return self.decided + self.open


@dataclass(frozen=True)
class Figures:
    period: Period
    computed_at: datetime
    years: list[int]  # the years the page can be filtered by, newest first
    commitments: CommitmentFigures
    checks: list[YearChecks]  # oldest year first
    results: ResultFigures
    timeliness: Timeliness
    complaints: ComplaintFigures
    grades: Chart | None  # labels and series label untranslated; None while grades are not public


# ---------------------------------------------------------------- queries


def commitment_coverage(today: date) -> tuple[int, int]:
    """(merchants in business, those with a commitment covering today).

    "Covering" is the grading rule (ratings.grades.state_facts_many, ratings.recompute): an active commitment, or
    one renewed early and still running, whose validity includes today. It differs from `current_commitment` only
    for an active commitment past its last day that the nightly expiry has not reached yet: not counted here."""
    active = sa.select(sa.func.count(Merchant.id)).where(Merchant.status == MerchantStatus.ACTIVE)
    covering = sa.exists().where(
        Commitment.merchant_id == Merchant.id,
        Commitment.status.in_(grades.COVERING),
        Commitment.valid_from <= today,
        Commitment.valid_until >= today,
    )
    # A semi-join (EXISTS) rather than a join on DISTINCT ids: PostgreSQL hashes the covering commitments once.
    return int(db.session.scalar(active) or 0), int(db.session.scalar(active.where(covering)) or 0)


def signatures_by_month(period: Period) -> tuple[list[int], list[int]]:
    """(first signatures, renewals) per month of the period, by the day they were signed."""
    month = ChinaMonth(Commitment.signed_at)
    first = Commitment.renews_id.is_(None)
    rows = db.session.execute(
        sa.select(month, first, sa.func.count(Commitment.id))
        .where(Commitment.signed_at >= china_midnight(period.start), Commitment.signed_at < china_midnight(period.end))
        .group_by(month, first)
    ).all()
    firsts, renewals = [0] * len(period.months), [0] * len(period.months)
    for label, is_first, n in rows:
        i = period.index(label)
        if i is not None:
            (firsts if is_first else renewals)[i] += int(n)
    return firsts, renewals


def checks_by_year(year: int | None = None) -> list[YearChecks]:
    """Per plan year (or for `year`): approved plans, draws held, random tasks drawn, done, published, cancelled.

    Directed checks are not here: nothing about one is public before its result is (announcing it would warn the
    merchant); their published results are counted by `published_results`."""
    plans = sa.select(Plan.year, sa.func.count(Plan.id)).where(Plan.status != PlanStatus.DRAFT).group_by(Plan.year)
    draws = (
        sa.select(Plan.year, sa.func.count(Draw.id))
        .join(Plan, Plan.id == Draw.plan_id)
        .where(Draw.status == DrawStatus.DRAWN)
        .group_by(Plan.year)
    )
    tasks = (
        sa.select(Plan.year, Task.status, sa.func.count(Task.id))
        .join(Plan, Plan.id == Task.plan_id)
        .where(Task.kind == TaskKind.RANDOM)
        .group_by(Plan.year, Task.status)
    )
    if year is not None:
        plans, draws, tasks = (
            plans.where(Plan.year == year),
            draws.where(Plan.year == year),
            tasks.where(Plan.year == year),
        )
    found: dict[int, YearChecks] = {}

    def of(y: int) -> YearChecks:
        return found.setdefault(y, YearChecks(y))

    for y, n in db.session.execute(plans):
        of(y).plans = int(n)
    for y, n in db.session.execute(draws):
        of(y).draws = int(n)
    for y, status, n in db.session.execute(tasks):
        row = of(y)
        row.drawn += int(n)
        row.done += int(n) if status in DONE else 0
        row.published += int(n) if status == TaskStatus.PUBLISHED else 0
        row.cancelled += int(n) if status == TaskStatus.CANCELLED else 0
    if year is not None and not found:
        of(year)
    return [found[y] for y in sorted(found)]


def _published_in(period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(
        Task.status == TaskStatus.PUBLISHED,
        Task.published_at >= china_midnight(period.start),
        Task.published_at < china_midnight(period.end),
    )


def published_results(period: Period) -> ResultFigures:
    """Results published in the period, per kind and per result code.

    A finding's codes are a JSON list, which neither database groups portably as JSON: grouped by its text (always
    written sorted by `validate_codes`), as the dashboard's findings charts do, and the codes counted here."""
    codes = sa.cast(Finding.result_codes, sa.Text)
    rows = db.session.execute(
        sa.select(Task.kind, codes, sa.func.count(Task.id))
        .join(Finding, Finding.task_id == Task.id)
        .where(_published_in(period))
        .group_by(Task.kind, codes)
    ).all()
    by_kind = dict.fromkeys(KINDS, 0)
    by_code = {code: dict.fromkeys(KINDS, 0) for code in RESULT_CODES}
    with_problem = 0
    for kind, text, n in rows:
        found = set(json.loads(text) if isinstance(text, str) else text or ())
        by_kind[TaskKind(kind)] += int(n)
        for code in found & set(RESULT_CODES):
            by_code[code][TaskKind(kind)] += int(n)
        with_problem += int(n) if found & PROBLEM_CODES else 0
    return ResultFigures(by_kind, by_code, with_problem)


def publication_timeliness(period: Period, today: date) -> Timeliness:
    """Results published in the period, per month of publication: on time when published (China date) by the
    deadline, the rule of their "inspection_result" record's `on_time`; and results overdue today, not yet public."""
    month = ChinaMonth(Task.published_at)
    on_time = sa.or_(Task.publish_deadline.is_(None), ChinaDate(Task.published_at) <= Task.publish_deadline)
    rows = db.session.execute(
        sa.select(month, on_time, sa.func.count(Task.id)).where(_published_in(period)).group_by(month, on_time)
    ).all()
    timely, late = [0] * len(period.months), [0] * len(period.months)
    for label, in_time, n in rows:
        i = period.index(label)
        if i is not None:
            (timely if in_time else late)[i] += int(n)
    return Timeliness(
        on_time=timely,
        late=late,
        overdue_now=publication.overdue_count(today),
        deadline_days=settings().PUBLISH_WORKING_DAYS,
    )


def complaints(period: Period) -> ComplaintFigures:
    """Complaints submitted in the period, per category: substantiated, unsubstantiated, still being verified."""
    days = DaysBetween(Complaint.submitted_at, Complaint.decided_at)
    rows = db.session.execute(
        sa.select(
            Complaint.category,
            Complaint.status,
            sa.func.count(Complaint.id),
            sa.func.count(Complaint.decided_at),
            sa.func.sum(days),
        )
        .where(
            Complaint.submitted_at >= china_midnight(period.start),
            Complaint.submitted_at < china_midnight(period.end),
        )
        .group_by(Complaint.category, Complaint.status)
    ).all()
    by_category = {c: dict.fromkeys(OUTCOMES, 0) for c in ComplaintCategory}
    timed, total_days = 0, 0.0
    for category, value, n, with_date, day_sum in rows:
        status = ComplaintStatus(value)
        outcome = status.value if status in DECIDED else OPEN
        by_category[ComplaintCategory(category)][outcome] += int(n)
        if status in DECIDED and day_sum is not None:
            timed += int(with_date)
            total_days += float(day_sum)
    return ComplaintFigures(by_category, total_days / timed if timed else None)


def years_with_data(today: date) -> list[int]:
    """Newest first: from the first year with an approved plan, a published result or a complaint, to this one."""
    first_plan = db.session.scalar(sa.select(sa.func.min(Plan.year)).where(Plan.status != PlanStatus.DRAFT))
    moments = [
        db.session.scalar(sa.select(sa.func.min(Task.published_at)).where(Task.status == TaskStatus.PUBLISHED)),
        db.session.scalar(sa.select(sa.func.min(Complaint.submitted_at))),
    ]
    starts = [today.year, *([first_plan] if first_plan else [])]
    starts += [china_date(m).year for m in moments if m is not None]
    return list(range(today.year, max(min(starts), FIRST_YEAR) - 1, -1))


def compute(year: int | None, today: date) -> Figures:
    """Every figure of the page (uncached)."""
    period = Period.of(year, today)
    active, in_force = commitment_coverage(today)
    first, renewals = signatures_by_month(period)
    return Figures(
        period=period,
        computed_at=clock.utcnow(),
        years=years_with_data(today),
        commitments=CommitmentFigures(active, in_force, first, renewals),
        checks=checks_by_year(year),
        results=published_results(period),
        timeliness=publication_timeliness(period, today),
        complaints=complaints(period),
        grades=grade_distribution() if grades.grades_public() else None,
    )


# ---------------------------------------------------------------- the cache

_cache: dict[tuple[int | None, date, bool], tuple[float, Figures]] = {}
_cache_lock = threading.Lock()
# One computation at a time per process: when the figures expire under load, the other threads wait for the first
# one's result instead of each scanning the same million rows.
_compute_lock = threading.Lock()


def cache_seconds() -> int:
    configured = settings().TRANSPARENCY_CACHE_SECONDS
    if configured is None:
        return 0 if current_app.testing else CACHE_SECONDS
    return int(configured)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def figures(year: int | None = None) -> Figures:
    """The page's figures for `year` (None: the last twelve months), reused for `cache_seconds()` in this process.

    The key holds today's date (so the twelve months move at midnight) and whether grades are public."""
    today = clock.today()
    ttl = cache_seconds()
    if ttl <= 0:
        return compute(year, today)
    key = (year, today, grades.grades_public())
    if (hit := _cached(key, ttl)) is not None:
        return hit
    with _compute_lock:
        if (hit := _cached(key, ttl)) is not None:  # computed while this thread waited
            return hit
        found = compute(year, today)
        now = time.monotonic()
        with _cache_lock:
            for stale in [k for k, (at, _) in _cache.items() if now - at >= ttl or k[1] != today]:
                del _cache[stale]
            _cache[key] = (now, found)
    return found


def _cached(key: tuple[int | None, date, bool], ttl: int) -> Figures | None:
    with _cache_lock:
        hit = _cache.get(key)
    return hit[1] if hit is not None and time.monotonic() - hit[0] < ttl else None
