"""Pure parts of the grading engine: result codes → rules, rule-table errors → form fields, version comparison."""

from __future__ import annotations

from typing import Any

import pytest

from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.rules import services as rules
from honestmeter.scoring import DEFAULT_RULES, RuleSet


@pytest.mark.parametrize(
    ("codes", "items", "expected"),
    [
        (["01"], {}, ["check_clean"]),
        (["02", "09"], {}, ["result_02", "result_09"]),
        (["04", "10", "13", "14"], {}, ["result_04", "result_10_or_abnormal", "result_13", "result_14"]),
        (["03", "05", "12"], {}, []),  # statuses, not breaches
        (["02"], {"JL-02": {"verdict": "fail", "note": ""}}, ["result_02", "cheating"]),
        (["02"], {"JL-02": {"verdict": "pass", "note": ""}, "JL-01": {"verdict": "fail"}}, ["result_02"]),
    ],
)
def test_result_codes_map_to_rules(codes: list[str], items: dict[str, Any], expected: list[str]) -> None:
    assert facts.result_rules(codes, items) == expected


def test_every_mapped_rule_is_in_the_default_table() -> None:
    codes = {r.code for r in DEFAULT_RULES.rules}
    assert set(facts.RESULT_RULES.values()) | {facts.CHEATING_RULE} <= codes


def body(**changes: Any) -> dict[str, Any]:
    data = DEFAULT_RULES.to_json()
    data.update(changes)
    return data


def problem_of(data: dict[str, Any]) -> tuple[str | None, str]:
    with pytest.raises(ValueError) as err:
        RuleSet.from_json(data)
    found = rules.problem(err.value)
    return found.field, found.message


def with_rule(index: int, **changes: Any) -> dict[str, Any]:
    data = body()
    data["rules"] = [dict(r) for r in data["rules"]]
    data["rules"][index].update(changes)
    return data


def test_errors_name_the_field_they_concern() -> None:
    i = [r.code for r in DEFAULT_RULES.rules].index("result_02")
    assert problem_of(with_rule(i, cap=5)) == (
        f"rules-{i}-cap",
        "累计上限不能为 0，且须与分值同号（加分为正，扣分为负）",
    )
    assert problem_of(with_rule(i, window_months=0))[0] == f"rules-{i}-window_months"
    assert problem_of(with_rule(0, repair_after_months=3))[0] == "rules-0-repair_after_months"
    assert problem_of(with_rule(2, points="3"))[0] == "rules-2-points"
    assert problem_of(body(base=101))[0] == "base"
    assert (
        problem_of(body(cutoffs=[{"grade": "A", "min": 90}, {"grade": "B", "min": 95}, {"grade": "D", "min": 0}]))[0]
        == "cutoffs"
    )
    assert problem_of(body(abnormal_list_best="E"))[0] == "abnormal_list_best"


def test_compare_lists_every_changed_number() -> None:
    data = with_rule(2, points=4, window_months=12)
    data["base"] = 75
    data["cutoffs"] = [dict(c) for c in data["cutoffs"]]
    data["cutoffs"][0]["min"] = 92
    data["serious_list_grade"] = "C"
    after = RuleSet.from_json({**data, "version": 2})
    changes = rules.compare(DEFAULT_RULES, after)
    assert [(c.subject, c.what, c.before, c.after) for c in changes] == [
        ("", "基础分", "80", "75"),
        ("抽查未发现问题", "分值", "3", "4"),
        ("抽查未发现问题", "计分期限（月）", "24", "12"),
        ("A", "等级分数线", "90", "92"),
        ("", "列入严重违法失信名单的等级", "D", "C"),
    ]
    assert rules.compare(None, after) == [] and rules.compare(DEFAULT_RULES, DEFAULT_RULES) == []
