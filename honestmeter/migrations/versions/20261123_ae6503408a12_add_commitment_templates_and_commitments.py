"""add commitment templates and commitments

Revision ID: ae6503408a12
Revises: a71461dc6cad
Create Date: 2026-11-23 05:58:34.987661

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa


revision = 'ae6503408a12'
down_revision = 'a71461dc6cad'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commitment_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sector_code', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('preamble', sa.Text(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_commitment_templates_published_by_id_users')),
    sa.ForeignKeyConstraint(['sector_code'], ['sectors.code'], name=op.f('fk_commitment_templates_sector_code_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_templates')),
    sa.UniqueConstraint('sector_code', 'version', name=op.f('uq_commitment_templates_sector_code_version'))
    )
    with op.batch_alter_table('commitment_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_templates_sector_code'), ['sector_code'], unique=False)

    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('signer_title', sa.String(length=100), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('signed_from', sa.String(length=64), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('active', 'renewed', 'expired', 'revoked', name='commitmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('renews_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_commitments_ended_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_commitments_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['renews_id'], ['commitments.id'], name=op.f('fk_commitments_renews_id_commitments')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_commitments_signed_by_id_users')),
    sa.ForeignKeyConstraint(['template_id'], ['commitment_templates.id'], name=op.f('fk_commitments_template_id_commitment_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitments'))
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitments_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_valid_until'), ['valid_until'], unique=False)



def downgrade():
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitments_valid_until'))
        batch_op.drop_index(batch_op.f('ix_commitments_status'))
        batch_op.drop_index(batch_op.f('ix_commitments_merchant_id'))

    op.drop_table('commitments')
    with op.batch_alter_table('commitment_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_templates_sector_code'))

    op.drop_table('commitment_templates')
