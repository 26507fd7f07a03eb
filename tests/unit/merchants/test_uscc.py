"""Tests for the 统一社会信用代码 (GB 32100-2015) validator; vectors come from docs domain.md §6."""

from __future__ import annotations

import dataclasses
import pickle
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.merchants.uscc import (
    CHARSET,
    USCCError,
    USCCParts,
    check_char,
    make,
    normalize,
    org_check_char,
    parse,
    random_code,
    validate,
)

HUAWEI = "914403001922038216"
VALID_CODES = [
    HUAWEI,
    "91440300708461136T",
    "91330100716105852F",
    "91350200776049653A",
    "913502000728319549",
    "91440101MA5CJQ4N59",
]
FAILING = "91350203M0001QAY9B"

# Weights and values exactly as printed in GB 32100 / domain.md, independent of the module's arithmetic.
PRINTED_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _raises(raw: str) -> USCCError:
    with pytest.raises(USCCError) as info:
        validate(raw)
    return info.value


def _replace(code: str, position: int, char: str) -> str:
    return code[: position - 1] + char + code[position:]


# --- published vectors ---------------------------------------------------------------------------


def test_charset_is_the_31_characters_of_gb_32100() -> None:
    assert len(CHARSET) == 31
    assert len(set(CHARSET)) == 31
    assert not set("IOZSV") & set(CHARSET)
    assert set(CHARSET) | set("IOZSV") == set(string.digits + string.ascii_uppercase)


@pytest.mark.parametrize("code", VALID_CODES)
def test_published_valid_codes_validate(code: str) -> None:
    assert validate(code) == code
    assert org_check_char(code[8:16]) == code[16]
    assert check_char(code[:17]) == code[17]


def test_published_failing_code_fails_at_position_18_expecting_9() -> None:
    err = _raises(FAILING)
    assert err.reason == "check"
    assert (err.position, err.expected, err.found) == (18, "9", "B")
    assert str(err) == "统一社会信用代码第18位（校验码）应为“9”，实际为“B”"


def test_weights_are_powers_of_three_mod_31() -> None:
    assert [pow(3, i - 1, 31) for i in range(1, 18)] == PRINTED_WEIGHTS


def test_worked_example_position_18() -> None:
    values = [CHARSET.index(c) for c in HUAWEI[:17]]
    assert values == [9, 1, 4, 4, 0, 3, 0, 0, 1, 9, 2, 2, 0, 3, 8, 2, 1]
    products = [v * w for v, w in zip(values, PRINTED_WEIGHTS, strict=True)]
    assert products == [9, 3, 36, 108, 0, 78, 0, 0, 20, 261, 50, 26, 0, 72, 80, 60, 28]
    assert sum(products) == 831
    assert 831 % 31 == 25
    assert check_char(HUAWEI[:17]) == CHARSET[31 - 25] == "6"


def test_worked_example_organisation_code() -> None:
    body = HUAWEI[8:16]
    assert body == "19220382"
    products = [int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)]
    assert products == [3, 63, 18, 20, 0, 24, 32, 4]
    assert sum(products) == 164
    assert 164 % 11 == 10
    assert org_check_char(body) == "1"


# --- check-character edge cases ------------------------------------------------------------------


def test_check_char_maps_31_to_0() -> None:
    assert check_char("0" * 17) == "0"


def test_check_char_uses_charset_values_for_letters() -> None:
    # "Y" is value 30 in CHARSET (not 34 as in 0-9A-Z): S = 30 * 28 = 840, 840 mod 31 = 3, 31 - 3 = 28 -> "W".
    assert check_char("0" * 16 + "Y") == CHARSET[28] == "W"


def test_org_check_char_maps_11_to_0_and_10_to_x() -> None:
    assert org_check_char("00000000") == "0"  # sum 0 -> 11 -> "0"
    assert org_check_char("00000006") == "X"  # sum 12, 12 mod 11 = 1 -> 10 -> "X"


def test_org_check_char_uses_full_alphanumeric_values() -> None:
    # GB 11714 counts Z as 35 even though GB 32100 forbids Z: 35 * 2 = 70, 70 mod 11 = 4, 11 - 4 = 7.
    assert org_check_char("0000000Z") == "7"


@pytest.mark.parametrize(
    "bad", ["", "9144030019220382", "914403001922038216", "9144030019220382I", "9144030019220382-"]
)
def test_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        check_char(bad)


@pytest.mark.parametrize("bad", ["", "1922038", "192203821", "1922038a", "1922038-"])
def test_org_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        org_check_char(bad)


# --- each error reason ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", " - -", "\u3000"])
def test_empty(raw: str) -> None:
    err = _raises(raw)
    assert err.reason == "empty"
    assert err.position is None
    assert err.length == 0
    assert str(err) == "统一社会信用代码不能为空"


@pytest.mark.parametrize(("raw", "length"), [(HUAWEI[:17], 17), (HUAWEI + "0", 19), ("9", 1)])
def test_length(raw: str, length: int) -> None:
    err = _raises(raw)
    assert err.reason == "length"
    assert err.length == length
    assert (err.position, err.expected, err.found) == (None, None, None)
    assert str(err) == f"统一社会信用代码应为18位，实际为{length}位"


def test_length_is_checked_before_charset() -> None:
    assert _raises("91O40300192203821").reason == "length"


def test_charset_excluded_letter() -> None:
    err = _raises(_replace(HUAWEI, 3, "O"))
    assert err.reason == "charset"
    assert (err.position, err.expected, err.found) == (3, None, "O")
    assert str(err) == "统一社会信用代码第3位含有不允许的字符“O”（不使用 I、O、Z、S、V）"


def test_charset_other_character() -> None:
    err = _raises(_replace(HUAWEI, 10, "@"))
    assert (err.reason, err.position, err.found) == ("charset", 10, "@")
    assert str(err).startswith("统一社会信用代码第10位含有不允许的字符“@”")


def test_charset_reports_first_bad_position() -> None:
    err = _raises("9Z4403001922038S1V")
    assert (err.reason, err.position, err.found) == ("charset", 2, "Z")


def test_charset_is_checked_before_region() -> None:
    # Position 3 is a letter (a region error) but position 4 is not in the character set at all.
    err = _raises("91AO03001922038216")
    assert (err.reason, err.position, err.found) == ("charset", 4, "O")


def test_region() -> None:
    err = _raises(_replace(HUAWEI, 5, "A"))
    assert err.reason == "region"
    assert (err.position, err.expected, err.found) == (5, None, "A")
    assert str(err) == "统一社会信用代码第3—8位（登记管理机关行政区划码）应为6位数字"


def test_org_check() -> None:
    err = _raises(_replace(HUAWEI, 17, "X"))
    assert err.reason == "org_check"
    assert (err.position, err.expected, err.found) == (17, "1", "X")
    assert str(err) == "统一社会信用代码第17位（组织机构代码校验码）应为“1”，实际为“X”"


def test_check() -> None:
    err = _raises(_replace(HUAWEI, 18, "5"))
    assert err.reason == "check"
    assert (err.position, err.expected, err.found) == (18, "6", "5")
    assert str(err) == "统一社会信用代码第18位（校验码）应为“6”，实际为“5”"


def test_error_is_a_value_error_with_params() -> None:
    err = _raises(_replace(HUAWEI, 18, "5"))
    assert isinstance(err, ValueError)
    assert err.params() == {"reason": "check", "position": 18, "expected": "6", "found": "5", "length": 18}


def test_error_pickles() -> None:
    err = _raises(_replace(HUAWEI, 17, "X"))
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - round-tripping our own object
    assert copy.params() == err.params()
    assert str(copy) == str(err)


# --- normalization -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１４４０３００１９２２０３８２１６", HUAWEI),  # full-width digits
        ("９１４４０３００７０８４６１１３６Ｔ", "91440300708461136T"),  # full-width letter
        ("91440300708461136t", "91440300708461136T"),  # lowercase
        ("  9144 0300 1922 0382 16\t", HUAWEI),  # spaces and tabs
        ("914403-00192203821-6", HUAWEI),  # hyphens
        ("914403－001922038216", HUAWEI),  # full-width hyphen
        ("914403\u3000001922038216", HUAWEI),  # ideographic space
        ("91440101ma5cjq4n59", "91440101MA5CJQ4N59"),
    ],
)
def test_normalize_and_validate(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert validate(raw) == expected


def test_normalize_keeps_excluded_letters_for_the_charset_check() -> None:
    assert normalize("91ｏ") == "91O"
    assert (_raises("91i403001922038216").reason, _raises("91i403001922038216").found) == ("charset", "I")


# --- parse / make / random_code ------------------------------------------------------------------


def test_parse() -> None:
    assert parse(HUAWEI) == USCCParts(authority="9", category="1", region="440300", org_code="192203821")
    assert parse("9144-0300-1922-0382-16").org_code == "192203821"


def test_parse_validates() -> None:
    with pytest.raises(USCCError) as info:
        parse(FAILING)
    assert info.value.reason == "check"


def test_parts_are_frozen() -> None:
    parts = parse(HUAWEI)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parts.region = "350100"  # type: ignore[misc]


@pytest.mark.parametrize("code", VALID_CODES)
def test_make_rebuilds_published_codes(code: str) -> None:
    assert make(code[0], code[1], code[2:8], code[8:16]) == code


@pytest.mark.parametrize(
    ("authority", "category", "region", "body8"),
    [
        ("", "1", "440300", "19220382"),
        ("91", "1", "440300", "19220382"),
        ("S", "1", "440300", "19220382"),
        ("9", "O", "440300", "19220382"),
        ("9", "1", "44030", "19220382"),
        ("9", "1", "4403A0", "19220382"),
        ("9", "1", "４４０３００", "19220382"),
        ("9", "1", "440300", "1922038"),
        ("9", "1", "440300", "1922038I"),
        ("9", "1", "440300", "1922038z"),
    ],
)
def test_make_rejects_bad_parts(authority: str, category: str, region: str, body8: str) -> None:
    with pytest.raises(ValueError):
        make(authority, category, region, body8)


def test_random_code_is_reproducible() -> None:
    first = random_code(random.Random(42), "350100")
    assert random_code(random.Random(42), "350100") == first
    assert validate(first) == first
    assert first.startswith("91350100")


def test_random_code_uses_authority_and_category() -> None:
    parts = parse(random_code(random.Random(1), "440300", authority="5", category="3"))
    assert (parts.authority, parts.category, parts.region) == ("5", "3", "440300")


def test_random_code_varies() -> None:
    rng = random.Random(7)
    assert len({random_code(rng, "440300") for _ in range(50)}) == 50


# --- properties ----------------------------------------------------------------------------------

charset_chars = st.sampled_from(CHARSET)
regions = st.text(alphabet=string.digits, min_size=6, max_size=6)
bodies = st.text(alphabet=CHARSET, min_size=8, max_size=8)
valid_codes = st.builds(make, charset_chars, charset_chars, regions, bodies)
positions = st.integers(min_value=1, max_value=18)


@given(charset_chars, charset_chars, regions, bodies)
def test_make_validates_and_parses_back(authority: str, category: str, region: str, body8: str) -> None:
    code = make(authority, category, region, body8)
    assert validate(code) == code
    parts = parse(code)
    assert (parts.authority, parts.category, parts.region) == (authority, category, region)
    assert parts.org_code[:8] == body8
    assert parts.org_code[8] == org_check_char(body8)


@given(st.integers(), regions)
def test_random_code_always_validates(seed: int, region: str) -> None:
    code = random_code(random.Random(seed), region)
    assert validate(code) == code
    assert parse(code).region == region


@given(valid_codes, positions, st.integers(min_value=1, max_value=30))
def test_any_single_substitution_is_detected(code: str, position: int, shift: int) -> None:
    original = code[position - 1]
    # Shifting the value by 1..30 mod 31 reaches every other CHARSET character, with no filtering.
    replacement = CHARSET[(CHARSET.index(original) + shift) % 31]
    err = _raises(_replace(code, position, replacement))
    if position == 18:
        assert (err.reason, err.expected, err.found) == ("check", original, replacement)
    elif position == 17:
        assert (err.reason, err.expected, err.found) == ("org_check", original, replacement)
    elif 9 <= position <= 16:
        assert err.reason in {"org_check", "check"}
    elif 3 <= position <= 8 and replacement not in string.digits:
        assert (err.reason, err.position, err.found) == ("region", position, replacement)
    else:
        assert (err.reason, err.found) == ("check", code[17])


@given(valid_codes, st.integers(min_value=1, max_value=15))
def test_adjacent_transpositions_in_positions_1_to_16_are_detected(code: str, position: int) -> None:
    a, b = code[position - 1], code[position]
    swapped = code[: position - 1] + b + a + code[position + 1 :]
    if a == b:
        assert validate(swapped) == code
    else:
        with pytest.raises(USCCError):
            validate(swapped)


@given(valid_codes, positions, st.sampled_from("IOZSVioszv"))
def test_excluded_letters_are_rejected_at_their_position(code: str, position: int, bad: str) -> None:
    err = _raises(_replace(code, position, bad))
    assert (err.reason, err.position, err.found) == ("charset", position, bad.upper())


@given(valid_codes, st.lists(st.tuples(st.integers(0, 18), st.sampled_from([" ", "-", "－", "\u3000"]))))
def test_separators_and_case_do_not_matter(code: str, inserts: list[tuple[int, str]]) -> None:
    raw = code.lower()
    for index, sep in sorted(inserts, reverse=True):
        raw = raw[:index] + sep + raw[index:]
    assert validate(raw) == code
