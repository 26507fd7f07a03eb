"""merchant search: pinyin initials column, trigram and short-fragment indexes (PostgreSQL), FTS5 trigram table (SQLite)

Revision ID: 5e4c0a1d2b3f
Revises: 9c0b23afa689
Create Date: 2026-11-23 15:10:00.000000

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.

The new column is nullable, so the previous release keeps inserting merchants (their initials stay
empty until the next save through the app). On PostgreSQL the backfill runs in short autocommitted
batches and the indexes are built CONCURRENTLY, so writers to `merchants` are never blocked for
the length of a build; that needs the migration transaction committed first (see _outside_transaction).

A trigram index cannot match a fragment of one or two characters (a two-character Chinese query is common), so
PostgreSQL also gets GIN indexes on hm_short_grams(): every one- and two-character substring of the lower-cased text.
On SQLite `merchants_fts` is an external-content FTS5 table kept in step by triggers. A later
migration that rebuilds `merchants` with batch_alter_table (copy and move) drops those triggers
with the old table: it must recreate them (copy _SQLITE_TRIGGERS) and run the 'rebuild' command.
"""

import functools
import unicodedata

from alembic import op
import sqlalchemy as sa
from pypinyin import Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin


revision = '5e4c0a1d2b3f'
down_revision = '9c0b23afa689'
branch_labels = None
depends_on = None

BATCH = 2000

merchants = sa.table(
    'merchants',
    sa.column('id', sa.Integer()),
    sa.column('name', sa.String()),
    sa.column('name_initials', sa.String()),
)


class _MemoConverter(DefaultConverter):
    """pypinyin's converter remembering each segment's result (about 4× faster over a directory's names)."""

    @functools.lru_cache(maxsize=100_000)
    def convert(self, words, style, heteronym, errors, strict, **kwargs):
        return super().convert(words, style, heteronym, errors, strict, **kwargs)


_PINYIN = Pinyin(_MemoConverter())


def name_initials(name):
    """Frozen copy of honestmeter.merchants.search.name_initials (migrations never import the app)."""
    text = unicodedata.normalize('NFKC', name or '')
    joined = ''.join(_PINYIN.lazy_pinyin(text, style=Style.FIRST_LETTER, errors='default')).lower()
    return ''.join(ch for ch in joined if ch.isascii() and ch.isalnum())[:200]


# Every one- and two-character substring of lower(t), for fragments too short for a trigram index (duplicates
# are harmless: GIN keeps each key once per row). PL/pgSQL, as it is about four times faster than the same in SQL.
_PG_SHORT_GRAMS = """
CREATE OR REPLACE FUNCTION hm_short_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    l text := lower(t);
    grams text[] := regexp_split_to_array(l, '');
BEGIN
    FOR i IN 1 .. char_length(l) - 1 LOOP
        grams := grams || substr(l, i, 2);
    END LOOP;
    RETURN grams;
END
$$"""

_PG_INDEXES = (
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_merchants_name_initials ON merchants (name_initials)',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_merchants_name_trgm ON merchants USING gin (name gin_trgm_ops)',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_merchants_name_initials_trgm '
    'ON merchants USING gin (name_initials gin_trgm_ops)',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_merchants_name_grams ON merchants USING gin (hm_short_grams(name))',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_merchants_name_initials_grams '
    'ON merchants USING gin (hm_short_grams(name_initials))',
)

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER merchants_fts_ai AFTER INSERT ON merchants BEGIN
        INSERT INTO merchants_fts (rowid, name, name_initials) VALUES (new.id, new.name, new.name_initials);
    END""",
    """CREATE TRIGGER merchants_fts_ad AFTER DELETE ON merchants BEGIN
        INSERT INTO merchants_fts (merchants_fts, rowid, name, name_initials)
        VALUES ('delete', old.id, old.name, old.name_initials);
    END""",
    """CREATE TRIGGER merchants_fts_au AFTER UPDATE OF name, name_initials ON merchants BEGIN
        INSERT INTO merchants_fts (merchants_fts, rowid, name, name_initials)
        VALUES ('delete', old.id, old.name, old.name_initials);
        INSERT INTO merchants_fts (rowid, name, name_initials) VALUES (new.id, new.name, new.name_initials);
    END""",
)


def _outside_transaction():
    """Alembic's autocommit block, also when env.py's `SET lock_timeout` began the transaction.

    That statement autobegins a transaction Alembic treats as external, and autocommit_block()
    only knows how to commit its own; so commit the external one here first.
    """
    context = op.get_context()
    bind = op.get_bind()
    if getattr(context, '_transaction', None) is None and bind.in_transaction():
        bind.commit()
    return context.autocommit_block()


def _backfill(bind):
    """Initials for every existing merchant, in id order, one UPDATE batch at a time."""
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(merchants.c.id, merchants.c.name)
            .where(merchants.c.id > last_id)
            .order_by(merchants.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            merchants.update()
            .where(merchants.c.id == sa.bindparam('_id'))
            .values(name_initials=sa.bindparam('_initials')),
            [{'_id': id_, '_initials': name_initials(name)} for id_, name in rows],
        )
        last_id = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    op.add_column('merchants', sa.Column('name_initials', sa.String(length=200), nullable=True))
    if bind.dialect.name == 'postgresql':
        with _outside_transaction():
            _backfill(bind)
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
            bind.exec_driver_sql(_PG_SHORT_GRAMS)
            for statement in _PG_INDEXES:
                bind.exec_driver_sql(statement)
        return
    _backfill(bind)
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchants_name_initials'), ['name_initials'], unique=False)
    if bind.dialect.name == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE merchants_fts USING fts5("
            "name, name_initials, content='merchants', content_rowid='id', tokenize='trigram')"
        )
        op.execute("INSERT INTO merchants_fts (merchants_fts) VALUES ('rebuild')")
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # pg_trgm stays: it may have been there before, and other objects may use it.
        for index in (
            'ix_merchants_name_initials_grams',
            'ix_merchants_name_grams',
            'ix_merchants_name_initials_trgm',
            'ix_merchants_name_trgm',
        ):
            op.execute(f'DROP INDEX IF EXISTS {index}')
        op.execute('DROP FUNCTION IF EXISTS hm_short_grams(text)')
    if bind.dialect.name == 'sqlite':
        for trigger in ('merchants_fts_au', 'merchants_fts_ad', 'merchants_fts_ai'):
            op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
        op.execute('DROP TABLE IF EXISTS merchants_fts')
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchants_name_initials'))
        batch_op.drop_column('name_initials')
