"""Credit grading vectors: every DESIGN §6 rule, caps, window edges, cut-offs, list overrides, the stored table."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.scoring import DEFAULT_RULES, Fact, Rule, RuleSet, grade, window_start

TODAY = date(2026, 6, 15)
BASE = DEFAULT_RULES.base


def score(*facts: Fact, today: date = TODAY) -> int:
    return grade(facts, today).score


# (rule, points, window_months) as DESIGN §6 states them; the table must match exactly.
DESIGN_6 = [
    ("commitment_valid", 5, None),
    ("model_unit", 10, None),
    ("check_clean", 3, 24),
    ("instruments_all_valid", 2, None),
    ("result_02", -5, 12),
    ("result_09", -10, None),
    ("result_04", -20, 36),
    ("result_10_or_abnormal", -15, None),
    ("result_13", -10, 12),
    ("result_14", -20, 36),
    ("instrument_overdue", -3, None),
    ("complaint_substantiated", -5, 12),
    ("penalty_warning", 0, 3),
    ("penalty_low_fine", -10, 3),
    ("penalty_other", -25, 36),
    ("cheating", -30, 36),
]


def test_default_table_is_design_6_in_order() -> None:
    assert [(r.code, r.points, r.window_months) for r in DEFAULT_RULES.rules] == DESIGN_6
    assert DEFAULT_RULES.base == 80
    assert DEFAULT_RULES.cutoffs == (("A", 90), ("B", 75), ("C", 60), ("D", 0))


@pytest.mark.parametrize(("code", "points", "window"), DESIGN_6, ids=[c for c, _, _ in DESIGN_6])
def test_each_rule_alone_moves_the_score_by_its_points(code: str, points: int, window: int | None) -> None:
    result = grade([Fact(code, date(2026, 6, 1), ref="x/1")], TODAY)
    assert result.score == BASE + points
    if points:
        (reason,) = result.reasons
        assert (reason.rule, reason.points, reason.facts[0].ref) == (code, points, "x/1")
        assert reason.until == (None if window is None else date(2026 + window // 12, 6 + window % 12, 1))
    else:
        assert result.reasons == ()  # a zero-point rule (a warning) is not listed as a reason


@pytest.mark.parametrize(
    ("code", "n", "expected"),
    [
        ("check_clean", 1, +3),
        ("check_clean", 2, +6),
        ("check_clean", 3, +6),  # at most +6
        ("instrument_overdue", 4, -12),
        ("instrument_overdue", 5, -15),
        ("instrument_overdue", 6, -15),  # at most −15
        ("complaint_substantiated", 3, -15),  # no cap: −5 each
        ("commitment_valid", 2, +5),  # a state counts once even if recorded twice
        ("result_10_or_abnormal", 2, -15),
    ],
    ids=str,
)
def test_caps_limit_a_rules_total(code: str, n: int, expected: int) -> None:
    facts = [Fact(code, date(2026, 1, i + 1), ref=f"f/{i}") for i in range(n)]
    result = grade(facts, TODAY)
    assert result.score == BASE + expected
    assert result.reasons[0].points == expected
    assert len(result.reasons[0].facts) == n  # every fact is still named, even past the cap


# Convention: a windowed fact counts while on <= today < add_months(on, window).
@pytest.mark.parametrize(
    ("on", "today", "counts"),
    [
        (date(2025, 3, 10), date(2025, 3, 9), False),  # a future fact
        (date(2025, 3, 10), date(2025, 3, 10), True),  # counts from its own day
        (date(2025, 3, 10), date(2026, 3, 9), True),  # day 365, the last day
        (date(2025, 3, 10), date(2026, 3, 10), False),  # exactly on + 12 months
        (date(2023, 3, 10), date(2024, 3, 9), True),  # leap year: day 365 of 366
        (date(2023, 3, 10), date(2024, 3, 10), False),  # day 366 = on + 12 months
        (date(2024, 2, 29), date(2025, 2, 27), True),  # month-end: 2024-02-29 + 12 months = 2025-02-28
        (date(2024, 2, 29), date(2025, 2, 28), False),
    ],
    ids=["future", "first-day", "day-365", "on+12m", "leap-day-365", "leap-day-366", "feb29-last", "feb29-end"],
)
def test_twelve_month_window_edges(on: date, today: date, counts: bool) -> None:
    assert score(Fact("result_02", on), today=today) == (BASE - 5 if counts else BASE)


@pytest.mark.parametrize(
    ("on", "today", "counts"),
    [
        (date(2026, 1, 31), date(2026, 4, 29), True),  # low fine, 3 months: 01-31 + 3 = 04-30 (clamped)
        (date(2026, 1, 31), date(2026, 4, 30), False),
        (date(2025, 11, 30), date(2026, 2, 27), True),  # 11-30 + 3 = 02-28
        (date(2025, 11, 30), date(2026, 2, 28), False),
    ],
    ids=["jan31-last", "jan31-end", "nov30-last", "nov30-end"],
)
def test_month_end_arithmetic(on: date, today: date, counts: bool) -> None:
    assert score(Fact("penalty_low_fine", on), today=today) == (BASE - 10 if counts else BASE)


@pytest.mark.parametrize(
    ("fact", "counts"),
    [
        (Fact("result_09", date(2026, 1, 1)), True),  # open follow-up: counts until closed
        (Fact("result_09", date(2026, 1, 1), ended_on=TODAY), False),  # closed today
        (Fact("result_09", date(2026, 1, 1), ended_on=date(2026, 6, 16)), True),  # closes tomorrow
        (Fact("cheating", date(2025, 1, 1), ended_on=date(2026, 3, 1)), False),  # repaired before 36 months
        (Fact("instrument_overdue", date(2026, 7, 1)), False),  # future
    ],
    ids=["open", "closed-today", "closes-tomorrow", "repaired", "future"],
)
def test_ended_on_stops_a_fact(fact: Fact, counts: bool) -> None:
    assert (score(fact) != BASE) is counts


def test_until_is_the_earlier_of_window_and_known_end() -> None:
    (reason,) = grade([Fact("result_02", date(2026, 1, 1), ended_on=date(2026, 9, 1))], TODAY).reasons
    assert reason.until == date(2026, 9, 1)
    # with several facts it is the day the last of them stops; open-ended wins
    two = [Fact("check_clean", date(2025, 1, 1)), Fact("check_clean", date(2026, 1, 1))]
    assert grade(two, TODAY).reasons[0].until == date(2028, 1, 1)
    open_ended = [Fact("instrument_overdue", date(2026, 1, 1)), Fact("instrument_overdue", date(2026, 2, 1), TODAY)]
    assert grade(open_ended, date(2026, 3, 1)).reasons[0].until is None


def at_today(*codes: str) -> list[Fact]:
    return [Fact(code, TODAY, ref=f"{code}/{i}") for i, code in enumerate(codes)]


@pytest.mark.parametrize(
    ("codes", "expected_score", "expected_grade"),
    [
        (("model_unit",), 90, "A"),
        (("model_unit", "commitment_valid", "check_clean", *["instrument_overdue"] * 3), 89, "B"),
        (("result_02",), 75, "B"),
        (("result_02", "instruments_all_valid", "instrument_overdue"), 74, "C"),
        (("result_04",), 60, "C"),
        (("result_04", "instruments_all_valid", "instrument_overdue"), 59, "D"),
    ],
    ids=["90-A", "89-B", "75-B", "74-C", "60-C", "59-D"],
)
def test_cutoff_edges(codes: tuple[str, ...], expected_score: int, expected_grade: str) -> None:
    result = grade(at_today(*codes), TODAY)
    assert (result.score, result.grade) == (expected_score, expected_grade)


BEST = ("model_unit", "commitment_valid", "check_clean", "check_clean", "instruments_all_valid")  # 80 + 22
WORST = ("cheating", "penalty_other", "result_04", "result_14", "result_10_or_abnormal")  # 80 − 110


@pytest.mark.parametrize(
    ("codes", "expected_score"),
    [(BEST, 100), (WORST, 0)],
    ids=["clamped-to-100", "clamped-to-0"],
)
def test_score_is_clamped(codes: tuple[str, ...], expected_score: int) -> None:
    result = grade(at_today(*codes), TODAY)
    assert result.score == expected_score
    assert sum(r.points for r in result.reasons) != expected_score - BASE  # the reasons keep their real points


@pytest.mark.parametrize(
    ("codes", "serious", "abnormal", "expected_grade", "overrides"),
    [
        (BEST, True, False, "D", ("列入严重违法失信名单，等级为 D",)),
        (BEST, True, True, "D", ("列入严重违法失信名单，等级为 D",)),  # the serious list decides
        (("model_unit", "result_10_or_abnormal"), False, True, "C", ("列入经营异常名录，等级最高为 C",)),  # 75 → C
        (BEST, False, True, "C", ("列入经营异常名录，等级最高为 C",)),  # 100 → C at best
        (("result_04", "result_10_or_abnormal"), False, True, "D", ("列入经营异常名录，等级最高为 C",)),  # 45 stays D
        (BEST, False, False, "A", ()),
    ],
    ids=["serious-at-100", "serious-and-abnormal", "abnormal-B-to-C", "abnormal-A-to-C", "abnormal-D-stays", "none"],
)
def test_list_overrides(
    codes: tuple[str, ...], serious: bool, abnormal: bool, expected_grade: str, overrides: tuple[str, ...]
) -> None:
    result = grade(at_today(*codes), TODAY, serious_listed=serious, abnormal_listed=abnormal)
    assert (result.grade, tuple(o.text() for o in result.overrides)) == (expected_grade, overrides)


def test_reasons_follow_the_table_order_with_counted_points() -> None:
    facts = [
        Fact("cheating", date(2026, 2, 1), ref="inspection_result/9"),
        Fact("check_clean", date(2025, 1, 1), ref="inspection_result/1"),
        Fact("penalty_warning", date(2026, 6, 1), ref="penalty/3"),
        Fact("result_02", date(2024, 1, 1), ref="inspection_result/2"),  # window over: not a reason
        Fact("check_clean", date(2026, 1, 1), ref="inspection_result/5"),
        Fact("check_clean", date(2025, 6, 1), ref="inspection_result/4"),
        Fact("commitment_valid", date(2025, 3, 1), ref="commitment/7"),
    ]
    result = grade(facts, TODAY)
    assert [(r.rule, r.points) for r in result.reasons] == [
        ("commitment_valid", 5),
        ("check_clean", 6),
        ("cheating", -30),
    ]
    assert [f.ref for f in result.reasons[1].facts] == [
        "inspection_result/1",
        "inspection_result/4",
        "inspection_result/5",
    ]
    assert result.reasons[0].label == "有效的计量诚信自我承诺"
    assert (result.score, result.grade, result.rule_version) == (61, "C", 1)
    assert grade(reversed(facts), TODAY) == result  # deterministic whatever the input order


def test_unknown_rule_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule code 'bogus'"):
        grade([Fact("bogus", TODAY)], TODAY)


def test_json_round_trip() -> None:
    data = DEFAULT_RULES.to_json()
    assert RuleSet.from_json(data) == DEFAULT_RULES
    assert data["cutoffs"][0] == {"grade": "A", "min": 90}


def _edit(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT_RULES.to_json())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_edit(("colour",), "red"), r"rule table: unknown keys \['colour'\]"),
        (_edit(("base",), KeyError), r"rule table: missing keys \['base'\]"),
        (_edit(("rules", 2, "weight"), 1), r"rules\[2\]: unknown keys \['weight'\]"),
        (_edit(("rules", 2, "window_months"), -24), r"rules\[2\] \(check_clean\): window_months must be positive"),
        (_edit(("rules", 2, "window_months"), 0), "window_months must be positive"),
        (_edit(("rules", 2, "cap"), -6), "cap -6 must be non-zero and have the sign of points 3"),
        (_edit(("rules", 2, "points"), "3"), r"rules\[2\].points: expected an integer"),
        (_edit(("rules", 2, "points"), True), r"rules\[2\].points: expected an integer"),
        (_edit(("rules", 3, "code"), "check_clean"), "duplicate rule codes"),
        (_edit(("cutoffs", 1, "min"), 95), "cutoffs must be strictly descending"),
        (_edit(("cutoffs", 3, "min"), 10), "cutoffs must be strictly descending"),
        (_edit(("cutoffs",), []), "cutoffs must be strictly descending"),
        (_edit(("serious_list_grade",), "E"), "serious_list_grade 'E' is not a grade"),
        (_edit(("base",), 120), "base must be within 0..100"),
    ],
    ids=[
        "unknown-key",
        "missing-key",
        "unknown-rule-key",
        "negative-window",
        "zero-window",
        "cap-sign",
        "points-text",
        "points-bool",
        "duplicate-code",
        "cutoffs-ascending",
        "cutoffs-no-floor",
        "cutoffs-empty",
        "unknown-list-grade",
        "base-range",
    ],
)
def test_from_json_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleSet.from_json(data)


CODES = [r.code for r in DEFAULT_RULES.rules]
facts_st = st.lists(
    st.builds(
        Fact,
        rule=st.sampled_from(CODES),
        on=st.dates(date(2022, 1, 1), date(2026, 12, 31)),
        ended_on=st.none() | st.dates(date(2022, 1, 1), date(2027, 12, 31)),
    ),
    max_size=12,
)


@given(facts=facts_st, extra=st.sampled_from(CODES), on=st.dates(date(2022, 1, 1), date(2026, 12, 31)))
def test_a_fact_moves_the_score_only_in_its_rules_direction(facts: list[Fact], extra: str, on: date) -> None:
    before = grade(facts, TODAY).score
    after = grade([*facts, Fact(extra, on)], TODAY).score
    points = DEFAULT_RULES.rule(extra).points
    if points >= 0:
        assert after >= before
    if points <= 0:
        assert after <= before


@given(today=st.dates(date(2000, 1, 1), date(2100, 12, 31)), months=st.integers(1, 120), delta=st.integers(-70, 70))
def test_window_start_agrees_with_the_window(today: date, months: int, delta: int) -> None:
    """The SQL bound: a fact on `on` counts on `today` exactly when window_start(today) <= on <= today."""
    on = today - timedelta(days=30 * months + delta)  # around the window's start, month ends included
    rule = Rule("x", "x", -1, window_months=months)
    counts = bool(grade([Fact("x", on)], today, RuleSet(1, 80, (rule,), (("A", 0),), "A", "A")).reasons)
    assert counts == (window_start(today, months) <= on <= today)
