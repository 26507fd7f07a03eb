"""Merchant search: name fragment, USCC prefix or pinyin initials, with sector, region and grade filters.

One statement serves the public home page and the console directory (`queries.search_stmt` is the entry point).
Over a million merchants a substring match must not scan the table, so fragments go through indexes built by
migration 5e4c0a1d2b3f:

- PostgreSQL: pg_trgm GIN indexes on name and initials (served by ILIKE) for fragments of three characters or
  more; below that a trigram index cannot match, so GIN indexes on hm_short_grams(), every one- and two-character
  substring of the lower-cased text, answer `grams @> ARRAY[lower(q)]`, which is exact for such short fragments.
- SQLite: an FTS5 table with the trigram tokenizer (`merchants_fts`, kept in step by triggers) for three
  characters or more; shorter fragments fall back to LIKE (SQLite is the single-node default, not the 1 M case).

A USCC prefix is a range on the unique index. Results are in name order and paged without an unbounded count
(`page_of`): counting every match of a broad query would cost more than the page itself, so the count stops at
`COUNT_CAP`, and only the first `COUNT_CAP` results are reachable (refine the query for the rest).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from honestmeter.extensions import db
from honestmeter.merchants.models import Merchant

TRIGRAM = 3  # the shortest fragment a trigram index can match
COUNT_CAP = 1000
PER_PAGE = 20
MAX_QUERY = 200  # characters of q kept: no name is longer
USCC_FRAGMENT = re.compile(r"[0-9A-Z]{1,18}")
INITIALS_FRAGMENT = re.compile(r"[0-9a-z]*[a-z][0-9a-z]*")
# USCC characters (GB 32100) sort after digits and ≤ "Z" in any collation: q ≤ code ≤ q + "ZZ…" bounds a prefix as a
# range the unique index on `uscc` can serve (LIKE 'q%' can use it only under the C collation).
USCC_LENGTH = 18


# What migration 5e4c0a1d2b3f builds beyond the models: SQLite's FTS5 table (and its shadow tables), PostgreSQL's
# trigram and short-fragment GIN indexes. Neither can be declared on the models for both backends, so autogenerate
# skips them.
SEARCH_TABLES = frozenset(
    ("merchants_fts", "merchants_fts_data", "merchants_fts_idx", "merchants_fts_docsize", "merchants_fts_config")
)
SEARCH_INDEXES = frozenset(
    (
        "ix_merchants_name_trgm",
        "ix_merchants_name_initials_trgm",
        "ix_merchants_name_grams",
        "ix_merchants_name_initials_grams",
    )
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook (migrations/env.py, tests/test_migrations.py): the search structures are
    not drift."""
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


def _like_fragment(text: str) -> str:
    """`%text%` with LIKE's wildcards and the escape character taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(column: str, text: str) -> str:
    """An FTS5 query matching `text` as a substring of `column` (trigram tokenizer): quotes doubled, so any
    character (operators, * ^ : ( ) included) is just text."""
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


def _fragment_match(column: sa.orm.InstrumentedAttribute[Any], fts_column: str, text: str, dialect: str) -> Any:
    if dialect == "sqlite" and len(text) >= TRIGRAM:
        fts = sa.table("merchants_fts", sa.column("rowid", sa.Integer))
        # A unique bind parameter: the name and the initials clause sit in one statement with different phrases.
        phrase: sa.BindParameter[str] = sa.bindparam("phrase", _fts_phrase(fts_column, text), unique=True)
        matching = sa.select(fts.c.rowid).where(sa.text("merchants_fts MATCH :phrase").bindparams(phrase))
        return Merchant.id.in_(matching)
    if dialect == "postgresql" and len(text) < TRIGRAM:
        # Exact for one or two characters (ILIKE is lower() on both sides), and served by a GIN index on the
        # same expression; with no ILIKE beside it the planner's estimate is the grams' own statistics.
        grams = sa.func.hm_short_grams(column, type_=postgresql.ARRAY(sa.Text))
        return grams.contains(postgresql.array([sa.func.lower(sa.literal(text, sa.Text))]))
    pattern = _like_fragment(text)
    if dialect == "sqlite" or (dialect == "postgresql" and text.lower() == text.upper()):
        # SQLite's LIKE ignores ASCII case already; on PostgreSQL a fragment without cased letters (Chinese, digits)
        # needs no folding, and LIKE filters a scan about four times faster than ILIKE (pg_trgm serves both).
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _uscc_prefix(code: str) -> Any:
    return sa.and_(
        Merchant.uscc >= code,
        Merchant.uscc <= code + "Z" * (USCC_LENGTH - len(code)),
        Merchant.uscc.startswith(code),
    )


def matching(q: str, dialect: str | None = None, *, indexed: bool = True) -> Any | None:
    """The WHERE clause for a query string, or None when it is blank.

    `indexed=False` gives the plain ILIKE form on either backend: the indexed forms' reference in the tests.
    """
    q = q.strip()
    if not q:
        return None
    dialect = dialect or db.session.get_bind().dialect.name
    if not indexed:
        dialect = "like"
    folded = unicodedata.normalize("NFKC", q)
    clauses = [_fragment_match(Merchant.name, "name", q, dialect)]
    code = folded.upper()
    if USCC_FRAGMENT.fullmatch(code):
        clauses.append(_uscc_prefix(code))
    letters = folded.lower()
    if INITIALS_FRAGMENT.fullmatch(letters):
        clauses.append(_fragment_match(Merchant.name_initials, "name_initials", letters, dialect))
    return sa.or_(*clauses)


def search_stmt(
    q: str = "", sector: str = "", region_prefix: str = "", grade: str = "", *, indexed: bool = True
) -> sa.Select[tuple[Merchant]]:
    """Merchants matching `q` (name fragment, USCC prefix, or pinyin initials fragment), in name order.

    `region_prefix` is a GB/T 2260 code prefix (queries.region_prefix). `grade` filters on the credit grade as
    given: whether a visitor may filter by grade (grades public) is the caller's decision. Over a large directory
    page it with `page_of`, not with LIMIT/OFFSET on this ORDER BY (see page_of for why).
    """
    stmt = sa.select(Merchant)
    where = matching(q, indexed=indexed)
    if where is not None:
        stmt = stmt.where(where)
    if sector:
        stmt = stmt.where(Merchant.sector_code == sector)
    if region_prefix:
        stmt = stmt.where(Merchant.region_code.startswith(region_prefix, autoescape=True))
    if grade:
        stmt = stmt.where(Merchant.grade == grade)
    return stmt.order_by(Merchant.name, Merchant.id)


@dataclass
class SearchPage:
    """A page of results with a capped count: `total` is exact up to COUNT_CAP, else None ("more than")."""

    items: Sequence[Merchant]
    page: int
    per_page: int
    total: int | None
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def capped(self) -> bool:
        return self.total is None

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def pages(self) -> int:
        """Pages reachable: all of them, or those within the first COUNT_CAP results."""
        shown = COUNT_CAP if self.total is None else self.total
        return max(1, math.ceil(shown / self.per_page))


def last_page(per_page: int = PER_PAGE) -> int:
    return math.ceil(COUNT_CAP / per_page)


def page_of(stmt: sa.Select[tuple[Merchant]], page: int, per_page: int = PER_PAGE) -> SearchPage:
    """One page, in name order, of the first COUNT_CAP + 1 merchants the database finds for `stmt`, and the count.

    Not `stmt ORDER BY name LIMIT n`: PostgreSQL then walks the name index and filters, expecting matches to be
    spread evenly in name order, and a fragment that begins names (温州…, 杭州…) is nowhere near it: 9 s over 1 M
    merchants where the index finds the 25,000 matches in 10 ms. The candidates are taken in whatever order is
    cheapest (the search indexes), at most COUNT_CAP + 1 of them, and sorted: all the matches when there are no
    more than COUNT_CAP, else COUNT_CAP of them ("more than", refine the query). Page numbers are clamped to
    1 … COUNT_CAP / per_page; a first page shorter than per_page is its own count.
    """
    page = min(max(1, page), last_page(per_page))
    offset = (page - 1) * per_page
    candidates = stmt.order_by(None).with_only_columns(Merchant.id).limit(COUNT_CAP + 1)
    ordered = sa.select(Merchant).where(Merchant.id.in_(candidates)).order_by(Merchant.name, Merchant.id)
    rows = db.session.scalars(ordered.limit(per_page + 1).offset(offset)).unique().all()
    items = rows[: min(per_page, COUNT_CAP - offset)]
    has_next = len(rows) > per_page and offset + per_page < COUNT_CAP
    if page == 1 and len(rows) <= per_page:
        total: int | None = len(rows)
    else:
        found = db.session.scalar(sa.select(sa.func.count()).select_from(candidates.subquery())) or 0
        total = found if found <= COUNT_CAP else None
    return SearchPage(items=items, page=page, per_page=per_page, total=total, has_next=has_next)
