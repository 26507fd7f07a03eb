"""The search indexes agree with a plain LIKE: SQLite's FTS5 trigram table (kept by triggers) and PostgreSQL's
pg_trgm GIN indexes must find exactly what scanning every name finds, also after renames and deletions."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.merchants import initials, search
from honestmeter.merchants.models import Merchant
from tests.factories import MerchantFactory

NAMES = [
    "新洲超市",
    "新洲超市（福田店）",
    "超超超市",
    "华联超市",
    "永辉张氏超市12号",
    "KFC肯德基（王府井店）",
    "kfc炸鸡",
    "Kfc Express",
    "ＡＢＣ便利店",
    "abc",
    "7天酒店",
    "重庆小面",
    "中国银行股份有限公司北京分行",
    '引号"测试"店',
    "百分百%纯",
    "A_B便利店",
    "反斜杠\\店",
    "店",
    "鑫源王记加油站3号",
    "金穗李氏眼镜店88号",
]
FIXED_QUERIES = [
    "超市",
    "超超",
    "超超超",
    "超市（",
    "kfc",
    "KFC",
    "Kfc e",
    "xzcs",
    "XZCS",
    "zcs",
    "cs",
    "abc",
    "ABC",
    "ＡＢＣ",
    "7tjd",
    "12h",
    '"测试"',
    "%纯",
    "_B",
    "\\店",
    "不存在的店",
    "yhzscs12",
    "店",
    "aaaa",
]


def queries() -> list[str]:
    """The fixed queries and fragments of 1–5 characters cut from the names and their initials."""
    rng = random.Random(20261123)
    cut = []
    for text in NAMES + [initials.name_initials(n) for n in NAMES]:
        for _ in range(4):
            length = rng.randint(1, min(5, len(text)))
            start = rng.randint(0, len(text) - length)
            cut.append(text[start : start + length])
    return FIXED_QUERIES + cut


@pytest.fixture
def corpus() -> list[Merchant]:
    return [MerchantFactory(name=name) for name in NAMES]


@pytest.fixture
def plan() -> Iterator[None]:
    """On PostgreSQL, make the planner take the trigram indexes (a table this small would be scanned)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    yield
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = on"))


def ids(q: str, *, indexed: bool) -> set[int]:
    stmt = search.search_stmt(q, indexed=indexed).with_only_columns(Merchant.id)
    if not indexed and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
        try:
            return set(db.session.scalars(stmt))
        finally:
            db.session.execute(sa.text("SET LOCAL enable_bitmapscan = on"))
    return set(db.session.scalars(stmt))


def assert_agree(merchants: list[Merchant]) -> int:
    ours = {m.id for m in merchants}
    hits = 0
    for q in queries():
        indexed, scanned = ids(q, indexed=True) & ours, ids(q, indexed=False) & ours
        assert indexed == scanned, q
        hits += bool(indexed)
    return hits


def test_the_index_and_a_scan_agree(corpus: list[Merchant], plan: None) -> None:
    assert assert_agree(corpus) > len(queries()) * 0.8  # most queries find something: the test compares something


def test_they_still_agree_after_renames_and_deletions(corpus: list[Merchant], plan: None) -> None:
    corpus[0].name = "旧洲便利店"
    corpus[5].name = "麦当劳McDonald's"
    db.session.delete(corpus[3])
    db.session.flush()
    alive = [m for n, m in enumerate(corpus) if n != 3]
    assert_agree(alive)
    assert corpus[0].id not in ids("新洲超", indexed=True)
    assert corpus[0].id in ids("旧洲便", indexed=True) and corpus[0].id in ids("jzbld", indexed=True)
    assert corpus[5].id in ids("mcdonald", indexed=True) and corpus[5].id not in ids("kdj", indexed=True)


def test_fragments_go_through_the_indexes() -> None:
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite":
        assert "merchants_fts MATCH" in str(search.search_stmt("新洲超").compile(dialect=dialect))
        assert "merchants_fts" not in str(search.search_stmt("新洲").compile(dialect=dialect))
        return
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    for q, indexes in (
        ("新洲超", ("ix_merchants_name_trgm",)),
        ("新洲", ("ix_merchants_name_grams",)),
        ("xzc", ("ix_merchants_name_trgm", "ix_merchants_name_initials_trgm")),
        ("xz", ("ix_merchants_name_grams", "ix_merchants_name_initials_grams")),
    ):
        stmt = search.search_stmt(q).order_by(None).with_only_columns(Merchant.id)
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.scalars(sa.text(f"EXPLAIN {compiled}")))
        for index in indexes:
            assert index in plan, (q, plan)
    db.session.execute(sa.text("SET LOCAL enable_seqscan = on"))


def test_new_merchants_get_their_initials() -> None:
    merchant = MerchantFactory(name="新洲超市")
    assert merchant.name_initials == "xzcs"
    merchant.name = "华联超市"
    assert merchant.name_initials == "hlcs"
    db.session.flush()
    stored = db.session.scalar(sa.select(Merchant.name_initials).where(Merchant.id == merchant.id))
    assert stored == "hlcs"
