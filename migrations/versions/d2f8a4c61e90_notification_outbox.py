"""Notification outbox (messages to learners, one row per channel, unique per person, subject, kind, version and
channel), learners' preferences, reminder days per pathway, and what learners were last told of each session

Revision ID: d2f8a4c61e90
Revises: 5e1f0c2a9d7b
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd2f8a4c61e90'
down_revision = '5e1f0c2a9d7b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=40), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathway.id'], name=op.f('fk_notification_pathway_id_pathway'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_notification_session_id_workshop_session'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'subject', 'kind', 'version', 'channel', name='uq_notification_once')
    )
    op.create_index('ix_notification_due', 'notification', ['state', 'next_attempt_at'], unique=False)
    op.create_index('ix_notification_user', 'notification', ['user_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_notification_pathway_id'), 'notification', ['pathway_id'], unique=False)
    op.create_table('notification_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('reminders', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_preference_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathway.id'], name=op.f('fk_notification_preference_pathway_id_pathway'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'pathway_id', name=op.f('pk_notification_preference'))
    )
    op.create_table('notification_settings',
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathway.id'], name=op.f('fk_notification_settings_pathway_id_pathway'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pathway_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('session_revision',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_session_revision_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_revision'))
    )


def downgrade():
    op.drop_table('session_revision')
    op.drop_table('notification_settings')
    op.drop_table('notification_preference')
    op.drop_index(op.f('ix_notification_pathway_id'), table_name='notification')
    op.drop_index('ix_notification_user', table_name='notification')
    op.drop_index('ix_notification_due', table_name='notification')
    op.drop_table('notification')
