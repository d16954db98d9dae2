"""One identity per Moodle site; placements own their line item and registration; pathway rescoring requests

Courses, people and organisations were keyed by registration (issuer + client id): a second registration of the
same Moodle site saw another course and another person. They are now keyed by the site's first registration, and
what existing databases hold twice is merged into it, keeping every completion, mark, booking, grade row and DPC
decision (rows that hang on a merged course or person are re-pointed, never dropped; where both copies hold a
one-per-person row — a profile, a course role — the first registration's copy is kept).

Revision ID: b7e1d2c3a4f5
Revises: 185b1cd26139
Create Date: 2026-12-03 14:50:00

"""
import logging

import sqlalchemy as sa
from alembic import op

revision = 'b7e1d2c3a4f5'
down_revision = '185b1cd26139'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('services_platform_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_course_services_platform_id_platform'), 'platform',
                                    ['services_platform_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('resource_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lineitems_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('grade_problem', sa.String(length=50), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_resource_link_platform_id_platform'), 'platform',
                                    ['platform_id'], ['id'], ondelete='SET NULL')
    op.create_table('pathway_rescore',
                    sa.Column('pathway_id', sa.Integer(), nullable=False),
                    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('reason', sa.String(length=50), nullable=False),
                    sa.ForeignKeyConstraint(['pathway_id'], ['pathway.id'],
                                            name=op.f('fk_pathway_rescore_pathway_id_pathway'), ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('pathway_id', name=op.f('pk_pathway_rescore')))
    bind = op.get_bind()
    # What each course and placement learned came through the registration that owned them until now.
    bind.execute(sa.text("UPDATE course SET services_platform_id = platform_id"))
    bind.execute(sa.text("UPDATE resource_link SET platform_id = (SELECT course.platform_id FROM course "
                         "WHERE course.id = resource_link.course_id), lineitems_url = (SELECT course.lineitems_url "
                         "FROM course WHERE course.id = resource_link.course_id)"))
    merge_sites(bind)


def downgrade():
    op.drop_table('pathway_rescore')
    with op.batch_alter_table('resource_link', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resource_link_platform_id_platform'), type_='foreignkey')
        batch_op.drop_column('grade_problem')
        batch_op.drop_column('lineitems_url')
        batch_op.drop_column('platform_id')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_course_services_platform_id_platform'), type_='foreignkey')
        batch_op.drop_column('services_platform_id')


# -- merging what two registrations of one site hold twice ------------------------------------------------
def merge_sites(bind) -> None:
    meta = sa.MetaData()
    meta.reflect(bind)
    platform = meta.tables['platform']
    first: dict[str, int] = {}
    for platform_id, issuer in bind.execute(sa.select(platform.c.id, platform.c.issuer).order_by(platform.c.id)):
        site = first.setdefault(issuer, platform_id)
        if site != platform_id:
            log.info("merging registration %s into %s (issuer %s)", platform_id, site, issuer)
            for table, key in (('organisation', 'name'), ('course', 'context_id'), ('user_account', 'sub'),
                               ('moodle_connection', None)):
                _merge_rows(bind, meta, meta.tables[table], key, platform_id, site)


def _merge_rows(bind, meta, table, key, old_platform: int, site: int) -> None:
    """Rows of the old registration move to the site; one whose key the site already has is merged into it."""
    rows = bind.execute(sa.select(table).where(table.c.platform_id == old_platform)).mappings().all()
    for row in rows:
        if key is None:  # one per site: the site's own wins
            twin = bind.execute(sa.select(table.c.id).where(table.c.platform_id == site)).scalar()
        else:
            twin = bind.execute(sa.select(table.c.id).where(table.c.platform_id == site,
                                                            table.c[key] == row[key])).scalar()
        if twin is None:
            bind.execute(table.update().where(table.c.id == row['id']).values(platform_id=site))
            continue
        _repoint(bind, meta, table.name, row['id'], twin)
        bind.execute(table.delete().where(table.c.id == row['id']))


def _unique_sets(table) -> list[set[str]]:
    sets = [{column.name for column in table.primary_key.columns}]
    sets += [{column.name for column in constraint.columns} for constraint in table.constraints
             if isinstance(constraint, sa.UniqueConstraint)]
    sets += [{column.name for column in index.columns} for index in table.indexes if index.unique]
    return [names for names in sets if names]


def _repoint(bind, meta, target: str, old_id: int, new_id: int) -> None:
    """Every row referring to `target` #old_id refers to #new_id instead; where that would make two rows one
    (a unique key), the row already pointing to #new_id is kept."""
    for table in meta.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != target or fk.column.name != 'id':
                continue
            column = fk.parent
            for names in _unique_sets(table):
                if column.name not in names:
                    continue
                others = [table.c[name] for name in names if name != column.name]
                twin = table.alias('twin')
                clash = sa.exists().where(twin.c[column.name] == new_id,
                                          *[twin.c[other.name] == other for other in others])
                bind.execute(table.delete().where(column == old_id, clash))
            bind.execute(table.update().where(column == old_id).values({column.name: new_id}))
