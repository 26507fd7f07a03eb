"""Validate, parse and build 统一社会信用代码 (Unified Social Credit Codes, GB 32100-2015)."""

from __future__ import annotations

import random
import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CHARSET",
    "USCCError",
    "USCCParts",
    "USCCReason",
    "check_char",
    "make",
    "normalize",
    "org_check_char",
    "parse",
    "random_code",
    "validate",
]

# GB 32100 drops I, O, Z, S, V so they cannot be misread as 1, 0, 2, 5, U.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18

_VALUES = {c: i for i, c in enumerate(CHARSET)}
# Weights 3^(i-1) mod 31 for positions 1-17; all are coprime to 31, so any single substitution changes S.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# GB 11714 (organisation code) predates GB 32100 and still uses the full 0-9A-Z alphabet for its check.
_ORG_VALUES = {c: i for i, c in enumerate(string.digits + string.ascii_uppercase)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_EXCLUDED = "IOZSV"
_PREFIX = "统一社会信用代码"
# NFKC already folds full-width "－" to "-"; these dashes survive it and are just as common in pasted text.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")

USCCReason = Literal["empty", "length", "charset", "region", "org_check", "check"]


class USCCError(ValueError):
    """A code that fails GB 32100; positions are 1-based and refer to the normalized code."""

    reason: USCCReason
    position: int | None
    expected: str | None
    found: str | None
    length: int | None

    def __init__(
        self,
        reason: USCCReason,
        position: int | None = None,
        expected: str | None = None,
        found: str | None = None,
        length: int | None = None,
    ) -> None:
        self.reason = reason
        self.position = position
        self.expected = expected
        self.found = found
        self.length = length
        super().__init__(self._message())

    def __reduce__(self) -> tuple[type[USCCError], tuple[object, ...]]:
        # The default reduce would call cls(message), which is not our signature; keep the error picklable.
        return (type(self), (self.reason, self.position, self.expected, self.found, self.length))

    def params(self) -> dict[str, object]:
        """The facts behind the message, so another layer can word it in another language."""
        return {
            "reason": self.reason,
            "position": self.position,
            "expected": self.expected,
            "found": self.found,
            "length": self.length,
        }

    def _message(self) -> str:
        match self.reason:
            case "empty":
                return f"{_PREFIX}不能为空"
            case "length":
                return f"{_PREFIX}应为{LENGTH}位，实际为{self.length}位"
            case "charset":
                hint = (
                    "不使用 I、O、Z、S、V"
                    if self.found is not None and self.found in _EXCLUDED
                    else "只能使用数字和除 I、O、Z、S、V 以外的大写英文字母"
                )
                return f"{_PREFIX}第{self.position}位含有不允许的字符“{self.found}”（{hint}）"
            case "region":
                return f"{_PREFIX}第3—8位（登记管理机关行政区划码）应为6位数字"
            case "org_check":
                return f"{_PREFIX}第17位（组织机构代码校验码）应为“{self.expected}”，实际为“{self.found}”"
            case "check":
                return f"{_PREFIX}第18位（校验码）应为“{self.expected}”，实际为“{self.found}”"


@dataclass(frozen=True)
class USCCParts:
    """The fields of a valid code."""

    authority: str  # position 1: 登记管理部门码
    category: str  # position 2: 机构类别码
    region: str  # positions 3-8: 登记管理机关行政区划码 (GB/T 2260)
    org_code: str  # positions 9-17: 组织机构代码 including its own check character


def normalize(raw: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, and uppercase."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


def check_char(first17: str) -> str:
    """The position-18 check character for the first 17 characters (GB 32100 / GB/T 17710)."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC character set") from None
    return CHARSET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """The GB 11714 organisation-code check character (position 17) for the 8 body characters."""
    if len(body8) != 8:
        raise ValueError(f"expected 8 characters, got {len(body8)}")
    try:
        total = sum(_ORG_VALUES[c] * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in 0-9A-Z") from None
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate(raw: str) -> str:
    """Return the normalized code, or raise USCCError for the first rule it breaks."""
    code = normalize(raw)
    if not code:
        raise USCCError("empty", length=0)
    if len(code) != LENGTH:
        raise USCCError("length", length=len(code))
    for position, c in enumerate(code, start=1):
        if c not in _VALUES:
            raise USCCError("charset", position=position, found=c, length=LENGTH)
    for position in range(3, 9):
        c = code[position - 1]
        if c not in string.digits:
            raise USCCError("region", position=position, found=c, length=LENGTH)
    # The org check goes first: it pins the error to position 17 when only that part is wrong.
    expected = org_check_char(code[8:16])
    if code[16] != expected:
        raise USCCError("org_check", position=17, expected=expected, found=code[16], length=LENGTH)
    expected = check_char(code[:17])
    if code[17] != expected:
        raise USCCError("check", position=18, expected=expected, found=code[17], length=LENGTH)
    return code


def parse(code: str) -> USCCParts:
    """Validate a code and split it into its fields."""
    code = validate(code)
    return USCCParts(authority=code[0], category=code[1], region=code[2:8], org_code=code[8:17])


def make(authority: str, category: str, region: str, body8: str) -> str:
    """Build a valid code from its parts by appending both check characters."""
    for name, value, size in (("authority", authority, 1), ("category", category, 1), ("body8", body8, 8)):
        if len(value) != size or any(c not in _VALUES for c in value):
            raise ValueError(f"{name} must be {size} character(s) from {CHARSET}, got {value!r}")
    # str.isdigit() also accepts other scripts' digits, which the code cannot hold.
    if len(region) != 6 or any(c not in string.digits for c in region):
        raise ValueError(f"region must be 6 ASCII digits, got {region!r}")
    first17 = authority + category + region + body8 + org_check_char(body8)
    return first17 + check_char(first17)


def random_code(rng: random.Random, region: str, authority: str = "9", category: str = "1") -> str:
    """A valid code with a random body, reproducible from ``rng`` (for demo data)."""
    body8 = "".join(rng.choice(CHARSET) for _ in range(8))
    return make(authority, category, region, body8)
