"""The tool's private keys encrypted at rest (Fernet, like the Moodle web service tokens)

Existing keys are encrypted with the app's data encryption keys (DATA_ENCRYPTION_KEYS, else derived from
SECRET_KEY): run it with the production configuration. A key still in clear keeps working (read as it is).

Revision ID: 5e1f0c2a9d7b
Revises: e4c1a9d27b63
Create Date: 2026-12-03 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1f0c2a9d7b'
down_revision = 'e4c1a9d27b63'
branch_labels = None
depends_on = None

tool_key = sa.table('tool_key', sa.column('id', sa.Integer), sa.column('private_pem', sa.Text))


def upgrade():
    from lti_tool.services.keys import ENCRYPTED_PREFIX, seal  # the app's keys: the same derivation as at run time

    bind = op.get_bind()
    for key_id, pem in bind.execute(sa.select(tool_key.c.id, tool_key.c.private_pem)).all():
        if not pem.startswith(ENCRYPTED_PREFIX):
            bind.execute(tool_key.update().where(tool_key.c.id == key_id).values(private_pem=seal(pem)))


def downgrade():
    from lti_tool.services import secrets_box
    from lti_tool.services.keys import ENCRYPTED_PREFIX

    bind = op.get_bind()
    for key_id, stored in bind.execute(sa.select(tool_key.c.id, tool_key.c.private_pem)).all():
        if stored.startswith(ENCRYPTED_PREFIX):
            clear = secrets_box.decrypt(stored[len(ENCRYPTED_PREFIX):])
            bind.execute(tool_key.update().where(tool_key.c.id == key_id).values(private_pem=clear))
