"""Net content of prepackaged goods: the T table of JJF 1070-2023 at every band edge, and sample verdicts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.inspections.tasks.netcontent import (
    NetContentError,
    Unit,
    allowed_shortfall,
    classify,
    judge_sample,
)

D = Decimal


# Each band edge a–b (a < Qn ≤ b): at b, just above b, and a value inside where the percentage needs rounding.
@pytest.mark.parametrize(
    ("qn", "t"),
    [
        ("0.1", "0.0"),  # 9 % of 0.1 g = 0.009, rounds to 0.0
        ("1", "0.1"),  # 0.09 → 0.1
        ("5", "0.5"),  # 0.45 → 0.5 (half up)
        ("10", "0.9"),
        ("50", "4.5"),  # 9 %
        ("50.1", "4.5"),  # fixed 4.5 g
        ("100", "4.5"),
        ("100.1", "4.5"),  # 4.5 % = 4.5045 → 4.5
        ("110", "5.0"),  # 4.95 → 5.0
        ("130", "5.9"),  # 5.85 → 5.9 (half up; half-even would give 5.8)
        ("150", "6.8"),  # 6.75 → 6.8
        ("200", "9.0"),
        ("200.1", "9.0"),  # fixed 9 g
        ("300", "9.0"),
        ("300.1", "9.0"),  # 3 % = 9.003 → 9.0
        ("400", "12.0"),
        ("500", "15.0"),
        ("500.1", "15.0"),  # fixed 15 g
        ("1000", "15.0"),
        ("1000.1", "15"),  # 1.5 % = 15.0015, and above 1 kg T is rounded to 1 g
        ("1100", "17"),  # 16.5 → 17 (half up)
        ("1250", "19"),  # 18.75 → 19
        ("2000", "30"),
        ("10000", "150"),
        ("10000.1", "150"),  # fixed 150 g
        ("12000", "150"),
        ("15000", "150"),
        ("15000.1", "150"),  # 1 % = 150.001 → 150
        ("15050", "151"),  # 150.5 → 151
        ("20000", "200"),
        ("50000", "500"),
    ],
)
@pytest.mark.parametrize("unit", ["g", "mL"])
def test_mass_and_volume_table(qn: str, t: str, unit: Unit) -> None:
    result = allowed_shortfall(D(qn), unit)
    assert result == D(t)
    assert str(result) == t  # 0.1 g up to 1 kg, whole grams above


@pytest.mark.parametrize(
    ("qn", "unit", "t"),
    [
        ("1", "m", "0"),
        ("5", "m", "0"),  # Qn ≤ 5 m: no shortfall allowed
        ("5.01", "m", "0.1002"),  # 2 %, not rounded
        ("10", "m", "0.2"),
        ("100", "m", "2"),
        ("0.5", "m2", "0.015"),  # 3 % for every area
        ("10", "m2", "0.3"),
        ("1", "count", "0"),
        ("50", "count", "0"),  # Qn ≤ 50: no shortfall allowed
        ("51", "count", "1"),  # 0.51 rounded up to a whole item
        ("100", "count", "1"),
        ("101", "count", "2"),
        ("200", "count", "2"),
        ("250", "count", "3"),
        ("1000", "count", "10"),
    ],
)
def test_length_area_and_count(qn: str, unit: Unit, t: str) -> None:
    assert allowed_shortfall(D(qn), unit) == D(t)


def test_above_the_table_is_refused_with_a_message() -> None:
    with pytest.raises(NetContentError) as info:
        allowed_shortfall(D("50000.1"), "g")
    assert str(info.value) == "标注净含量 50000.1 g 超出允许短缺量表的范围（不超过 50000 g）"
    assert info.value.message == "标注净含量 %(qn)s %(unit)s 超出允许短缺量表的范围（不超过 50000 %(unit)s）"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("qn", "unit", "message"),
    [
        ("0", "g", "标注净含量必须大于零"),
        ("-1", "mL", "标注净含量必须大于零"),
        ("0", "count", "标注净含量必须大于零"),
        ("NaN", "g", "含量必须是有限的数值"),
        ("Infinity", "m", "含量必须是有限的数值"),
        ("10.5", "count", "计数定量包装商品的标注净含量必须是整数"),
    ],
)
def test_invalid_qn(qn: str, unit: Unit, message: str) -> None:
    with pytest.raises(NetContentError, match=message):
        allowed_shortfall(D(qn), unit)


def test_programming_errors() -> None:
    with pytest.raises(ValueError, match="unit must be one of"):
        allowed_shortfall(D(100), "kg")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected Decimal"):
        allowed_shortfall(100.0, "g")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="allowed_t1"):
        judge_sample(D(100), "g", [D(100)], allowed_t1=-1)


def test_count_qn_may_be_written_with_a_zero_fraction() -> None:
    assert allowed_shortfall(D("200.0"), "count") == 2


# ---------------------------------------------------------------- classes


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("510", "ok"),
        ("500", "ok"),
        ("485.0", "ok"),  # shortfall exactly T
        ("484.9", "T1"),
        ("470", "T1"),  # exactly 2T
        ("469.9", "T2"),
        ("0", "T2"),
    ],
)
def test_classify_at_t_and_2t(actual: str, expected: str) -> None:
    assert classify(D(500), D(15), D(actual)) == expected


def test_zero_t_makes_any_shortfall_t2() -> None:
    assert classify(D(50), D(0), D(50)) == "ok"
    assert classify(D(50), D(0), D(49)) == "T2"


# ---------------------------------------------------------------- samples


def test_a_good_sample_passes() -> None:
    verdict = judge_sample(D(500), "g", [D("501.2"), D("499.0"), D("500.4"), D("503.1")])
    assert verdict.passed
    assert verdict.t == D(15)
    assert verdict.classes == ("ok", "ok", "ok", "ok")
    assert (verdict.ok_count, verdict.t1_count, verdict.t2_count, verdict.sample_size) == (4, 0, 0, 4)
    assert verdict.average == D("500.925")
    assert verdict.average_ok
    assert verdict.reasons == ()
    assert verdict.notes == ()


def test_a_short_average_fails_even_when_every_package_is_within_t() -> None:
    verdict = judge_sample(D(500), "g", [D("499.8"), D("499.9"), D("499.9")])
    assert verdict.classes == ("ok", "ok", "ok")
    assert not verdict.average_ok
    assert not verdict.passed
    assert [str(r) for r in verdict.reasons] == ["平均实际含量 499.866 低于标注净含量 500"]  # rounded down
    assert verdict.reasons[0].message == "平均实际含量 %(avg)s 低于标注净含量 %(qn)s"
    assert verdict.reasons[0].params == {"avg": "499.866", "qn": "500"}


def test_average_exactly_qn_is_enough() -> None:
    verdict = judge_sample(D(100), "mL", [D("99.9"), D("100.1"), D("100.0")])
    assert verdict.average_ok
    assert verdict.passed


def test_t1_within_the_allowance_is_noted_not_failed() -> None:
    actuals = [D(520), D(520), D(480), D(510)]  # 480 is 20 g short: T1 (T = 15 g)
    strict = judge_sample(D(500), "g", actuals)
    assert not strict.passed
    assert strict.average_ok
    assert [str(r) for r in strict.reasons] == ["1 件的短缺量大于允许短缺量 15.0（T1 类短缺），本抽样方案不允许出现"]

    lenient = judge_sample(D(500), "g", actuals, allowed_t1=1)
    assert lenient.passed
    assert lenient.reasons == ()
    assert [str(r) for r in lenient.notes] == ["1 件的短缺量大于允许短缺量 15.0（T1 类短缺），未超过允许的 1 件"]


def test_more_t1_than_allowed() -> None:
    verdict = judge_sample(D(500), "g", [D(600), D(480), D(480), D(480)], allowed_t1=2)
    assert not verdict.passed
    assert verdict.t1_count == 3
    assert [str(r) for r in verdict.reasons] == ["3 件的短缺量大于允许短缺量 15.0（T1 类短缺），超过允许的 2 件"]


def test_t2_always_fails() -> None:
    verdict = judge_sample(D(500), "g", [D(600), D(600), D("469.9")], allowed_t1=3)
    assert verdict.average_ok
    assert verdict.classes == ("ok", "ok", "T2")
    assert not verdict.passed
    assert [str(r) for r in verdict.reasons] == ["1 件的短缺量大于两倍允许短缺量 30.0（T2 类短缺），不允许出现"]


def test_every_reason_at_once() -> None:
    verdict = judge_sample(D(500), "g", [D(480), D(400), D(500)])
    assert [r.message for r in verdict.reasons] == [
        "平均实际含量 %(avg)s 低于标注净含量 %(qn)s",
        "%(count)s 件的短缺量大于允许短缺量 %(t)s（T1 类短缺），本抽样方案不允许出现",
        "%(count)s 件的短缺量大于两倍允许短缺量 %(t2)s（T2 类短缺），不允许出现",
    ]
    assert verdict.reasons[0].params["avg"] == "460"


def test_no_shortfall_allowed_for_small_counts() -> None:
    verdict = judge_sample(D(50), "count", [D(50), D(49), D(51), D(52)])
    assert verdict.t == 0
    assert verdict.classes == ("ok", "T2", "ok", "ok")
    assert verdict.average_ok  # 202 / 4 = 50.5
    assert not verdict.passed
    assert [str(r) for r in verdict.reasons] == ["1 件存在短缺，该标注净含量不允许出现短缺量"]


@pytest.mark.parametrize(
    ("actuals", "message"),
    [
        ([], "样本中至少需要一件商品的实际含量"),
        ([D(100), D(-1)], "实际含量不能为负数"),
        ([D("NaN")], "含量必须是有限的数值"),
    ],
)
def test_invalid_sample(actuals: list[Decimal], message: str) -> None:
    with pytest.raises(NetContentError, match=message):
        judge_sample(D(100), "g", actuals)


# ---------------------------------------------------------------- properties

MASS_QN = st.decimals(min_value=D("0.1"), max_value=D(50000), places=1)
ANY_QN = st.one_of(
    st.tuples(MASS_QN, st.sampled_from(["g", "mL"])),
    st.tuples(st.decimals(min_value=D("0.01"), max_value=D(10000), places=2), st.sampled_from(["m", "m2"])),
    st.tuples(st.integers(min_value=1, max_value=100_000).map(Decimal), st.just("count")),
)


@given(ANY_QN)
def test_t_is_non_negative_and_below_qn(case: tuple[Decimal, Unit]) -> None:
    qn, unit = case
    t = allowed_shortfall(qn, unit)
    assert 0 <= t < qn


@given(MASS_QN, MASS_QN)
def test_t_never_falls_as_qn_rises(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert allowed_shortfall(low, "g") <= allowed_shortfall(high, "g")


@given(MASS_QN)
def test_t_is_within_half_a_rounding_step_of_the_table(qn: Decimal) -> None:
    exact = next(_exact_t(qn))
    step = D("0.1") if qn <= 1000 else D(1)
    assert abs(allowed_shortfall(qn, "g") - exact) <= step / 2


def _exact_t(qn: Decimal) -> Iterator[Decimal]:
    # The table written out a second way, to check the module's band lookup.
    for upper, rule in [
        (50, lambda q: q * D("0.09")),
        (100, lambda _: D("4.5")),
        (200, lambda q: q * D("0.045")),
        (300, lambda _: D(9)),
        (500, lambda q: q * D("0.03")),
        (1000, lambda _: D(15)),
        (10000, lambda q: q * D("0.015")),
        (15000, lambda _: D(150)),
        (50000, lambda q: q * D("0.01")),
    ]:
        if qn <= upper:
            yield rule(qn)


@given(ANY_QN, st.data())
def test_a_sample_never_short_always_passes(case: tuple[Decimal, Unit], data: st.DataObject) -> None:
    qn, unit = case
    extra = st.decimals(min_value=0, max_value=qn, places=2)
    actuals = [qn + e for e in data.draw(st.lists(extra, min_size=1, max_size=20))]
    verdict = judge_sample(qn, unit, actuals)
    assert verdict.passed
    assert verdict.classes == ("ok",) * len(actuals)
    assert verdict.reasons == ()


@given(
    MASS_QN.flatmap(
        lambda qn: st.tuples(
            st.just(qn),
            st.lists(st.decimals(min_value=0, max_value=qn * 2, places=1), min_size=1, max_size=30),
            st.integers(min_value=0, max_value=3),
            st.randoms(use_true_random=False),
        )
    )
)
def test_the_order_of_the_packages_does_not_matter(case: tuple[Decimal, list[Decimal], int, random.Random]) -> None:
    qn, actuals, allowed_t1, rng = case
    shuffled = list(actuals)
    rng.shuffle(shuffled)
    first = judge_sample(qn, "g", actuals, allowed_t1=allowed_t1)
    second = judge_sample(qn, "g", shuffled, allowed_t1=allowed_t1)
    assert sorted(first.classes) == sorted(second.classes)
    for field in ("t", "ok_count", "t1_count", "t2_count", "average", "average_ok", "passed", "reasons", "notes"):
        assert getattr(first, field) == getattr(second, field), field
    assert first.passed == (first.average_ok and first.t1_count <= allowed_t1 and first.t2_count == 0)
    assert first.ok_count + first.t1_count + first.t2_count == len(actuals)
