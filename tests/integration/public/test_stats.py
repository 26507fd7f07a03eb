"""The transparency statistics' queries (honestmeter.public.stats), each against seeded rows on the backend under
test: which rows count, China-time month and day boundaries, and the per-process cache."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from honestmeter import chinatime, clock
from honestmeter.commitments import services as commitment_services
from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from honestmeter.extensions import db
from honestmeter.inspections.models import (
    Draw,
    DrawStatus,
    Inspector,
    Plan,
    PlanStatus,
    Task,
    TaskKind,
    TaskStatus,
)
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.public import stats, stats_charts
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory, TaskFactory, completed

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 11, 23)
LAST_12 = stats.Period.of(None, TODAY)  # 2025-12 … 2026-11
_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def _tmp_complaints_table() -> None:  # TEMP until the complaints migration lands
    Complaint.__table__.create(db.session.connection(), checkfirst=True)


@pytest.fixture(autouse=True)
def _frozen(_tmp_complaints_table: None) -> Iterator[None]:
    stats.clear_cache()
    with clock.frozen(NOW):
        yield
    stats.clear_cache()


# ---------------------------------------------------------------- builders (the functional tests use them too)


def china(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment given in Shanghai time, as the aware UTC datetime the database holds."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=chinatime.CHINA).astimezone(UTC)


def add_commitment(
    merchant: Merchant,
    valid_from: date,
    *,
    status: CommitmentStatus = CommitmentStatus.ACTIVE,
    valid_until: date | None = None,
    signed_at: datetime | None = None,
    renews: Commitment | None = None,
) -> Commitment:
    commitment_services.seed_default_templates()
    template = commitment_services.current_template(merchant.sector_code)
    assert template is not None
    commitment = Commitment(
        merchant_id=merchant.id,
        template_id=template.id,
        text_sha256=template.text_sha256,
        signer_name="张三",
        signer_title="店主",
        signed_at=signed_at or china(valid_from, 9),
        valid_from=valid_from,
        valid_until=valid_until or valid_from + timedelta(days=364),
        status=status,
        renews_id=None if renews is None else renews.id,
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def add_draw(plan: Plan, sequence: int = 1, status: DrawStatus = DrawStatus.DRAWN) -> Draw:
    draw = Draw(
        plan_id=plan.id,
        sequence=sequence,
        status=status,
        announcement={},
        announcement_hash=b"\0" * 32,
        secret=b"s",
        beacon="anchor-block-hash",
        announced_at=china(date(plan.year, 3, 1)),
        revealed_at=None if status == DrawStatus.ANNOUNCED else china(date(plan.year, 3, 2)),
    )
    db.session.add(draw)
    db.session.flush()
    return draw


def add_random_tasks(draw: Draw, statuses: Sequence[TaskStatus], inspectors: list[Inspector]) -> list[Task]:
    return [
        TaskFactory(kind=TaskKind.RANDOM, plan_id=draw.plan_id, draw_id=draw.id, status=s, inspectors=inspectors)
        for s in statuses
    ]


def publish(
    codes: Sequence[str],
    *,
    published_at: datetime,
    deadline: date | None = None,
    kind: TaskKind = TaskKind.DIRECTED,
    inspectors: list[Inspector] | None = None,
    **task: object,
) -> Task:
    """A published result with `codes`, its deadline 20 days after by default."""
    extra = {"inspectors": inspectors} if inspectors else {}
    found = completed(codes, kind=kind, **extra, **task)
    found.status, found.published_at = TaskStatus.PUBLISHED, published_at
    found.publish_deadline = deadline or (published_at.astimezone(chinatime.CHINA).date() + timedelta(days=20))
    db.session.flush()
    return found


def add_complaint(
    category: ComplaintCategory,
    submitted_at: datetime,
    status: ComplaintStatus = ComplaintStatus.RECEIVED,
    decided_at: datetime | None = None,
) -> Complaint:
    complaint = Complaint(
        tracking_code=f"T{next(_codes):011d}",
        category=category,
        description="秤不准",
        contact_name="李四",
        contact_phone="13800000000",
        submitted_at=submitted_at,
        status=status,
        decided_at=decided_at,
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


# ---------------------------------------------------------------- the period


def test_the_period_is_the_last_twelve_months_or_a_year_up_to_this_month() -> None:
    assert LAST_12.labels == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert (LAST_12.start, LAST_12.end) == (date(2025, 12, 1), date(2026, 12, 1))
    this_year = stats.Period.of(2026, TODAY)
    assert this_year.labels[0] == "2026-01" and this_year.labels[-1] == "2026-11"
    assert stats.Period.of(2025, TODAY).labels == [f"2025-{m:02d}" for m in range(1, 13)]
    assert chinatime.china_midnight(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, tzinfo=UTC)


# ---------------------------------------------------------------- commitments


def test_coverage_counts_merchants_in_business_with_a_commitment_covering_today() -> None:
    covered = MerchantFactory()
    add_commitment(covered, date(2026, 3, 1))
    # renewed early: the old one (RENEWED) still covers today, the renewal starts later
    renewed = MerchantFactory()
    old = add_commitment(renewed, date(2025, 12, 10), status=CommitmentStatus.RENEWED)
    add_commitment(renewed, date(2026, 12, 10), renews=old, signed_at=china(date(2026, 11, 20)))
    # two covering rows would still be one merchant
    twice = MerchantFactory()
    add_commitment(twice, date(2026, 1, 1))
    add_commitment(twice, date(2026, 2, 1))
    # not covering today
    add_commitment(MerchantFactory(), date(2025, 1, 1), status=CommitmentStatus.EXPIRED)
    add_commitment(MerchantFactory(), date(2026, 5, 1), status=CommitmentStatus.REVOKED)
    add_commitment(MerchantFactory(), date(2025, 11, 1), valid_until=date(2026, 11, 22))  # expiry job not run yet
    add_commitment(MerchantFactory(), date(2026, 11, 24))  # starts tomorrow
    MerchantFactory()  # never signed
    # not in business: in neither number
    closed = MerchantFactory(status=MerchantStatus.CLOSED)
    add_commitment(closed, date(2026, 3, 1))
    MerchantFactory(status=MerchantStatus.SUSPENDED)
    assert stats.commitment_coverage(TODAY) == (8, 3)


def test_signatures_per_month_split_first_and_renewal_by_the_china_date_signed() -> None:
    m = MerchantFactory()
    first = add_commitment(m, date(2025, 12, 1), signed_at=china(date(2025, 12, 1), 0, 0))  # the period's first minute
    add_commitment(m, date(2026, 12, 1), renews=first, signed_at=china(date(2026, 11, 3)))
    # 2026-10-31 23:30 UTC is already 1 November in Shanghai
    add_commitment(MerchantFactory(), date(2026, 11, 1), signed_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    # 2026-10-31 15:59 UTC is still 31 October
    add_commitment(MerchantFactory(), date(2026, 10, 31), signed_at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC))
    add_commitment(MerchantFactory(), date(2025, 11, 30), signed_at=china(date(2025, 11, 30), 23, 59))  # before
    first_signed, renewals = stats.signatures_by_month(LAST_12)
    assert first_signed == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert renewals == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert stats.signatures_by_month(stats.Period.of(2025, TODAY)) == ([0] * 10 + [1, 1], [0] * 12)


# ---------------------------------------------------------------- spot checks


def test_checks_per_plan_year_count_approved_plans_draws_held_and_random_tasks() -> None:
    inspectors = [InspectorFactory(), InspectorFactory()]
    plan = PlanFactory(year=2026, status=PlanStatus.RUNNING)
    PlanFactory(year=2026, status=PlanStatus.CLOSED)
    PlanFactory(year=2026, status=PlanStatus.DRAFT)  # not public: not counted
    drawn = add_draw(plan, 1)
    add_draw(plan, 2, status=DrawStatus.ANNOUNCED)  # not held yet
    statuses = [TaskStatus.OPEN, TaskStatus.RECORDING, TaskStatus.COMPLETED, TaskStatus.PUBLISHED]
    add_random_tasks(drawn, [*statuses, TaskStatus.PUBLISHED, TaskStatus.CANCELLED], inspectors)
    old = PlanFactory(year=2025, status=PlanStatus.CLOSED)
    add_random_tasks(add_draw(old), [TaskStatus.PUBLISHED], inspectors)
    TaskFactory(kind=TaskKind.DIRECTED, status=TaskStatus.OPEN, inspectors=inspectors)  # never counted here
    TaskFactory(kind=TaskKind.COMPLAINT, plan_id=plan.id, status=TaskStatus.COMPLETED, inspectors=inspectors)
    years = stats.checks_by_year()
    assert years == [
        stats.YearChecks(2025, plans=1, draws=1, drawn=1, done=1, published=1, cancelled=0),
        stats.YearChecks(2026, plans=2, draws=1, drawn=6, done=3, published=2, cancelled=1),
    ]
    assert stats.checks_by_year(2025) == [years[0]]
    assert stats.checks_by_year(2024) == [stats.YearChecks(2024)]


# ---------------------------------------------------------------- results and timeliness


def test_published_results_per_kind_and_code() -> None:
    inspectors = [InspectorFactory(), InspectorFactory()]
    at = china(date(2026, 11, 2))
    publish(["01"], published_at=at, kind=TaskKind.RANDOM, inspectors=inspectors)
    publish(["01"], published_at=at, kind=TaskKind.RANDOM, inspectors=inspectors)
    publish(["02", "13"], published_at=at, kind=TaskKind.RANDOM, inspectors=inspectors)
    publish(["09"], published_at=at, kind=TaskKind.COMPLAINT, inspectors=inspectors)
    publish(["10"], published_at=at, kind=TaskKind.DIRECTED, inspectors=inspectors)
    publish(["02"], published_at=china(date(2025, 11, 30)), inspectors=inspectors)  # before the period
    completed(["14"], inspectors=inspectors)  # completed, not published
    found = stats.published_results(LAST_12)
    assert found.total == 5 and found.random == 3 and found.directed == 2
    assert found.by_kind == {
        TaskKind.RANDOM: 3,
        TaskKind.DIRECTED: 1,
        TaskKind.COMPLAINT: 1,
        TaskKind.REINSPECTION: 0,
    }
    assert found.by_code["01"][TaskKind.RANDOM] == 2
    assert found.by_code["02"] == {**dict.fromkeys(TaskKind, 0), TaskKind.RANDOM: 1}
    assert found.by_code["13"][TaskKind.RANDOM] == 1 and found.by_code["09"][TaskKind.COMPLAINT] == 1
    assert found.by_code["10"][TaskKind.DIRECTED] == 1 and sum(found.by_code["14"].values()) == 0
    assert found.with_problem == 2  # 02+13 once, 09; not 10 (unreachable) nor 01
    assert stats.published_results(stats.Period.of(2025, TODAY)).total == 1


def test_on_time_means_published_by_the_deadline_in_china_time() -> None:
    inspectors = [InspectorFactory(), InspectorFactory()]
    deadline = date(2026, 11, 20)
    # 15:59 UTC on the deadline is 23:59 in Shanghai: on time; 16:00 UTC is the next day there: late
    publish(["01"], published_at=datetime(2026, 11, 20, 15, 59, tzinfo=UTC), deadline=deadline, inspectors=inspectors)
    publish(["01"], published_at=datetime(2026, 11, 20, 16, 0, tzinfo=UTC), deadline=deadline, inspectors=inspectors)
    publish(["01"], published_at=china(date(2026, 1, 5)), deadline=date(2025, 12, 30), inspectors=inspectors)
    publish(["01"], published_at=china(date(2026, 1, 6)), inspectors=inspectors)
    # completed on 20 October: 20 working days ran out before today, still unpublished
    overdue = completed(["01"], at=china(date(2026, 10, 20)), inspectors=inspectors)
    overdue.publish_deadline = date(2026, 11, 17)
    completed(["01"], inspectors=inspectors).publish_deadline = date(2026, 12, 18)  # not due yet
    db.session.flush()
    found = stats.publication_timeliness(LAST_12, TODAY)
    assert found.on_time == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert found.late == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert (found.published, found.share, found.overdue_now, found.deadline_days) == (4, 50.0, 1, 20)


# ---------------------------------------------------------------- complaints


def test_complaints_per_category_and_outcome_with_the_mean_days_to_decide() -> None:
    start = china(date(2026, 10, 1), 9)
    add_complaint(ComplaintCategory.SHORT_WEIGHT, start, ComplaintStatus.SUBSTANTIATED, start + timedelta(days=10))
    add_complaint(ComplaintCategory.SHORT_WEIGHT, start, ComplaintStatus.UNSUBSTANTIATED, start + timedelta(days=5))
    add_complaint(ComplaintCategory.SHORT_WEIGHT, start, ComplaintStatus.ASSIGNED)
    add_complaint(ComplaintCategory.CHEATING_DEVICE, start, ComplaintStatus.SUBSTANTIATED, start + timedelta(hours=36))
    add_complaint(ComplaintCategory.OTHER, start)
    add_complaint(ComplaintCategory.LABELLING, china(date(2025, 11, 30), 23, 59))  # before the period
    found = stats.complaints(LAST_12)
    assert found.by_category[ComplaintCategory.SHORT_WEIGHT] == {"substantiated": 1, "unsubstantiated": 1, "open": 1}
    assert found.by_category[ComplaintCategory.CHEATING_DEVICE] == {"substantiated": 1, "unsubstantiated": 0, "open": 0}
    assert found.by_category[ComplaintCategory.OTHER]["open"] == 1
    assert sum(found.by_category[ComplaintCategory.LABELLING].values()) == 0
    assert (found.received, found.decided, found.substantiated, found.open) == (5, 3, 2, 2)
    assert found.mean_days == pytest.approx((10 + 5 + 1.5) / 3)
    assert stats.complaints(stats.Period.of(2025, TODAY)).received == 1


def test_no_complaint_decided_means_no_mean() -> None:
    add_complaint(ComplaintCategory.OTHER, china(date(2026, 11, 1)))
    assert stats.complaints(LAST_12).mean_days is None


# ---------------------------------------------------------------- the years, the cache, the grades


def test_years_run_from_the_first_with_public_data_to_this_one() -> None:
    assert stats.years_with_data(TODAY) == [2026]
    PlanFactory(year=2023, status=PlanStatus.DRAFT)  # a draft is not public
    assert stats.years_with_data(TODAY) == [2026]
    add_complaint(ComplaintCategory.OTHER, china(date(2024, 1, 1), 0, 30))  # 2023-12-31 16:30 UTC
    assert stats.years_with_data(TODAY) == [2026, 2025, 2024]
    PlanFactory(year=2022, status=PlanStatus.CLOSED)
    assert stats.years_with_data(TODAY) == [2026, 2025, 2024, 2023, 2022]


def test_figures_are_cached_per_year_and_day_for_the_configured_seconds(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TRANSPARENCY_CACHE_SECONDS", 600)
    first = stats.figures()
    MerchantFactory()
    assert stats.figures() is first  # within the time to live
    assert stats.figures(2026) is not first
    stats.clear_cache()
    again = stats.figures()
    assert again is not first and again.commitments.active_merchants == first.commitments.active_merchants + 1
    with clock.frozen(NOW + timedelta(days=1)):
        assert stats.figures() is not again  # a new day, new months
    monkeypatch.setitem(app.config, "TRANSPARENCY_CACHE_SECONDS", 0)
    assert stats.figures() is not stats.figures()


def test_the_grade_distribution_only_while_grades_are_public(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    MerchantFactory(grade="A", score=93)
    MerchantFactory(grade="C", score=65)
    MerchantFactory()
    found = stats.figures()
    assert found.grades is not None
    assert found.grades.series[0]["data"] == [1, 0, 1, 0, 1]
    assert stats_charts.charts(found)["grades"].labels == ["A", "B", "C", "D", "未评级"]
    monkeypatch.setitem(app.config, "GRADES_PUBLIC", False)
    hidden = stats.figures()
    assert hidden.grades is None and "grades" not in stats_charts.charts(hidden)


def test_the_csv_rows_hold_the_headline_numbers_and_every_chart_row() -> None:
    m = MerchantFactory()
    add_commitment(m, date(2026, 3, 1), signed_at=china(date(2026, 3, 1)))
    add_complaint(ComplaintCategory.SHORT_WEIGHT, china(date(2026, 11, 1)))
    rows = stats_charts.csv_rows(stats.figures())
    assert ("诚信计量承诺签署", "", "承诺在有效期内的经营者", 1) in rows
    assert ("诚信计量承诺签署", "", "承诺覆盖率（%）", "100.0") in rows
    assert ("诚信计量承诺签署", "2026-03", "首次签署", 1) in rows
    assert ("投诉举报办理", "短斤少两", "核查中", 1) in rows
    assert ("检查结果", "01 未发现问题", "双随机抽查", 0) in rows
    assert ("统计期间", "", "", "2025-12~2026-11") in rows
    data = stats_charts.csv_bytes(stats.figures())
    assert data.startswith("\ufeff统计项目,分类,指标,数值\r\n".encode())
