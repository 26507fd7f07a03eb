"""Net content of prepackaged goods (定量包装商品净含量), JJF 1070-2023 (pure: no Flask, no SQLAlchemy).

Sources and caveats (domain.md §5.4):

- The allowed shortfall T per package (允许短缺量) follows the published table. Band edges: "a–b" means a < Qn ≤ b,
  so Qn = 50 g is in the 9 % band and Qn = 100 g in the 4.5 g band. The table is continuous (9 % of 50 = 4.5, 4.5 %
  of 200 = 9, …), so the convention only shows after rounding. Mass and volume share one table, in g and mL: a Qn
  labelled in kg or L must be converted by the caller; Qn > 50 000 is outside the table and refused.
- Rounding: T to 0.1 g (mL) when Qn ≤ 1 kg (1 L), to 1 g (mL) above, **half up** (6.75 → 6.8, 16.5 → 17). The
  table's note only says "修约"; GB/T 8170 would round half to even (5.85 → 5.8, 16.5 → 16): a reviewer's choice.
  Length and area T are not rounded (the note gives no rule); count T is rounded up to a whole item.
- T1 (shortfall > T and ≤ 2T) and T2 (shortfall > 2T) are the usual definitions, **unconfirmed** in domain.md, and
  so is the sample plan: how many T1 packages a sample may hold depends on the plan, so it is the `allowed_t1`
  parameter (default 0); no T2 is ever allowed. Where T = 0 (length ≤ 5 m, count ≤ 50) any shortfall is T2.
- The batch passes when the average actual content is ≥ Qn, as domain.md states it. (JJF 1070's sample plans
  may relax this by a correction term derived from the sample's standard deviation; not applied here.)

Everything is Decimal: a float would misjudge packages that sit exactly on a limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Final, Literal, NamedTuple, get_args

from honestmeter.inspections.codes import Reason
from honestmeter.tables import N_

__all__ = ["NetContentError", "ShortfallClass", "Unit", "Verdict", "allowed_shortfall", "classify", "judge_sample"]

Unit = Literal["g", "mL", "m", "m2", "count"]
ShortfallClass = Literal["ok", "T1", "T2"]

# Sums and products of measured values are done exactly: a result that would need rounding raises Inexact.
_EXACT: Final = Context(prec=100, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


class _Band(NamedTuple):
    upper: Decimal  # inclusive: the band is previous upper < Qn ≤ upper
    value: Decimal  # T in g (mL), or a percentage of Qn
    percent: bool


_MASS_VOLUME: Final = (
    _Band(Decimal(50), Decimal(9), percent=True),
    _Band(Decimal(100), Decimal("4.5"), percent=False),
    _Band(Decimal(200), Decimal("4.5"), percent=True),
    _Band(Decimal(300), Decimal(9), percent=False),
    _Band(Decimal(500), Decimal(3), percent=True),
    _Band(Decimal(1000), Decimal(15), percent=False),
    _Band(Decimal(10000), Decimal("1.5"), percent=True),
    _Band(Decimal(15000), Decimal(150), percent=False),
    _Band(Decimal(50000), Decimal(1), percent=True),
)
_ONE_KG: Final = Decimal(1000)
_LENGTH_NO_SHORTFALL: Final = Decimal(5)  # m
_COUNT_NO_SHORTFALL: Final = Decimal(50)


class NetContentError(ValueError):
    """Input that cannot be judged; the message is a Chinese msgid with %(name)s values, shown to the inspector."""

    def __init__(self, message: str, **params: object) -> None:
        self.reason = Reason.of(message, **params)
        super().__init__(str(self.reason))
        self.message = message
        self.params = self.reason.params


def allowed_shortfall(qn: Decimal, unit: Unit) -> Decimal:
    """T, the largest shortfall one package may have, in the unit of Qn (g, mL, m, m², items)."""
    _check_unit(unit)
    qn = _finite(qn)
    if qn <= 0:
        raise NetContentError(N_("标注净含量必须大于零"))
    if unit in ("g", "mL"):
        return _mass_volume(qn, unit)
    with localcontext(_EXACT):
        if unit == "m":
            return Decimal(0) if qn <= _LENGTH_NO_SHORTFALL else qn * Decimal("0.02")
        if unit == "m2":
            return qn * Decimal("0.03")
        if qn != qn.to_integral_value():
            raise NetContentError(N_("计数定量包装商品的标注净含量必须是整数，实际为 %(qn)s"), qn=qn)
        if qn <= _COUNT_NO_SHORTFALL:
            return Decimal(0)
        return (qn / 100).to_integral_value(rounding=ROUND_CEILING)  # "进位到下一个紧邻的整数"


def _mass_volume(qn: Decimal, unit: Unit) -> Decimal:
    for band in _MASS_VOLUME:
        if qn <= band.upper:
            with localcontext(_EXACT):
                t = qn * band.value / 100 if band.percent else band.value
            step = Decimal("0.1") if qn <= _ONE_KG else Decimal(1)
            return t.quantize(step, rounding=ROUND_HALF_UP)  # outside _EXACT: this rounding is intended
    raise NetContentError(
        N_("标注净含量 %(qn)s %(unit)s 超出允许短缺量表的范围（不超过 50000 %(unit)s）"), qn=qn, unit=unit
    )


def classify(qn: Decimal, t: Decimal, actual: Decimal) -> ShortfallClass:
    """One package's class: "ok" when its shortfall Qn − actual is at most T, "T1" up to 2T, "T2" above."""
    with localcontext(_EXACT):
        shortfall = qn - actual
        if shortfall <= t:
            return "ok"
        return "T1" if shortfall <= 2 * t else "T2"


@dataclass(frozen=True)
class Verdict:
    """The judgement of one sample. `classes` is per package, in the order the actual contents were given."""

    qn: Decimal
    unit: Unit
    t: Decimal  # 允许短缺量 T
    classes: tuple[ShortfallClass, ...]
    ok_count: int
    t1_count: int
    t2_count: int
    allowed_t1: int
    average: Decimal  # to 28 significant digits; average_ok is decided on the exact sum
    average_ok: bool
    passed: bool
    reasons: tuple[Reason, ...]  # why it failed; empty when it passed
    notes: tuple[Reason, ...]  # worth telling, but not a failure

    @property
    def sample_size(self) -> int:
        return len(self.classes)


def judge_sample(qn: Decimal, unit: Unit, actuals: Sequence[Decimal], *, allowed_t1: int = 0) -> Verdict:
    """Judge a sample of packages labelled Qn from their actual contents (same unit as Qn)."""
    if allowed_t1 < 0:
        raise ValueError(f"allowed_t1 must be >= 0, got {allowed_t1}")
    t = allowed_shortfall(qn, unit)
    values = tuple(_finite(actual) for actual in actuals)
    if not values:
        raise NetContentError(N_("样本中至少需要一件商品的实际含量"))
    if any(value < 0 for value in values):
        raise NetContentError(N_("实际含量不能为负数"))

    classes = tuple(classify(qn, t, value) for value in values)
    t1_count, t2_count = classes.count("T1"), classes.count("T2")
    with localcontext(_EXACT):
        total = sum(values, Decimal(0))
        average_ok = total >= qn * len(values)  # no division, so no rounding in the verdict
    average = total / len(values)

    reasons: list[Reason] = []
    notes: list[Reason] = []
    if not average_ok:
        shown = _show_below(average, (qn, *values))
        reasons.append(Reason.of(N_("平均实际含量 %(avg)s 低于标注净含量 %(qn)s"), avg=shown, qn=qn))
    if t1_count and not allowed_t1:
        reasons.append(
            Reason.of(
                N_("%(count)s 件的短缺量大于允许短缺量 %(t)s（T1 类短缺），本抽样方案不允许出现"), count=t1_count, t=t
            )
        )
    elif t1_count > allowed_t1:
        reasons.append(
            Reason.of(
                N_("%(count)s 件的短缺量大于允许短缺量 %(t)s（T1 类短缺），超过允许的 %(allowed)s 件"),
                count=t1_count,
                t=t,
                allowed=allowed_t1,
            )
        )
    elif t1_count:
        notes.append(
            Reason.of(
                N_("%(count)s 件的短缺量大于允许短缺量 %(t)s（T1 类短缺），未超过允许的 %(allowed)s 件"),
                count=t1_count,
                t=t,
                allowed=allowed_t1,
            )
        )
    if t2_count and t == 0:
        reasons.append(Reason.of(N_("%(count)s 件存在短缺，该标注净含量不允许出现短缺量"), count=t2_count))
    elif t2_count:
        reasons.append(
            Reason.of(
                N_("%(count)s 件的短缺量大于两倍允许短缺量 %(t2)s（T2 类短缺），不允许出现"),
                count=t2_count,
                t2=2 * t,
            )
        )

    return Verdict(
        qn=qn,
        unit=unit,
        t=t,
        classes=classes,
        ok_count=len(classes) - t1_count - t2_count,
        t1_count=t1_count,
        t2_count=t2_count,
        allowed_t1=allowed_t1,
        average=average,
        average_ok=average_ok,
        passed=average_ok and t1_count <= allowed_t1 and t2_count == 0,
        reasons=tuple(reasons),
        notes=tuple(notes),
    )


def _check_unit(unit: str) -> None:
    if unit not in get_args(Unit):
        raise ValueError(f"unit must be one of {get_args(Unit)}, got {unit!r}")


def _finite(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal):  # a float has already lost the exact value
        raise TypeError(f"expected Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise NetContentError(N_("含量必须是有限的数值，实际为 %(value)s"), value=value)
    return value


def _show_below(average: Decimal, inputs: Sequence[Decimal]) -> Decimal:
    """The average for a message: two more decimals than the inputs, rounded down, so it never reads as ≥ Qn."""
    places = max(0, *(-int(value.as_tuple().exponent) for value in inputs)) + 2
    return average.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR).normalize()
