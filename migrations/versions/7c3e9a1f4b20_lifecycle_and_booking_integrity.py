"""Lifecycle and booking integrity: one active booking per workshop step, booking notices, audited sheet
reopenings, cancelled sessions dated, archived pathways (existing pathways stay published)

Revision ID: 7c3e9a1f4b20
Revises: b7e1d2c3a4f5
Create Date: 2026-12-03 14:40:00

"""
from alembic import op
import sqlalchemy as sa



revision = '7c3e9a1f4b20'
down_revision = 'b7e1d2c3a4f5'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('confirmed', 'waitlisted') AND NOT released"


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('released', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE booking SET step_id = (SELECT workshop_session.step_id FROM workshop_session "
               "WHERE workshop_session.id = booking.session_id)")
    # Bookings made before the rule (two sessions of one workshop): the latest keeps the place in the step,
    # the others are released (their status and attendance are untouched).
    op.execute("UPDATE booking SET released = true WHERE status IN ('confirmed', 'waitlisted') AND id NOT IN "
               "(SELECT max_id FROM (SELECT max(id) AS max_id FROM booking WHERE status IN ('confirmed', 'waitlisted') "
               "GROUP BY step_id, user_id) AS latest)")
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.alter_column('step_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_booking_step_id_step'), 'step', ['step_id'], ['id'],
                                    ondelete='CASCADE')
    op.create_index('ux_booking_active_step_user', 'booking', ['step_id', 'user_id'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))

    op.create_table('booking_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_booking_notice_booking_id_booking'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_booking_notice_session_id_workshop_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_booking_notice_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_notice'))
    )
    op.create_index('ix_booking_notice_user_seen', 'booking_notice', ['user_id', 'seen_at'], unique=False)

    op.create_table('sheet_reopening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('half_day_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reopened_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('previously_certified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('previously_certified_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['half_day_id'], ['half_day.id'], name=op.f('fk_sheet_reopening_half_day_id_half_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reopened_by_user_id'], ['user_account.id'], name=op.f('fk_sheet_reopening_reopened_by_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previously_certified_by_user_id'], ['user_account.id'], name=op.f('fk_sheet_reopening_previously_certified_by_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sheet_reopening'))
    )
    op.create_index(op.f('ix_sheet_reopening_half_day_id'), 'sheet_reopening', ['half_day_id'], unique=False)

    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('pathway', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('pathway', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
    op.drop_index(op.f('ix_sheet_reopening_half_day_id'), table_name='sheet_reopening')
    op.drop_table('sheet_reopening')
    op.drop_index('ix_booking_notice_user_seen', table_name='booking_notice')
    op.drop_table('booking_notice')
    op.drop_index('ux_booking_active_step_user', table_name='booking')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booking_step_id_step'), type_='foreignkey')
        batch_op.drop_column('released')
        batch_op.drop_column('step_id')
