"""customer exports (export_job); customer.export for the admin and manager roles

Revision ID: 7b2c3d4e5f61
Revises: 8c3d4e5f6a72
Create Date: 2026-12-01 18:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = '7b2c3d4e5f61'
down_revision = '8c3d4e5f6a72'
branch_labels = None
depends_on = None

PERMISSION = "customer.export"
ROLES = ("admin", "manager")  # the default roles that export (kehu.accounts.permissions.DEFAULT_ROLES)


def upgrade():
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=40), nullable=False),
    sa.Column('filter_args', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_export_job_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_export_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_user_id'), ['user_id'], unique=False)
    _grant(add=True)


def _grant(add):
    """Existing installations keep their roles (ensure_default_roles only creates missing ones): give
    the roles that export by default the new permission here, once, as 0003 did for webhooks.manage."""
    role = sa.table('role', sa.column('name', sa.String), sa.column('permissions', sa.JSON))
    conn = op.get_bind()
    for name, permissions in conn.execute(sa.select(role.c.name, role.c.permissions).where(role.c.name.in_(ROLES))):
        if isinstance(permissions, str):
            permissions = json.loads(permissions)
        changed = sorted(set(permissions) | {PERMISSION}) if add else [p for p in permissions if p != PERMISSION]
        conn.execute(role.update().where(role.c.name == name).values(permissions=changed))


def downgrade():
    _grant(add=False)
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_user_id'))
        batch_op.drop_index(batch_op.f('ix_export_job_status'))
        batch_op.drop_index(batch_op.f('ix_export_job_expires_at'))
        batch_op.drop_index(batch_op.f('ix_export_job_created_at'))
    op.drop_table('export_job')
