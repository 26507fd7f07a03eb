"""Pinyin initials of merchant names, for the name search ("xzc" finds 新洲超市). Pure: no Flask, no SQLAlchemy; the
model fills its `name_initials` column with it, and the search matches typed initials against that column."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from pypinyin import Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin


class _MemoConverter(DefaultConverter):
    """pypinyin's converter, remembering each segment's result: a directory's names share their words (超市,
    便利店, 有限公司 …), and converting is most of pypinyin's time. Same pipeline, so the same output."""

    @functools.lru_cache(maxsize=100_000)  # noqa: B019 — one module-level instance, kept for the process
    def convert(self, words: str, style: Style, heteronym: bool, errors: str, strict: bool, **kwargs: Any) -> Any:
        return super().convert(words, style, heteronym, errors, strict, **kwargs)


_PINYIN = Pinyin(_MemoConverter())


def name_initials(name: str) -> str:
    """Pinyin initials of a name for search: 新洲超市 → "xzcs", "KFC肯德基（王府井店）" → "kfckdjwfjd".

    Chinese characters give the first letter of pypinyin's reading (its phrase dictionary picks a heteronym's
    reading from context: 重庆 → "cq", 银行 → "yh"); Latin letters and digits are kept (NFKC folds full-width
    ones), lower-cased; everything else (punctuation, spaces, characters without a reading) is dropped.
    Migration 5e4c0a1d2b3f holds a frozen copy of this function for its backfill: keep the two in step.
    """
    text = unicodedata.normalize("NFKC", name or "")
    joined = "".join(_PINYIN.lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    return "".join(ch for ch in joined if ch.isascii() and ch.isalnum())[:200]
