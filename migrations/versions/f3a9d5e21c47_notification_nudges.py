"""Nudges: per pathway, the days without progress after which a learner is nudged (none: 14; 0: never)

Revision ID: f3a9d5e21c47
Revises: d2f8a4c61e90
Create Date: 2026-12-03 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a9d5e21c47'
down_revision = 'd2f8a4c61e90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_settings') as batch_op:
        batch_op.add_column(sa.Column('nudge_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_settings') as batch_op:
        batch_op.drop_column('nudge_days')
