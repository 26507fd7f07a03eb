"""add notices

Revision ID: bfee0b14805e
Revises: da87136edde5
Create Date: 2026-11-23 06:30:17.207794

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa


revision = 'bfee0b14805e'
down_revision = 'da87136edde5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('fact_leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_notices_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('kind', 'fact_leaf_hash', name=op.f('uq_notices_kind_fact_leaf_hash'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_sha256'))
        batch_op.drop_index(batch_op.f('ix_notices_merchant_id'))

    op.drop_table('notices')
