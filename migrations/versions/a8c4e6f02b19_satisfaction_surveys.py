"""Satisfaction surveys: answers per session, person and kind (hot, cold), and the cold survey's delay per pathway

Revision ID: a8c4e6f02b19
Revises: f3a9d5e21c47
Create Date: 2026-12-03 15:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a8c4e6f02b19'
down_revision = 'f3a9d5e21c47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('profession', sa.String(length=60), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=False),
    sa.Column('interprofessional', sa.Integer(), nullable=False),
    sa.Column('recommend', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_survey_response_session_id_workshop_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_response_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('session_id', 'user_id', 'kind', name='uq_survey_response_once')
    )
    op.create_index(op.f('ix_survey_response_session_id'), 'survey_response', ['session_id'], unique=False)
    with op.batch_alter_table('notification_settings') as batch_op:
        batch_op.add_column(sa.Column('cold_survey_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_settings') as batch_op:
        batch_op.drop_column('cold_survey_days')
    op.drop_index(op.f('ix_survey_response_session_id'), table_name='survey_response')
    op.drop_table('survey_response')
