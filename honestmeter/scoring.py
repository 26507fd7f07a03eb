"""Credit score, grade and itemised reasons from a merchant's facts (pure: no Flask, no SQLAlchemy).

The rule table is data (DESIGN §6): admins edit it, every version is kept, and a grade names the version it used,
so `RuleSet` round-trips through plain JSON and `grade()` is a deterministic function of (facts, today, rules).

Windows: a fact with a window of n months counts while `on <= today < add_months(on, n)`, so on the day the window
ends it no longer counts (a 12-month finding of 2026-03-10 counts on 2027-03-09, not on 2027-03-10). A fact without
a window counts while it is current. Either way `ended_on` (closed, delisted, repaired) stops it on that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from honestmeter.chinatime import add_months
from honestmeter.tables import N_

__all__ = [
    "BEST_GRADE",
    "DEFAULT_RULES",
    "GRADES",
    "Fact",
    "Grade",
    "Override",
    "Reason",
    "Rule",
    "RuleCode",
    "RuleSet",
    "grade",
    "window_start",
]

MIN_SCORE, MAX_SCORE = 0, 100


class RuleCode(StrEnum):
    """The codes of the default rules, which code records facts under. The values are in stored rule tables, facts
    and ledger records: never change one."""

    COMMITMENT_VALID = "commitment_valid"
    MODEL_UNIT = "model_unit"
    CHECK_CLEAN = "check_clean"
    INSTRUMENTS_ALL_VALID = "instruments_all_valid"
    RESULT_02 = "result_02"
    RESULT_09 = "result_09"
    RESULT_04 = "result_04"
    RESULT_10_OR_ABNORMAL = "result_10_or_abnormal"
    RESULT_13 = "result_13"
    RESULT_14 = "result_14"
    INSTRUMENT_OVERDUE = "instrument_overdue"
    COMPLAINT_SUBSTANTIATED = "complaint_substantiated"
    PENALTY_WARNING = "penalty_warning"
    PENALTY_LOW_FINE = "penalty_low_fine"
    PENALTY_OTHER = "penalty_other"
    CHEATING = "cheating"


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    points: int  # per fact
    cap: int | None = None  # the most the rule adds (cap > 0) or subtracts (cap < 0) in total
    window_months: int | None = None  # None: counts while the fact is current (until ended_on)
    repair_after_months: int | None = None  # credit repair may be applied for this long after the fact; None: never


@dataclass(frozen=True)
class RuleSet:
    version: int
    base: int
    rules: tuple[Rule, ...]
    cutoffs: tuple[tuple[str, int], ...]  # (grade, minimum score), best first; the last minimum is 0
    serious_list_grade: str
    abnormal_list_best: str

    @property
    def grades(self) -> tuple[str, ...]:
        """The grade letters, best first."""
        return tuple(g for g, _ in self.cutoffs)

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise ValueError(f"unknown rule code {code!r} in rule table v{self.version}")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "base": self.base,
            "rules": [
                {
                    "code": r.code,
                    "label": r.label,
                    "points": r.points,
                    "cap": r.cap,
                    "window_months": r.window_months,
                    "repair_after_months": r.repair_after_months,
                }
                for r in self.rules
            ],
            "cutoffs": [{"grade": g, "min": m} for g, m in self.cutoffs],
            "serious_list_grade": self.serious_list_grade,
            "abnormal_list_best": self.abnormal_list_best,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleSet:
        """Parse and validate a stored table; any problem raises ValueError naming the field."""
        _keys(data, {"version", "base", "rules", "cutoffs", "serious_list_grade", "abnormal_list_best"}, "rule table")
        if not isinstance(data["rules"], list) or not isinstance(data["cutoffs"], list):
            raise ValueError("rule table: rules and cutoffs must be lists")
        rules = tuple(_rule(r, i) for i, r in enumerate(data["rules"]))
        codes = [r.code for r in rules]
        if len(set(codes)) != len(codes):
            raise ValueError("rule table: duplicate rule codes")
        cutoffs = tuple(_cutoff(c, i) for i, c in enumerate(data["cutoffs"]))
        mins = [m for _, m in cutoffs]
        if not cutoffs or any(a <= b for a, b in pairwise(mins)) or mins[0] > MAX_SCORE or mins[-1] != MIN_SCORE:
            raise ValueError("rule table: cutoffs must be strictly descending, at most 100, ending at 0")
        grades = [g for g, _ in cutoffs]
        if len(set(grades)) != len(grades):
            raise ValueError("rule table: duplicate grades in cutoffs")
        for key in ("serious_list_grade", "abnormal_list_best"):
            if data[key] not in grades:
                raise ValueError(f"rule table: {key} {data[key]!r} is not a grade in cutoffs")
        base = _int(data["base"], "rule table: base")
        if not MIN_SCORE <= base <= MAX_SCORE:
            raise ValueError(f"rule table: base must be within {MIN_SCORE}..{MAX_SCORE}, got {base}")
        return cls(
            version=_int(data["version"], "rule table: version"),
            base=base,
            rules=rules,
            cutoffs=cutoffs,
            serious_list_grade=data["serious_list_grade"],
            abnormal_list_best=data["abnormal_list_best"],
        )


def _keys(data: object, keys: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object")
    if unknown := set(data) - keys:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    if missing := keys - set(data):
        raise ValueError(f"{where}: missing keys {sorted(missing)}")
    return data


def _int(value: object, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):  # bool is an int subclass; true is not 1 point
        raise ValueError(f"{where}: expected an integer, got {value!r}")
    return value


def _rule(raw: object, i: int) -> Rule:
    data = _keys(raw, {"code", "label", "points", "cap", "window_months", "repair_after_months"}, f"rules[{i}]")
    code, label = data["code"], data["label"]
    if not isinstance(code, str) or not code or not isinstance(label, str):
        raise ValueError(f"rules[{i}]: code and label must be non-empty text")
    points = _int(data["points"], f"rules[{i}].points")
    cap = _int(data["cap"], f"rules[{i}].cap", optional=True)
    window = _int(data["window_months"], f"rules[{i}].window_months", optional=True)
    if window is not None and window <= 0:
        raise ValueError(f"rules[{i}] ({code}): window_months must be positive or null, got {window}")
    repair = _int(data["repair_after_months"], f"rules[{i}].repair_after_months", optional=True)
    if repair is not None and (repair < 0 or points > 0):
        raise ValueError(f"rules[{i}] ({code}): repair_after_months must be >= 0, and only on deductions")
    if cap is not None and (cap == 0 or (cap > 0) != (points > 0)):
        raise ValueError(f"rules[{i}] ({code}): cap {cap} must be non-zero and have the sign of points {points}")
    return Rule(code=code, label=label, points=points, cap=cap, window_months=window, repair_after_months=repair)


def _cutoff(raw: object, i: int) -> tuple[str, int]:
    data = _keys(raw, {"grade", "min"}, f"cutoffs[{i}]")
    if not isinstance(data["grade"], str) or not data["grade"]:
        raise ValueError(f"cutoffs[{i}]: grade must be non-empty text")
    return data["grade"], _int(data["min"], f"cutoffs[{i}].min")


# DESIGN §6. Repair periods (domain.md §4.3, §4.5): a penalty after 6 months of publicity (the penalty service
# makes it 1 year for food, drug and special-equipment penalties); findings at the NDRC minimums, 3 months for a
# general breach and 1 year for a serious one. Low fines and warnings expire on their own; a 09 ends when its
# follow-up is closed, a listing when it is removed, an overdue instrument when it is verified.
# Caps equal to the points on "state" rules (a valid commitment, a title, a listing) keep a duplicate
# fact from counting twice; findings, penalties and complaints count once per occurrence.
DEFAULT_RULES = RuleSet(
    version=1,
    base=80,
    rules=(
        Rule(RuleCode.COMMITMENT_VALID, N_("有效的计量诚信自我承诺"), 5, cap=5),
        Rule(RuleCode.MODEL_UNIT, N_("诚信计量示范单位"), 10, cap=10),
        Rule(RuleCode.CHECK_CLEAN, N_("抽查未发现问题"), 3, cap=6, window_months=24),
        Rule(RuleCode.INSTRUMENTS_ALL_VALID, N_("强制检定计量器具均在检定有效期内"), 2, cap=2),
        Rule(RuleCode.RESULT_02, N_("抽查发现问题经责令已改正"), -5, window_months=12, repair_after_months=3),
        Rule(RuleCode.RESULT_09, N_("抽查发现问题待后续处理"), -10),
        Rule(RuleCode.RESULT_04, N_("不配合检查情节严重"), -20, window_months=36, repair_after_months=12),
        Rule(RuleCode.RESULT_10_OR_ABNORMAL, N_("通过登记的住所无法联系或列入经营异常名录"), -15, cap=-15),
        Rule(RuleCode.RESULT_13, N_("未按规定公示应当公示的信息"), -10, window_months=12, repair_after_months=3),
        Rule(RuleCode.RESULT_14, N_("公示信息隐瞒真实情况弄虚作假"), -20, window_months=36, repair_after_months=12),
        Rule(RuleCode.INSTRUMENT_OVERDUE, N_("强制检定计量器具超期未检"), -3, cap=-15),
        Rule(RuleCode.COMPLAINT_SUBSTANTIATED, N_("投诉经查属实"), -5, window_months=12, repair_after_months=3),
        Rule(RuleCode.PENALTY_WARNING, N_("行政处罚：警告"), 0, window_months=3),
        Rule(RuleCode.PENALTY_LOW_FINE, N_("行政处罚：通报批评或较低数额罚款"), -10, window_months=3),
        Rule(RuleCode.PENALTY_OTHER, N_("行政处罚：其他"), -25, window_months=36, repair_after_months=6),
        Rule(RuleCode.CHEATING, N_("发现作弊装置或伪造数据"), -30, window_months=36, repair_after_months=12),
    ),
    cutoffs=(("A", 90), ("B", 75), ("C", 60), ("D", 0)),
    serious_list_grade="D",
    abnormal_list_best="C",
)
# Grade letters, best first. An edit of the table may move the floors but not rename or add grades (rules.services
# refuses it), so these are the letters of every version; plan strata, search filters and notices use them.
GRADES = DEFAULT_RULES.grades
BEST_GRADE = GRADES[0]


@dataclass(frozen=True)
class Fact:
    rule: str  # Rule.code
    on: date  # when it happened or started
    ended_on: date | None = None  # when a current fact stopped: closed, delisted, repaired
    ref: str = ""  # what it is, e.g. "inspection_result/12", for the reason line


@dataclass(frozen=True)
class Reason:
    rule: str
    label: str
    points: int  # as counted, after the cap
    facts: tuple[Fact, ...]
    until: date | None  # the day the last of these facts stops counting; None while one counts until ended


@dataclass(frozen=True)
class Override:
    """A list that set the grade: the message (translatable, with a %(grade)s placeholder) and the grade."""

    message: str
    grade: str

    def text(self) -> str:
        return self.message % {"grade": self.grade}


SERIOUS_OVERRIDE = N_("列入严重违法失信名单，等级为 %(grade)s")
ABNORMAL_OVERRIDE = N_("列入经营异常名录，等级最高为 %(grade)s")


@dataclass(frozen=True)
class Grade:
    score: int
    grade: str
    reasons: tuple[Reason, ...]
    rule_version: int
    overrides: tuple[Override, ...]


def window_start(today: date, months: int) -> date:
    """The earliest `on` whose n-month window still covers `today`: a fact counts iff window_start <= on <= today.

    `add_months` never decreases as `on` grows, so the facts still in their window are exactly those on or after
    one day; set-based SQL compares with it instead of doing calendar arithmetic per row."""
    guess = add_months(today, -months)
    while add_months(guess, months) > today:  # month-end clamping can put the guess a few days late
        guess -= timedelta(days=1)
    while add_months(guess, months) <= today:
        guess += timedelta(days=1)
    return guess


def _stops_on(fact: Fact, rule: Rule) -> date | None:
    """The first day the fact no longer counts, if known."""
    window_end = add_months(fact.on, rule.window_months) if rule.window_months is not None else None
    ends = [d for d in (fact.ended_on, window_end) if d is not None]
    return min(ends) if ends else None


def grade(
    facts: Iterable[Fact],
    today: date,
    rules: RuleSet = DEFAULT_RULES,
    *,
    serious_listed: bool = False,
    abnormal_listed: bool = False,
) -> Grade:
    """Score, grade and reasons on `today`.

    The list flags only drive the overrides: the abnormal listing's points come from its `result_10_or_abnormal`
    fact, so a listing is explained like every other deduction.
    """
    counted: dict[str, list[Fact]] = {}
    for fact in facts:
        stops = _stops_on(fact, rules.rule(fact.rule))  # an unknown code raises: a fact is never silently dropped
        if fact.on <= today and (stops is None or today < stops):
            counted.setdefault(fact.rule, []).append(fact)

    reasons = []
    for rule in rules.rules:  # table order, so the reason list reads the same for every merchant
        if not (hits := counted.get(rule.code)):
            continue
        points = rule.points * len(hits)
        if rule.cap is not None:
            points = min(points, rule.cap) if rule.cap > 0 else max(points, rule.cap)
        if points:
            ends = [_stops_on(f, rule) for f in hits]
            until = None if None in ends else max(d for d in ends if d is not None)
            hits.sort(key=lambda f: (f.on, f.ref))  # deterministic whatever order the caller passed
            reasons.append(Reason(rule.code, rule.label, points, tuple(hits), until))

    score = max(MIN_SCORE, min(MAX_SCORE, rules.base + sum(r.points for r in reasons)))
    letter = next(g for g, minimum in rules.cutoffs if score >= minimum)
    order = [g for g, _ in rules.cutoffs]
    overrides = []
    if serious_listed:
        letter = rules.serious_list_grade
        overrides.append(Override(SERIOUS_OVERRIDE, letter))
    elif abnormal_listed:
        if order.index(letter) < order.index(rules.abnormal_list_best):
            letter = rules.abnormal_list_best
        overrides.append(Override(ABNORMAL_OVERRIDE, rules.abnormal_list_best))
    return Grade(score, letter, tuple(reasons), rules.version, tuple(overrides))
