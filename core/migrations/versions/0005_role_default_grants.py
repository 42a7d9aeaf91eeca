"""permissions plugins gave default roles, once each

Revision ID: 5d2e3f4a6b71
Revises: 4c1d2e3f5a60
Create Date: 2026-12-01 13:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d2e3f4a6b71'
down_revision = '4c1d2e3f5a60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('role_default_grant',
    sa.Column('role_name', sa.String(length=40), nullable=False),
    sa.Column('permission', sa.String(length=80), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('role_name', 'permission', name=op.f('pk_role_default_grant'))
    )


def downgrade():
    op.drop_table('role_default_grant')
