"""Pinyin initials of merchant names (search by 拼音首字母), and the migration's frozen copy of the function."""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from honestmeter.merchants.initials import name_initials

MIGRATION = (
    Path(__file__).resolve().parents[3] / "honestmeter/migrations/versions/20261123_5e4c0a1d2b3f_merchant_search.py"
)


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("新洲超市", "xzcs"),
        ("华联超市", "hlcs"),
        ("永辉张氏超市12号", "yhzscs12h"),
        ("KFC肯德基（王府井店）", "kfckdjwfjd"),  # Latin letters kept whole, full-width brackets dropped
        ("ＡＢＣ便利店", "abcbld"),  # full-width letters folded
        ("7天酒店", "7tjd"),
        ("重庆小面", "cqxm"),  # pypinyin's phrase dictionary reads 重 as chóng here
        ("中国银行股份有限公司北京分行", "zgyhgfyxgsbjfh"),  # 行 as háng in 银行 and 分行
        ("长沙臭豆腐", "cscdf"),
        ("绿地超市", "ldcs"),  # lǜ → l
        ("沃尔玛 (深圳) 店", "wemszd"),
        ("a_b%c", "abc"),
        ("😀店", "d"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_initials(name: str, initials: str) -> None:
    assert name_initials(name) == initials


def test_heteronyms_take_pypinyins_default_reading() -> None:
    # 曾 as a surname is zēng, but pypinyin reads it céng: the initials follow pypinyin, whatever it says.
    assert name_initials("曾记粥铺") == "cjzp"


def test_initials_fit_the_column() -> None:
    assert len(name_initials("㈱" * 200)) == 200  # NFKC makes ㈱ "(株)", which gives "z": never over 200


@given(st.text(max_size=60))
def test_initials_are_lower_case_ascii_letters_and_digits(name: str) -> None:
    initials = name_initials(name)
    assert all(ch.isascii() and (ch.islower() or ch.isdigit()) for ch in initials)


@functools.cache
def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("merchant_search_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(["新洲超市", "KFC肯德基", "重庆"]))
def test_the_migration_backfills_with_the_same_function(name: str) -> None:
    assert _migration().name_initials(name) == name_initials(name)


WORDS = [
    "新洲",
    "超市",
    "重庆",
    "银行",
    "分行",
    "长沙",
    "行长",
    "便利店",
    "有限公司",
    "（",
    "）",
    "KFC",
    "7",
    "曾记",
    "号",
]


def plain_initials(name: str) -> str:
    """name_initials without the per-segment memory: pypinyin's lazy_pinyin as documented."""
    joined = "".join(lazy_pinyin(unicodedata.normalize("NFKC", name), style=Style.FIRST_LETTER)).lower()
    return "".join(ch for ch in joined if ch.isascii() and ch.isalnum())[:200]


@given(st.lists(st.sampled_from(WORDS), max_size=8).map("".join) | st.text(max_size=30))
def test_remembered_segments_change_nothing(name: str) -> None:
    # Names built from a few shared words hit the per-segment cache; the result must stay pypinyin's own.
    assert name_initials(name) == plain_initials(name)
    assert _migration().name_initials(name) == plain_initials(name)


def test_sqlite_name_and_initials_clauses_keep_their_own_phrases() -> None:
    from sqlalchemy.dialects import sqlite

    from honestmeter.merchants import search

    clause = search.matching("abcd", "sqlite")
    assert clause is not None
    phrases = sorted(str(v) for v in clause.compile(dialect=sqlite.dialect()).params.values() if "abcd" in str(v))
    assert phrases == ['name : "abcd"', 'name_initials : "abcd"']
