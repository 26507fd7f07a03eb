"""Spot-check result codes 01–14 (domain.md §1.3), the predicates services use, and the check-item seed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.errors import ValidationFailed
from honestmeter.inspections.codes import (
    CHECK_ITEMS,
    RESULT_CODES,
    Reason,
    is_clean,
    needs_follow_up,
    problem_found,
    proposes_abnormal_listing,
    validate_codes,
)

NOT_CLEAN = [code for code in RESULT_CODES if code != "01"]


def test_codes_are_01_to_14_in_order_with_the_published_labels() -> None:
    assert list(RESULT_CODES) == [f"{i:02d}" for i in range(1, 15)]
    assert RESULT_CODES["01"] == "未发现问题"
    assert RESULT_CODES["09"] == "发现问题待后续处理"
    assert RESULT_CODES["10"] == "通过登记的住所（经营场所）无法联系"
    assert RESULT_CODES["14"] == "公示信息隐瞒真实情况弄虚作假"


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        RESULT_CODES["15"] = "其他"  # type: ignore[index]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["01"], ("01",)),
        (["09", "02"], ("02", "09")),
        ([" 9 ", "2", "02"], ("02", "09")),  # stripped, zero-padded, de-duplicated
        (("13", "14", "10"), ("10", "13", "14")),
        (["", "01"], ("01",)),  # an empty checkbox value is ignored
    ],
)
def test_validate_codes_normalises(raw: list[str], expected: tuple[str, ...]) -> None:
    assert validate_codes(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "请至少选择一项检查结果"),
        (["", " "], "请至少选择一项检查结果"),
        (["15"], "检查结果代码无效"),
        (["00"], "检查结果代码无效"),
        (["A"], "检查结果代码无效"),
        (["02", "x"], "检查结果代码无效"),
        (["01", "02"], "“未发现问题”不能与其他检查结果同时选择"),
        (["1", "10"], "“未发现问题”不能与其他检查结果同时选择"),
    ],
)
def test_validate_codes_refuses(raw: list[str], message: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_codes(raw)
    assert info.value.message == message
    assert info.value.field == "codes"


def test_validate_codes_accepts_a_generator_once() -> None:
    assert validate_codes(code for code in ["03", "05"]) == ("03", "05")


@given(st.sets(st.sampled_from(NOT_CLEAN), min_size=1))
def test_any_set_without_01_is_valid_and_sorted(codes: set[str]) -> None:
    result = validate_codes(codes)
    assert result == tuple(sorted(codes))
    assert not is_clean(result)


@given(st.sets(st.sampled_from(NOT_CLEAN), min_size=1))
def test_01_with_anything_else_is_refused(codes: set[str]) -> None:
    with pytest.raises(ValidationFailed):
        validate_codes([*codes, "01"])


@pytest.mark.parametrize(
    ("codes", "clean", "follow_up", "abnormal", "problem"),
    [
        (["01"], True, False, False, False),
        (["02"], False, False, False, True),
        (["03"], False, False, False, False),
        (["04"], False, False, False, True),
        (["05"], False, False, False, False),
        (["09"], False, True, False, True),
        (["10"], False, False, True, False),
        (["13"], False, False, False, True),
        (["14"], False, False, False, True),
        (["02", "09"], False, True, False, True),
        (["10", "13"], False, False, True, True),
        (["06", "12"], False, False, False, False),
    ],
)
def test_predicates(codes: list[str], clean: bool, follow_up: bool, abnormal: bool, problem: bool) -> None:
    assert is_clean(codes) is clean
    assert needs_follow_up(codes) is follow_up
    assert proposes_abnormal_listing(codes) is abnormal
    assert problem_found(codes) is problem


def test_predicates_validate_their_input() -> None:
    with pytest.raises(ValidationFailed):
        problem_found(["01", "09"])
    assert needs_follow_up(["9"])


def test_check_item_seed() -> None:
    assert [item.code for item in CHECK_ITEMS] == ["JL-01", "JL-02", "JL-03", "JL-04", "JL-05"]
    assert [item.name for item in CHECK_ITEMS] == [
        "强检计量器具检定情况",
        "计量器具作弊",
        "定量包装商品净含量",
        "诚信计量承诺履行",
        "计量单位明示",
    ]
    assert all(item.description for item in CHECK_ITEMS)
    code, name, description = CHECK_ITEMS[2]  # plain tuples for a seed
    assert (code, name) == ("JL-03", "定量包装商品净含量")
    assert "JJF 1070" in description


def test_reason_keeps_the_msgid_and_formats_decimals_plainly() -> None:
    reason = Reason.of("示值误差 %(error)s 超出最大允许误差 ±%(mpe)s", error=Decimal("1E+1"), mpe=Decimal("0.50"))
    assert reason.message == "示值误差 %(error)s 超出最大允许误差 ±%(mpe)s"
    assert reason.params == {"error": "10", "mpe": "0.50"}
    assert str(reason) == "示值误差 10 超出最大允许误差 ±0.50"
    assert hash(reason) == hash(Reason.of(reason.message, mpe=Decimal("0.50"), error=Decimal(10)))
    assert str(Reason.of("没有参数 100%")) == "没有参数 100%"
