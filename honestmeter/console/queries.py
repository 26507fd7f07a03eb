"""Read-side aggregations for the console pages: the dashboard's charts and the merchant's grade page.

Every chart is a small aggregated query (GROUP BY in the database, a few hundred rows at most into Python), so the
dashboard stays fast at 100k tasks on both SQLite and PostgreSQL. A finding's result codes are a JSON list, which
neither database groups portably as JSON; grouping by its text (always written sorted by `validate_codes`) and
counting the codes in Python works on both.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.chinatime import add_months
from honestmeter.commitments.models import Commitment
from honestmeter.extensions import db
from honestmeter.inspections.codes import PROBLEM_CODES, RESULT_CODES
from honestmeter.inspections.models import Finding, Task, TaskStatus
from honestmeter.instruments.models import Instrument
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant, Sector
from honestmeter.merchants.queries import region_names
from honestmeter.ratings.facts import services as credit_facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import GradeChange
from honestmeter.ratings.rules import services as rule_tables
from honestmeter.repairs import services as repairs
from honestmeter.scoring import RuleCode, RuleSet
from honestmeter.tables import N_

UNRATED = N_("未评级")
MONTHS = 12  # the grade-change chart and the findings charts cover the last twelve months
PROBLEMS = tuple(sorted(PROBLEM_CODES))


@dataclass(frozen=True)
class Chart:
    """What charts.js draws and the fallback table lists: category labels and one or more series over them.

    A series' `key` (or, for a single series, each category's entry in `keys`) names its colour in the script."""

    kind: str  # "doughnut", "bar" (grouped), "stacked" or "hbar" (horizontal, stacked)
    labels: list[str]
    series: list[dict[str, Any]]  # [{"key", "label", "data": [int per label]}]
    keys: list[str] = field(default_factory=list)
    totals: list[int] | None = None  # per label, when the series overlap (a result with two problem codes)

    @property
    def empty(self) -> bool:
        return not any(any(s["data"]) for s in self.series)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "labels": self.labels, "keys": self.keys, "series": self.series}
        if self.totals is not None:
            data["totals"] = self.totals
        return data

    def rows(self) -> list[tuple[str, list[int]]]:
        """The table fallback: one row per label with each series' number."""
        return [(label, [s["data"][i] for s in self.series]) for i, label in enumerate(self.labels)]


def _grades(rules: RuleSet) -> list[str]:
    return [g for g, _ in rules.cutoffs]


# ---------------------------------------------------------------- dashboard


def grade_distribution(gettext: Any = str) -> Chart:
    """Merchants in the directory per grade, best first, then 未评级 (never graded)."""
    counts = dict(
        db.session.execute(sa.select(Merchant.grade, sa.func.count(Merchant.id)).group_by(Merchant.grade))
        .tuples()
        .all()
    )
    letters = _grades(rule_tables.current())
    letters += sorted(g for g in counts if g is not None and g not in letters)  # a grade an older rule table used
    return Chart(
        kind="doughnut",
        labels=[*letters, gettext(UNRATED)],
        keys=[*letters, "none"],
        series=[
            {
                "key": "merchants",
                "label": gettext(N_("经营者")),
                "data": [counts.get(g, 0) for g in letters] + [counts.get(None, 0)],
            }
        ],
    )


def months_back(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    first = today.replace(day=1)
    return [add_months(first, -n) for n in range(count - 1, -1, -1)]


def grade_changes_by_month(today: date | None = None, gettext: Any = str) -> Chart:
    """Grade changes per month over the last twelve months: up (a better grade) against down (a worse one).

    A first grade and a score change within the same grade are neither, so they are not counted."""
    months = months_back(today or clock.today())
    # Grouped by day, not by month: a plain column groups on the index in both databases, and a year has at most
    # 366 days × a few grade pairs; the months are counted here.
    rows = db.session.execute(
        sa.select(GradeChange.graded_on, GradeChange.previous_grade, GradeChange.grade, sa.func.count(GradeChange.id))
        .where(GradeChange.graded_on >= months[0], GradeChange.previous_grade.is_not(None))
        .group_by(GradeChange.graded_on, GradeChange.previous_grade, GradeChange.grade)
    ).all()
    order = {g: i for i, g in enumerate(_grades(rule_tables.current()))}
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    up, down = [0] * len(months), [0] * len(months)
    for day, previous, grade, n in rows:
        i = index.get((day.year, day.month))
        if i is None or previous not in order or grade not in order or previous == grade:
            continue
        (up if order[grade] < order[previous] else down)[i] += int(n)
    return Chart(
        kind="bar",
        labels=[f"{m.year}-{m.month:02d}" for m in months],
        series=[
            {"key": "up", "label": gettext(N_("等级上升")), "data": up},
            {"key": "down", "label": gettext(N_("等级下降")), "data": down},
        ],
    )


def _findings_chart(kind: str, counts: dict[str, Counter[str]], names: dict[str, str], gettext: Any) -> Chart:
    """Most problems first; a series per problem code, and per label the results with any problem code."""
    groups = sorted(counts, key=lambda g: (-counts[g]["*"], names.get(g, g)))
    return Chart(
        kind=kind,
        labels=[names.get(g, g) for g in groups],
        series=[
            {"key": code, "label": f"{code} {gettext(RESULT_CODES[code])}", "data": [counts[g][code] for g in groups]}
            for code in PROBLEMS
        ],
        totals=[counts[g]["*"] for g in groups],
    )


def findings_by_sector_and_region(today: date | None = None, gettext: Any = str) -> tuple[Chart, Chart]:
    """Published results of the last twelve months (by check date) with problem codes, per sector and per region
    (the merchant's county-level division), each split by problem code.

    One scan for both: GROUP BY (sector, region, codes as text) leaves a few thousand rows at most, which are
    counted twice in Python."""
    since = months_back(today or clock.today())[0]
    codes = sa.cast(Finding.result_codes, sa.Text)
    # Only rows holding a problem code reach the grouping (the JSON text always quotes each code).
    any_problem = sa.or_(*(codes.like(f'%"{code}"%') for code in PROBLEMS))
    rows = db.session.execute(
        sa.select(Merchant.sector_code, Merchant.region_code, codes, sa.func.count(Task.id))
        .select_from(Task)
        .join(Finding, Finding.task_id == Task.id)
        .join(Merchant, Merchant.id == Task.merchant_id)
        .where(Task.status == TaskStatus.PUBLISHED, Finding.checked_on >= since, any_problem)
        .group_by(Merchant.sector_code, Merchant.region_code, codes)
    ).all()
    by_sector: dict[str, Counter[str]] = {}
    by_region: dict[str, Counter[str]] = {}
    for sector, region, text, n in rows:
        found = set(json.loads(text) if isinstance(text, str) else text or ()) & PROBLEM_CODES
        for counter in (by_sector.setdefault(sector, Counter()), by_region.setdefault(region, Counter())):
            counter["*"] += int(n)
            for code in found:
                counter[code] += int(n)
    sectors = dict(db.session.execute(sa.select(Sector.code, Sector.name)).tuples().all())
    regions = region_names(list(by_region))
    return (
        _findings_chart("stacked", by_sector, sectors, gettext),
        _findings_chart("hbar", by_region, regions, gettext),
    )


# ---------------------------------------------------------------- the merchant's grade page


@dataclass(frozen=True)
class Step:
    """Something the merchant can do to raise the grade: what, the most points it could add, and where."""

    message: str  # translatable msgid; `label` fills %(label)s
    points: int  # 0: not a score change (the override of a list)
    endpoint: str  # where to do it (url_for, with `args`)
    label: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    eligible_on: date | None = None  # a credit repair: the first day an application is accepted
    pending: bool = False  # a credit repair already applied for


def improvements(merchant_id: int, reasons: Sequence[dict[str, Any]], today: date) -> list[Step]:
    """What would raise the grade, from the reasons of the current grade, the rules in force and what the
    merchant may apply to repair (ratings.repairs)."""
    rules = rule_tables.current()
    counted = {r["rule"]: r for r in reasons}
    known = {r.code: r for r in rules.rules}
    steps: list[Step] = []

    def gain(code: str) -> int:
        rule = known.get(code)
        if rule is None or rule.points <= 0 or code in counted:
            return 0
        return rule.cap if rule.cap is not None else rule.points

    def loss(code: str) -> int:
        return -int(counted[code]["points"]) if code in counted else 0

    if points := gain(RuleCode.COMMITMENT_VALID):
        steps.append(Step(N_("签署或续签诚信计量自我承诺书"), points, endpoint="commitments.mine"))
    if points := loss(RuleCode.INSTRUMENT_OVERDUE):
        steps.append(Step(N_("为超期未检的强制检定计量器具申请检定"), points, endpoint="instruments.my_instruments"))
    if points := gain(RuleCode.INSTRUMENTS_ALL_VALID):
        steps.append(Step(N_("保持全部强制检定计量器具在检定有效期内"), points, endpoint="instruments.my_instruments"))
    if points := loss(RuleCode.RESULT_09):
        steps.append(Step(N_("按要求改正问题，后续处理结案后不再扣分"), points, endpoint="replies.my_results"))
    if points := gain(RuleCode.MODEL_UNIT):
        steps.append(Step(N_("申请诚信计量示范单位"), points, endpoint="lists.my_model_unit"))
    for item in repairs.items_for(merchant_id, today):
        points = -sum(known[r].points for r in item.rules if r in known and r in counted)
        ready = item.eligible(today) and item.pending is None
        steps.append(
            Step(
                N_("申请信用修复：%(label)s"),
                max(points, 0),
                endpoint="repairs.new" if ready else "repairs.mine",
                args={"target": item.target.value, "target_id": item.target_id} if ready else {},
                label=item.title,
                eligible_on=item.eligible_on,
                pending=item.pending is not None,
            )
        )
    return steps


@dataclass(frozen=True)
class FactLine:
    """One fact behind a reason, as the merchant recognises it."""

    kind: str  # the ref's type, e.g. "inspection_result"
    ident: str
    text: str  # e.g. a serial number or a date; may be empty
    happened_on: date | None


def fact_lines(merchant_id: int, refs: Iterable[str]) -> dict[str, list[FactLine]]:
    """For each ref ("type/id[,id…]"), the facts it names: only this merchant's rows are looked up."""
    refs = list(dict.fromkeys(refs))
    ids: dict[str, set[int]] = {}
    for ref in refs:
        kind, _, rest = ref.partition("/")
        ids.setdefault(kind, set()).update(int(i) for i in rest.split(",") if i.isdigit())
    happened = {(f.source.value, f.source_id): f.happened_on for f in credit_facts.for_merchant(merchant_id)}
    details: dict[tuple[str, int], tuple[str, date | None]] = {}
    if ids.get("instrument"):
        for row in db.session.scalars(
            sa.select(Instrument).where(Instrument.merchant_id == merchant_id, Instrument.id.in_(ids["instrument"]))
        ):
            details["instrument", row.id] = (f"{row.type.name} {row.serial_number}", None)
    if ids.get("inspection_result"):
        for task_id, checked_on in db.session.execute(
            sa.select(Task.id, Finding.checked_on)
            .join(Finding, Finding.task_id == Task.id)
            .where(Task.merchant_id == merchant_id, Task.id.in_(ids["inspection_result"]))
        ):
            details["inspection_result", task_id] = ("", checked_on)
    if ids.get("commitment"):
        for commitment_id, valid_from in db.session.execute(
            sa.select(Commitment.id, Commitment.valid_from).where(
                Commitment.merchant_id == merchant_id, Commitment.id.in_(ids["commitment"])
            )
        ):
            details["commitment", commitment_id] = ("", valid_from)
    lines: dict[str, list[FactLine]] = {}
    for ref in refs:
        kind, _, rest = ref.partition("/")
        for ident in rest.split(","):
            key = (kind, int(ident)) if ident.isdigit() else (kind, -1)
            text, on = details.get(key, ("", None))
            lines.setdefault(ref, []).append(FactLine(kind, ident, text, happened.get(key, on)))
    return lines


def grade_page(merchant: Merchant) -> dict[str, Any]:
    """Everything the merchant's (or the regulator's) grade page shows for one merchant."""
    change = grades.latest_change(merchant.id)
    reasons = change.reasons if change is not None else []
    public = grades.grades_public()
    today = clock.today()
    return {
        "today": today,
        "merchant": merchant,
        "change": change,
        # The "credit_grade" record exists only while grades are published (grades.apply).
        "record": ledger.latest_record(grades.RECORD_TYPE, merchant.uscc) if public else None,
        "changes": grades.history(merchant.id),
        "fact_lines": fact_lines(merchant.id, [ref for r in reasons for ref in r.get("facts", [])]),
        "steps": improvements(merchant.id, reasons, today),
        "grades_public": public,
        "ref_labels": grades.REF_LABELS,
    }


def admin_grade_page(merchant: Merchant) -> dict[str, Any]:
    """The grade page for the regulator: as the merchant sees it, plus every stored fact (ended ones too)."""
    return {
        **grade_page(merchant),
        "credit_facts": credit_facts.for_merchant(merchant.id),
        "rule_labels": {r.code: r.label for r in rule_tables.current().rules},
    }
