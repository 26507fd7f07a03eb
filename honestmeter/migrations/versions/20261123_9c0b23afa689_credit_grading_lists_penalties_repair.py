"""credit grading, lists, penalties, repair

Revision ID: 9c0b23afa689
Revises: ca77d1b9e1ff
Create Date: 2026-11-23 10:53:11.087633

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa


revision = '9c0b23afa689'
down_revision = 'ca77d1b9e1ff'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('source', sa.Enum('inspection_result', 'list_entry', 'penalty', 'complaint', name='factsource', native_enum=False, length=32), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_credit_facts_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_facts')),
    sa.UniqueConstraint('source', 'source_id', 'rule', name='uq_credit_facts_source_rule')
    )
    with op.batch_alter_table('credit_facts', schema=None) as batch_op:
        batch_op.create_index('ix_credit_facts_merchant_rule', ['merchant_id', 'rule'], unique=False)

    op.create_table('grade_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('previous_grade', sa.String(length=1), nullable=True),
    sa.Column('previous_score', sa.Integer(), nullable=True),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('graded_on', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('cause', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_grade_changes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_changes'))
    )
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_changes_graded_on'), ['graded_on'], unique=False)
        batch_op.create_index('ix_grade_changes_merchant_at', ['merchant_id', 'at'], unique=False)

    op.create_table('repair_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('inspection_result', 'penalty', 'list_entry', 'complaint', name='repairtarget', native_enum=False, length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('pledge', sa.Text(), nullable=False),
    sa.Column('pledge_sha256', sa.String(length=64), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='repairstatus', native_enum=False, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_repair_requests_applied_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_repair_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_repair_requests_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_requests'))
    )
    with op.batch_alter_table('repair_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_requests_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_requests_status'), ['status'], unique=False)

    op.create_table('rule_tables',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rule_tables_created_by_id_users')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_rule_tables'))
    )
    op.create_table('penalties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('decision_no', sa.String(length=100), nullable=False),
    sa.Column('violation_type', sa.String(length=200), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('fine_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('kind', sa.Enum('warning', 'low_fine', 'other', name='penaltykind', native_enum=False, length=32), nullable=False),
    sa.Column('special_domain', sa.Boolean(), nullable=False),
    sa.Column('authority', sa.String(length=100), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('public_until', sa.Date(), nullable=True),
    sa.Column('repaired_on', sa.Date(), nullable=True),
    sa.Column('source_task_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_penalties_created_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_penalties_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['source_task_id'], ['tasks.id'], name=op.f('fk_penalties_source_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalties')),
    sa.UniqueConstraint('decision_no', name=op.f('uq_penalties_decision_no'))
    )
    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_penalties_decided_on'), ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalties_merchant_id'), ['merchant_id'], unique=False)

    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_no', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('removal_kind', sa.Enum('decision', 'repair', 'automatic', 'expired', 'revoked', name='removalkind', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('removal_authority', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('removed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('application', sa.Text(), nullable=True))
        # Existing entries get an empty list; the default is dropped below (the application always sets it).
        batch_op.add_column(sa.Column('evidence', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_foreign_key(batch_op.f('fk_list_entries_removed_by_id_users'), 'users', ['removed_by_id'], ['id'])

    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.alter_column('evidence', existing_type=sa.JSON(), existing_nullable=False, server_default=None)

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('graded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('grade_rule_version', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('grade_rule_version')
        batch_op.drop_column('graded_on')
        batch_op.drop_column('score')

    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_list_entries_removed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('evidence')
        batch_op.drop_column('application')
        batch_op.drop_column('removed_by_id')
        batch_op.drop_column('removal_authority')
        batch_op.drop_column('removal_kind')
        batch_op.drop_column('valid_until')
        batch_op.drop_column('decision_no')

    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_penalties_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_penalties_decided_on'))

    op.drop_table('penalties')
    op.drop_table('rule_tables')
    with op.batch_alter_table('repair_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_requests_status'))
        batch_op.drop_index(batch_op.f('ix_repair_requests_merchant_id'))

    op.drop_table('repair_requests')
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_changes_merchant_at')
        batch_op.drop_index(batch_op.f('ix_grade_changes_graded_on'))

    op.drop_table('grade_changes')
    with op.batch_alter_table('credit_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_facts_merchant_rule')

    op.drop_table('credit_facts')
