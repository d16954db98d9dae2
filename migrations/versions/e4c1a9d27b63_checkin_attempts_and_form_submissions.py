"""Check-in attempts (wrong codes per learner and half-day, lockouts) and form submissions (idempotency
tokens: a double submit gets the first submission's result)

Revision ID: e4c1a9d27b63
Revises: 7c3e9a1f4b20
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e4c1a9d27b63'
down_revision = '7c3e9a1f4b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('half_day_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['half_day_id'], ['half_day.id'], name=op.f('fk_checkin_attempt_half_day_id_half_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_checkin_attempt_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_attempt')),
    sa.UniqueConstraint('half_day_id', 'user_id', name=op.f('uq_checkin_attempt_half_day_id'))
    )
    op.create_index(op.f('ix_checkin_attempt_user_id'), 'checkin_attempt', ['user_id'], unique=False)
    op.create_table('form_submission',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('result_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_form_submission_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submission'))
    )
    op.create_index(op.f('ix_form_submission_created_at'), 'form_submission', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_form_submission_created_at'), table_name='form_submission')
    op.drop_table('form_submission')
    op.drop_index(op.f('ix_checkin_attempt_user_id'), table_name='checkin_attempt')
    op.drop_table('checkin_attempt')
