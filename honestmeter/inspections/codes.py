"""Spot-check result codes (抽查检查结果) and the default check items (pure: no Flask, no SQLAlchemy).

The codes are the 01–14 list of the "双随机" front ends (domain.md §1.3; the official GS52-2017 table was not
found). One check carries a *set* of codes, chosen with checkboxes; "01 未发现问题" excludes every other code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final, NamedTuple

from honestmeter.errors import ValidationFailed
from honestmeter.tables import N_

__all__ = [
    "ABNORMAL_LISTING",
    "CHECK_ITEMS",
    "CLEAN",
    "FOLLOW_UP",
    "PROBLEM_CODES",
    "RESULT_CODES",
    "CheckItem",
    "Reason",
    "is_clean",
    "needs_follow_up",
    "problem_found",
    "proposes_abnormal_listing",
    "validate_codes",
]

# Ordered by code, as the checkboxes are shown.
RESULT_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "01": N_("未发现问题"),
        "02": N_("发现问题经责令已改正"),
        "03": N_("未发现本次抽查涉及的生产经营活动"),
        "04": N_("不配合检查情节严重"),
        "05": N_("注销"),
        "06": N_("暂停营业"),
        "07": N_("吊证"),
        "08": N_("关闭"),
        "09": N_("发现问题待后续处理"),
        "10": N_("通过登记的住所（经营场所）无法联系"),
        "11": N_("被撤销"),
        "12": N_("迁出"),
        "13": N_("未按规定公示应当公示的信息"),
        "14": N_("公示信息隐瞒真实情况弄虚作假"),
    }
)

CLEAN: Final = "01"
FOLLOW_UP: Final = "09"  # the finding stays open until its follow-up case is closed (DESIGN §6: "until closed")
ABNORMAL_LISTING: Final = "10"  # 无法联系 → proposal to list on 经营异常名录 (domain.md §4.4)
# Violations established by the check itself: the codes DESIGN §6 scores negatively as findings. Not 10: an
# unreachable merchant was not inspected, and that code has its own consequence (abnormal listing). Not 03, 05–08,
# 11, 12: they record the merchant's status (no such activity, deregistered, closed …), not a breach.
PROBLEM_CODES: Final = frozenset({"02", "04", "09", "13", "14"})


def validate_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes stripped, zero-padded ("9" → "09"), de-duplicated and sorted; ValidationFailed if not a valid set."""
    normalised = {_normalise(code) for code in codes}
    normalised.discard("")
    if not normalised:
        raise ValidationFailed(N_("请至少选择一项检查结果"), field="codes")
    if not normalised.issubset(RESULT_CODES):
        raise ValidationFailed(N_("检查结果代码无效"), field="codes")
    if CLEAN in normalised and len(normalised) > 1:
        raise ValidationFailed(N_("“未发现问题”不能与其他检查结果同时选择"), field="codes")
    return tuple(sorted(normalised))


def is_clean(codes: Iterable[str]) -> bool:
    """Only 01 未发现问题."""
    return validate_codes(codes) == (CLEAN,)


def needs_follow_up(codes: Iterable[str]) -> bool:
    """09 发现问题待后续处理: the result needs a follow-up case (后续处置) and stays open until it is closed."""
    return FOLLOW_UP in validate_codes(codes)


def proposes_abnormal_listing(codes: Iterable[str]) -> bool:
    """10 无法联系: propose listing the merchant on 经营异常名录 (a regulator decides; nothing is listed here)."""
    return ABNORMAL_LISTING in validate_codes(codes)


def problem_found(codes: Iterable[str]) -> bool:
    """The check established a violation: any of 02, 04, 09, 13, 14 (see PROBLEM_CODES for what is left out)."""
    return not PROBLEM_CODES.isdisjoint(validate_codes(codes))


def _normalise(code: str) -> str:
    code = code.strip()
    return code.zfill(2) if len(code) == 1 else code


# ---------------------------------------------------------------- check items (随机抽查事项)


class CheckItem(NamedTuple):
    code: str
    name: str
    description: str


# Only the seed: the list lives in the database and the regulator edits it there.
CHECK_ITEMS: Final[tuple[CheckItem, ...]] = (
    CheckItem(
        "JL-01",
        N_("强检计量器具检定情况"),
        N_("列入强制检定目录的计量器具是否登记备案、按期申请检定，并在检定有效期内使用"),
    ),
    CheckItem(
        "JL-02",
        N_("计量器具作弊"),
        N_("是否使用作弊装置、破坏计量器具准确度或铅封、伪造计量数据"),
    ),
    CheckItem(
        "JL-03",
        N_("定量包装商品净含量"),
        N_("按 JJF 1070 抽样检验定量包装商品的净含量：单件短缺量和批量平均实际含量"),
    ),
    CheckItem(
        "JL-04",
        N_("诚信计量承诺履行"),
        N_("是否公开诚信计量承诺，并按承诺管理计量器具、开展自查和公示"),
    ),
    CheckItem(
        "JL-05",
        N_("计量单位明示"),
        N_("商品标价、计量器具示值和定量包装商品标注是否使用并明示法定计量单位"),
    ),
)


# ---------------------------------------------------------------- reasons shared by the verdicts


@dataclass(frozen=True)
class Reason:
    """One sentence of a verdict: an N_-marked msgid and its %(name)s values, so the web layer can translate it.

    Values are stored as text (Decimals in plain notation, never "1E+1"), as pairs so the verdict stays hashable.
    """

    message: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, message: str, **params: object) -> Reason:
        return cls(message, tuple((name, _text(value)) for name, value in sorted(params.items())))

    @property
    def params(self) -> dict[str, str]:
        return dict(self.args)

    def __str__(self) -> str:
        return self.message % self.params if self.args else self.message


def _text(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)
