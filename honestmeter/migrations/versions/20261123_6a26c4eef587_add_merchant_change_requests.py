"""add merchant change requests

Revision ID: 6a26c4eef587
Revises: ae6503408a12
Create Date: 2026-11-23 06:04:28.549922

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa


revision = '6a26c4eef587'
down_revision = 'ae6503408a12'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('merchant_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='changestatus', native_enum=False, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_merchant_change_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_change_requests_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_merchant_change_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_change_requests'))
    )
    with op.batch_alter_table('merchant_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_change_requests_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merchant_change_requests_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('merchant_change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_change_requests_status'))
        batch_op.drop_index(batch_op.f('ix_merchant_change_requests_merchant_id'))

    op.drop_table('merchant_change_requests')
