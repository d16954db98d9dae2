"""Moodle activities as online modules: web service connection per platform, course activities, sync state

Revision ID: 185b1cd26139
Revises: deb4c6aa6c4c
Create Date: 2026-11-23 09:38:18.664331

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '185b1cd26139'
down_revision = 'deb4c6aa6c4c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('moodle_connection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('rest_url', sa.String(length=1000), nullable=False),
    sa.Column('token_ciphertext', sa.Text(), nullable=False),
    sa.Column('site_name', sa.String(length=300), nullable=False),
    sa.Column('site_release', sa.String(length=100), nullable=False),
    sa.Column('allowed_functions', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_code', sa.String(length=50), nullable=False),
    sa.Column('last_error_detail', sa.Text(), nullable=False),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_moodle_connection_platform_id_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_connection')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_moodle_connection_platform_id'))
    )
    op.create_table('moodle_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cmid', sa.Integer(), nullable=False),
    sa.Column('modname', sa.String(length=50), nullable=False),
    sa.Column('instance', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('section_number', sa.Integer(), nullable=False),
    sa.Column('section_name', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tracking', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_moodle_activity_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_activity')),
    sa.UniqueConstraint('course_id', 'cmid', name=op.f('uq_moodle_activity_course_id'))
    )
    op.create_table('moodle_course_sync',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('contents_fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('learners_synced', sa.Integer(), nullable=False),
    sa.Column('last_error_code', sa.String(length=50), nullable=False),
    sa.Column('last_error_detail', sa.Text(), nullable=False),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_moodle_course_sync_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_moodle_course_sync'))
    )
    op.create_table('moodle_learner_sync',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error_code', sa.String(length=50), nullable=False),
    sa.Column('states', sa.JSON(), nullable=False),
    sa.Column('withdrawn_step_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_moodle_learner_sync_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_moodle_learner_sync_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'user_id', name=op.f('pk_moodle_learner_sync'))
    )
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moodle_cmid', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_step_moodle_cmid'), ['moodle_cmid'], unique=False)



def downgrade():
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_moodle_cmid'))
        batch_op.drop_column('moodle_cmid')

    op.drop_table('moodle_learner_sync')
    op.drop_table('moodle_course_sync')
    op.drop_table('moodle_activity')
    op.drop_table('moodle_connection')
