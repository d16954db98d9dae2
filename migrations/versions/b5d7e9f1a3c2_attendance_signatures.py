"""Attendance signatures: learners' per half-day (drawn, or the check-in as an electronic signature) and the
facilitators', append-only

Revision ID: b5d7e9f1a3c2
Revises: a8c4e6f02b19
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5d7e9f1a3c2'
down_revision = 'a8c4e6f02b19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attendance_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('half_day_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('facilitator_slot', sa.Integer(), nullable=True),
    sa.Column('signer_name', sa.String(length=300), nullable=False),
    sa.Column('method', sa.String(length=12), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('user_agent', sa.String(length=500), nullable=False),
    sa.Column('mark_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['half_day_id'], ['half_day.id'], name=op.f('fk_attendance_signature_half_day_id_half_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_attendance_signature_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mark_id'], ['attendance_mark.id'], name=op.f('fk_attendance_signature_mark_id_attendance_mark'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_signature'))
    )
    op.create_index('ix_attendance_signature_half_day_user', 'attendance_signature', ['half_day_id', 'user_id'], unique=False)


def downgrade():
    op.drop_index('ix_attendance_signature_half_day_user', table_name='attendance_signature')
    op.drop_table('attendance_signature')
