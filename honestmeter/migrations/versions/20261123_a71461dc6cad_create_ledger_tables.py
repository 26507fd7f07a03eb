"""create ledger tables: entries, nodes, head, checkpoints, anchors and chain binding

The single head row is created here, so concurrent first appenders only ever lock it, never race
to insert it.

Revision ID: a71461dc6cad
Revises: a1c3e5f7b9d2
Create Date: 2026-11-23 05:34:22.259680

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = 'a71461dc6cad'
down_revision = 'a1c3e5f7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_anchors',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('contract', sa.String(length=42), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_time', sa.DateTime(), nullable=False),
    sa.Column('gas_used', sa.Integer(), nullable=False),
    sa.Column('anchored_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_ledger_anchors')),
    sa.UniqueConstraint('tx_hash', name=op.f('uq_ledger_anchors_tx_hash'))
    )
    op.create_table('ledger_chain',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=True),
    sa.Column('contract', sa.String(length=42), nullable=True),
    sa.Column('deployed_at', sa.DateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('alarm', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_chain'))
    )
    op.create_table('ledger_checkpoints',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_ledger_checkpoints'))
    )
    op.create_table('ledger_entries',
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('canonical', sa.LargeBinary(), nullable=False),
    sa.Column('file_sha256', sa.LargeBinary(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('leaf_index', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('leaf_hash', name=op.f('uq_ledger_entries_leaf_hash')),
    sa.UniqueConstraint('record_type', 'record_id', 'version', name=op.f('uq_ledger_entries_record_type_record_id_version'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    op.create_table('ledger_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_ledger_nodes'))
    )
    head = sa.table(
        "ledger_head",
        sa.column("id", sa.Integer),
        sa.column("size", sa.BigInteger),
        sa.column("frontier", sa.LargeBinary),
        sa.column("updated_at", sa.DateTime),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "frontier": b"", "updated_at": datetime(2026, 11, 23)}])


def downgrade():
    op.drop_table('ledger_nodes')
    op.drop_table('ledger_head')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_file_sha256'))

    op.drop_table('ledger_entries')
    op.drop_table('ledger_checkpoints')
    op.drop_table('ledger_chain')
    op.drop_table('ledger_anchors')
