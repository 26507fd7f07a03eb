"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Safety: this runs while the previous release still serves traffic. Keep it compatible with that
code (add before you remove), take no long locks on large tables (lock_timeout is 4 s on
PostgreSQL), and write data changes with sa.table()/sa.column() stubs, never the app's models.
"""

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
