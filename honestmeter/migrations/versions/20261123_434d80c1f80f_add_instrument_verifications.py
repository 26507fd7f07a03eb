"""add instrument verifications: the history table and the instrument's failed_on date

Revision ID: 434d80c1f80f
Revises: 6a26c4eef587
Create Date: 2026-11-23 06:04:51.999929

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa


revision = '434d80c1f80f'
down_revision = '6a26c4eef587'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instrument_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=False),
    sa.Column('verifying_body', sa.String(length=200), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Enum('pass', 'fail', name='verificationresult', native_enum=False, length=32), nullable=False),
    sa.Column('scan_path', sa.String(length=200), nullable=True),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.Column('scan_content_type', sa.String(length=32), nullable=True),
    sa.Column('scan_filename', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(scan_path IS NULL) = (scan_sha256 IS NULL) AND (scan_path IS NULL) = (scan_content_type IS NULL) AND (scan_path IS NULL) = (scan_filename IS NULL)', name=op.f('ck_instrument_verifications_scan_complete')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_instrument_verifications_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_instrument_verifications_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_verifications'))
    )
    with op.batch_alter_table('instrument_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_verifications_instrument_id'), ['instrument_id'], unique=False)

    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.drop_column('failed_on')

    with op.batch_alter_table('instrument_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_verifications_instrument_id'))

    op.drop_table('instrument_verifications')
