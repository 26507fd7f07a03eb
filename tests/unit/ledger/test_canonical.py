"""RFC 8785 canonical bytes and the DESIGN §4.1 record object."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from honestmeter.ledger.canonical import canonical_bytes, format_at, record, record_bytes

AT = datetime(2025, 3, 1, 8, 30, 15, 999_999, tzinfo=timezone(timedelta(hours=8)))


def test_keys_sorted_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.4's example: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < "\U0001f600" < "\ufb33".
    obj = {"\u20ac": 0, "\r": 1, "\ufb33": 2, "1": 3, "\U0001f600": 4, "\u0080": 5, "\u00f6": 6}
    assert canonical_bytes(obj) == (
        '{"\\r":1,"1":3,"\u0080":5,"\u00f6":6,"\u20ac":0,"\U0001f600":4,"\ufb33":2}'.encode()
    )


def test_no_whitespace_and_nested_objects_sorted() -> None:
    obj = {"b": [1, {"z": None, "a": True}], "a": {"y": False, "x": "s"}}
    assert canonical_bytes(obj) == b'{"a":{"x":"s","y":false},"b":[1,{"a":true,"z":null}]}'


def test_chinese_text_stays_utf8() -> None:
    assert canonical_bytes({"名称": "诚信计量示范单位"}) == '{"名称":"诚信计量示范单位"}'.encode()
    assert b"\\u" not in canonical_bytes({"名称": "诚信计量"})


def test_numbers() -> None:
    assert canonical_bytes([0, -7, 2**53 - 1, 1.0, 1.5, 1e21, 1e-7]) == b"[0,-7,9007199254740991,1,1.5,1e+21,1e-7]"
    assert canonical_bytes('\u2028\x1f"\\') == b'"\xe2\x80\xa8\\u001f\\"\\\\"'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 2**53, {1: "non-string key"}, {1, 2}])
def test_rejects_what_json_cannot_hold_exactly(bad: object) -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"v": bad})


def test_record_format() -> None:
    rec = record("inspection.result", "91110000600037341L", 2, AT, {"result": "01", "名称": "菜市场"})
    # 08:30:15.999999+08:00 is 00:30:15Z: converted to UTC and truncated to the second.
    assert rec == {
        "type": "inspection.result",
        "id": "91110000600037341L",
        "version": 2,
        "at": "2025-03-01T00:30:15Z",
        "data": {"result": "01", "名称": "菜市场"},
    }
    assert (
        record_bytes("inspection.result", "91110000600037341L", 2, AT, {"result": "01", "名称": "菜市场"})
        == (
            '{"at":"2025-03-01T00:30:15Z","data":{"result":"01","名称":"菜市场"},'
            '"id":"91110000600037341L","type":"inspection.result","version":2}'
        ).encode()
    )


def test_format_at() -> None:
    assert format_at(datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)) == "2024-12-31T23:59:59Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_at(datetime(2024, 1, 1))  # noqa: DTZ001 - the naive datetime is the point


@pytest.mark.parametrize(
    ("type_", "version"),
    [("", 1), ("merchant", 0), ("merchant", -1), ("merchant", True)],
)
def test_record_validation(type_: str, version: int) -> None:
    with pytest.raises(ValueError):
        record(type_, "x", version, AT, {})


def test_record_rejects_naive_time() -> None:
    with pytest.raises(ValueError):
        record("merchant", "x", 1, datetime(2024, 1, 1), {})  # noqa: DTZ001


# The fast path (the C JSON encoder) must give byte-identical output to the rfc8785 package.
_json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text()
_json = st.recursive(
    _json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_fast_path_matches_rfc8785_byte_for_byte(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except ValueError:
        with pytest.raises(ValueError):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb33": 2, "a": 3},  # astral key: JCS sorts by UTF-16 code units
        {"x": '\x00\x1f\u007f\u2028"\\\\/'},
        {"n": 2**53 - 1, "m": -(2**53 - 1)},
        {"名称": "计量", "address": "北京市"},
    ],
)
def test_fast_path_edge_cases(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_unsafe_integers_and_floats_still_follow_rfc8785() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"n": 2**53})
    assert canonical_bytes({"f": 1.5, "g": 1e21}) == rfc8785.dumps({"f": 1.5, "g": 1e21})
