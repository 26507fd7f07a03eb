"""add spot-check plans, draws, tasks, findings and list entries

Revision ID: ca77d1b9e1ff
Revises: bfee0b14805e
Create Date: 2026-11-23 07:30:02.083472

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = 'ca77d1b9e1ff'
down_revision = 'bfee0b14805e'
branch_labels = None
depends_on = None

# The seed of the 随机抽查事项清单 (reference/domain.md §1.1); regulators edit it in the console.
CHECK_ITEMS = [
    ("JL-01", "强检计量器具检定情况", "instruments", True,
     "在用强制检定计量器具是否按规定登记、申请周期检定，是否使用未经检定、超过检定周期或经检定不合格的计量器具。",
     "《中华人民共和国计量法》第九条"),
    ("JL-02", "计量器具作弊", "instruments", True,
     "是否破坏计量器具准确度、伪造数据，是否使用作弊装置。", "《中华人民共和国计量法实施细则》第五十条"),
    ("JL-03", "定量包装商品净含量", "net_content", True,
     "抽样检验定量包装商品净含量：单件短缺量不超过允许短缺量，批平均实际含量不低于标注净含量（JJF 1070）。",
     "《定量包装商品计量监督管理办法》"),
    ("JL-04", "诚信计量承诺履行", "general", False,
     "是否在有效期内签署诚信计量自我承诺，并按承诺事项履行。", "诚信计量分类监管有关规定"),
    ("JL-05", "计量单位明示", "general", False,
     "是否使用法定计量单位，商品量、价格等计量信息是否明示。", "《中华人民共和国计量法》第三条"),
]
SEEDED_AT = datetime(2026, 11, 23)


def upgrade():
    op.create_table('check_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('key_item', sa.Boolean(), nullable=False),
    sa.Column('form', sa.Enum('general', 'instruments', 'net_content', name='checkform', native_enum=False, length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_items')),
    sa.UniqueConstraint('code', name=op.f('uq_check_items_code'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('authority', sa.String(length=100), nullable=False),
    sa.Column('region_codes', sa.JSON(), nullable=False),
    sa.Column('sector_codes', sa.JSON(), nullable=False),
    sa.Column('item_codes', sa.JSON(), nullable=False),
    sa.Column('ratios', sa.JSON(), nullable=False),
    sa.Column('per_case', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('draw_at', sa.DateTime(), nullable=True),
    sa.Column('draw_cron', sa.String(length=100), nullable=True),
    sa.Column('beacon', sa.String(length=300), nullable=True),
    sa.Column('check_by', sa.Date(), nullable=True),
    sa.Column('publish_within_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'running', 'closed', name='planstatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('year', 'batch', name=op.f('uq_plans_year_batch'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_status'), ['status'], unique=False)

    op.create_table('draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('announced', 'drawn', name='drawstatus', native_enum=False, length=32), nullable=False),
    sa.Column('announcement', sa.JSON(), nullable=False),
    sa.Column('announcement_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('secret', sa.LargeBinary(length=64), nullable=False),
    sa.Column('beacon', sa.String(length=300), nullable=False),
    sa.Column('beacon_value', sa.LargeBinary(length=256), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('announced_at', sa.DateTime(), nullable=False),
    sa.Column('announced_by_id', sa.Integer(), nullable=True),
    sa.Column('revealed_at', sa.DateTime(), nullable=True),
    sa.Column('revealed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['announced_by_id'], ['users.id'], name=op.f('fk_draws_announced_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_draws_plan_id_plans')),
    sa.ForeignKeyConstraint(['revealed_by_id'], ['users.id'], name=op.f('fk_draws_revealed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draws')),
    sa.UniqueConstraint('plan_id', 'sequence', name=op.f('uq_draws_plan_id_sequence'))
    )
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draws_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draws_status'), ['status'], unique=False)

    op.create_table('recusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('inspector', 'merchant', 'admin', name='recusalsource', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='decision', native_enum=False, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_recusals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_recusals_inspector_id_inspectors')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_recusals_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_recusals_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recusals'))
    )
    with op.batch_alter_table('recusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recusals_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recusals_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recusals_status'), ['status'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('random', 'directed', 'complaint', 'reinspection', name='taskkind', native_enum=False, length=32), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('stratum', sa.String(length=20), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('parent_task_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('authority', sa.String(length=100), nullable=False),
    sa.Column('item_codes', sa.JSON(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('open', 'recording', 'completed', 'published', 'cancelled', name='taskstatus', native_enum=False, length=32), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('publish_deadline', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('follow_up', sa.Enum('none', 'open', 'closed', name='followup', native_enum=False, length=32), nullable=False),
    sa.Column('follow_up_note', sa.String(length=1000), nullable=True),
    sa.Column('follow_up_closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tasks_created_by_id_users')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_tasks_draw_id_draws')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_tasks_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['parent_task_id'], ['tasks.id'], name=op.f('fk_tasks_parent_task_id_tasks')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_tasks_plan_id_plans')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_tasks_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('draw_id', 'merchant_id', name=op.f('uq_tasks_draw_id_merchant_id'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_follow_up'), ['follow_up'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_publish_deadline'), ['publish_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_status'), ['status'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('result_codes', sa.JSON(), nullable=False),
    sa.Column('item_results', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_findings_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_findings_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('task_id', name=op.f('uq_findings_task_id'))
    )
    op.create_table('list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('abnormal', name='listkind', native_enum=False, length=32), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'listed', 'rejected', 'removed', name='entrystatus', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('authority', sa.String(length=100), nullable=False),
    sa.Column('source_task_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('listed_on', sa.Date(), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('removal_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_list_entries_decided_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_list_entries_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['source_task_id'], ['tasks.id'], name=op.f('fk_list_entries_source_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entries'))
    )
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_list_entries_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_list_entries_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_list_entries_status'), ['status'], unique=False)

    op.create_table('rectification_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'corrected', 'not_corrected', name='orderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('reinspection_task_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_rectification_orders_issued_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_rectification_orders_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['reinspection_task_id'], ['tasks.id'], name=op.f('fk_rectification_orders_reinspection_task_id_tasks')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_rectification_orders_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_rectification_orders_number'))
    )
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_orders_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_orders_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_orders_task_id'), ['task_id'], unique=False)

    op.create_table('task_inspectors',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('confirmed_revision', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_task_inspectors_inspector_id_inspectors')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_inspectors_task_id_tasks')),
    sa.PrimaryKeyConstraint('task_id', 'inspector_id', name=op.f('pk_task_inspectors'))
    )
    with op.batch_alter_table('task_inspectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_inspectors_inspector_id'), ['inspector_id'], unique=False)

    op.create_table('evidence_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_evidence_photos_finding_id_findings')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_photos'))
    )
    with op.batch_alter_table('evidence_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_photos_finding_id'), ['finding_id'], unique=False)

    op.create_table('instrument_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('serial_found', sa.Boolean(), nullable=False),
    sa.Column('verification_valid', sa.Boolean(), nullable=False),
    sa.Column('measured_error', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('mpe', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_instrument_checks_finding_id_findings')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_instrument_checks_instrument_id_instruments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_checks'))
    )
    with op.batch_alter_table('instrument_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_checks_finding_id'), ['finding_id'], unique=False)

    op.create_table('net_content_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('batch', sa.String(length=100), nullable=False),
    sa.Column('nominal', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('actuals', sa.JSON(), nullable=False),
    sa.Column('allowed_t1', sa.Integer(), nullable=False),
    sa.Column('shortfall_limit', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('average', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_net_content_samples_finding_id_findings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_net_content_samples'))
    )
    with op.batch_alter_table('net_content_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_net_content_samples_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
        batch_op.create_index(batch_op.f('ix_merchants_grade'), ['grade'], unique=False)


    items = sa.table(
        "check_items",
        sa.column("code", sa.String), sa.column("name", sa.String), sa.column("form", sa.String),
        sa.column("key_item", sa.Boolean), sa.column("description", sa.Text), sa.column("basis", sa.String),
        sa.column("active", sa.Boolean), sa.column("sort_order", sa.Integer),
        sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
    )
    op.bulk_insert(
        items,
        [
            {"code": code, "name": name, "form": form, "key_item": key, "description": description,
             "basis": basis, "active": True, "sort_order": 10 * (n + 1), "created_at": SEEDED_AT,
             "updated_at": SEEDED_AT}
            for n, (code, name, form, key, description, basis) in enumerate(CHECK_ITEMS)
        ],
    )


def downgrade():
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchants_grade'))
        batch_op.drop_column('grade')

    with op.batch_alter_table('net_content_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_net_content_samples_finding_id'))

    op.drop_table('net_content_samples')
    with op.batch_alter_table('instrument_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_checks_finding_id'))

    op.drop_table('instrument_checks')
    with op.batch_alter_table('evidence_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_photos_finding_id'))

    op.drop_table('evidence_photos')
    with op.batch_alter_table('task_inspectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_inspectors_inspector_id'))

    op.drop_table('task_inspectors')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_orders_task_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_orders_status'))
        batch_op.drop_index(batch_op.f('ix_rectification_orders_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_orders_deadline'))

    op.drop_table('rectification_orders')
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_list_entries_status'))
        batch_op.drop_index(batch_op.f('ix_list_entries_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_list_entries_kind'))

    op.drop_table('list_entries')
    op.drop_table('findings')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_tasks_publish_deadline'))
        batch_op.drop_index(batch_op.f('ix_tasks_plan_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_kind'))
        batch_op.drop_index(batch_op.f('ix_tasks_follow_up'))
        batch_op.drop_index(batch_op.f('ix_tasks_draw_id'))

    op.drop_table('tasks')
    with op.batch_alter_table('recusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recusals_status'))
        batch_op.drop_index(batch_op.f('ix_recusals_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_recusals_inspector_id'))

    op.drop_table('recusals')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draws_status'))
        batch_op.drop_index(batch_op.f('ix_draws_plan_id'))

    op.drop_table('draws')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_status'))

    op.drop_table('plans')
    op.drop_table('check_items')
