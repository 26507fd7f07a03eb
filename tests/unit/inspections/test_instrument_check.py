"""On-site instrument check: serial number, verification, and the measured error against the MPE."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.inspections.tasks.instrument_check import judge_instrument

D = Decimal


def _judge(
    error: str | None, mpe: str | None, *, serial_found: bool = True, verification_valid: bool = True
) -> tuple[bool, bool, list[str], list[str]]:
    verdict = judge_instrument(
        serial_found=serial_found,
        verification_valid=verification_valid,
        measured_error=None if error is None else D(error),
        mpe=None if mpe is None else D(mpe),
    )
    return verdict.passed, verdict.measured, [str(r) for r in verdict.reasons], [str(n) for n in verdict.notes]


@pytest.mark.parametrize(
    ("error", "mpe", "passed"),
    [
        ("0", "0.5", True),
        ("0.5", "0.5", True),  # on the limit still passes
        ("-0.5", "0.5", True),
        ("0.51", "0.5", False),
        ("-0.51", "0.5", False),
        ("0", "0", True),
        ("0.001", "0", False),
    ],
)
def test_error_against_mpe(error: str, mpe: str, passed: bool) -> None:
    assert _judge(error, mpe)[:2] == (passed, True)


def test_an_error_above_the_mpe_is_explained() -> None:
    assert _judge("-12", "10") == (False, True, ["示值误差 -12 超出最大允许误差 ±10"], [])


def test_unmeasured_error_is_noted_not_failed() -> None:
    assert _judge(None, "0.5") == (True, False, [], ["未测量示值误差（最大允许误差 ±0.5）"])


def test_an_error_without_an_mpe_cannot_be_judged() -> None:
    assert _judge("3", None) == (True, False, [], ["示值误差为 3，但未给出最大允许误差，未作判定"])


def test_nothing_measured_and_no_mpe() -> None:
    assert _judge(None, None) == (True, False, [], [])


def test_every_failure_is_reported_at_once() -> None:
    passed, _, reasons, _ = _judge("2", "1", serial_found=False, verification_valid=False)
    assert not passed
    assert reasons == [
        "现场未找到与台账一致的器具出厂编号",
        "计量器具未经检定或已超过检定有效期",
        "示值误差 2 超出最大允许误差 ±1",
    ]


@pytest.mark.parametrize(("serial_found", "verification_valid"), [(False, True), (True, False)])
def test_serial_and_verification_fail_on_their_own(serial_found: bool, verification_valid: bool) -> None:
    passed, _, reasons, notes = _judge(None, "1", serial_found=serial_found, verification_valid=verification_valid)
    assert not passed
    assert len(reasons) == 1
    assert notes == ["未测量示值误差（最大允许误差 ±1）"]


def test_reasons_keep_their_msgid_for_translation() -> None:
    verdict = judge_instrument(serial_found=True, verification_valid=True, measured_error=D("0.8"), mpe=D("0.5"))
    assert verdict.reasons[0].message == "示值误差 %(error)s 超出最大允许误差 ±%(mpe)s"
    assert verdict.reasons[0].params == {"error": "0.8", "mpe": "0.5"}


@pytest.mark.parametrize(
    ("error", "mpe", "match"),
    [
        (None, D("-0.1"), "cannot be negative"),
        (D(1), D("-1"), "cannot be negative"),
        (None, D("NaN"), "finite Decimal"),
        (D("Infinity"), D(1), "finite Decimal"),
        (1.0, D(1), "finite Decimal"),
    ],
)
def test_bad_numbers_are_programming_errors(error: object, mpe: Decimal, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        judge_instrument(serial_found=True, verification_valid=True, measured_error=error, mpe=mpe)  # type: ignore[arg-type]


@given(
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.decimals(min_value=-100, max_value=100, places=3)),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=3)),
)
def test_passed_means_no_reasons(
    serial_found: bool, verification_valid: bool, error: Decimal | None, mpe: Decimal | None
) -> None:
    verdict = judge_instrument(
        serial_found=serial_found, verification_valid=verification_valid, measured_error=error, mpe=mpe
    )
    assert verdict.passed == (not verdict.reasons)
    within = error is None or mpe is None or abs(error) <= mpe
    assert verdict.passed == (serial_found and verification_valid and within)
