"""imports: jobs, their rows and remembered mappings; a customer's 统一社会信用代码 and external id

Revision ID: 8c3d4e5f6a72
Revises: 6a1b2c3d4e50
Create Date: 2026-12-01 18:00:00

The two customer columns are added with ALTER TABLE ADD COLUMN on SQLite too (no batch rebuild), so
the customer table keeps its count and search triggers.
"""
from alembic import op
import sqlalchemy as sa

revision = '8c3d4e5f6a72'
down_revision = '6a1b2c3d4e50'
branch_labels = None
depends_on = None


# the new permission goes to the default roles that have it on a new site (admins can take it away)
GRANTS = {"admin": "customer.import", "manager": "customer.import"}


def _grant(bind, add: bool):
    role = sa.table("role", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("permissions", sa.JSON))
    for row in bind.execute(sa.select(role.c.id, role.c.name, role.c.permissions)
                            .where(role.c.name.in_(list(GRANTS)))).all():
        permissions = set(row.permissions or [])
        permissions = permissions | {GRANTS[row.name]} if add else permissions - {GRANTS[row.name]}
        bind.execute(role.update().where(role.c.id == row.id).values(permissions=sorted(permissions)))


def upgrade():
    _grant(op.get_bind(), add=True)
    op.add_column('customer', sa.Column('uscc', sa.String(length=18), nullable=True))
    op.add_column('customer', sa.Column('external_id', sa.String(length=64), nullable=True))
    op.create_index('ix_customer_uscc', 'customer', ['uscc'])
    op.create_index('ix_customer_external_id', 'customer', ['external_id'])
    op.create_table(
        'import_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('user_account.id', name='fk_import_job_created_by_id_user_account'), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('encoding', sa.String(length=20), nullable=True),
        sa.Column('delimiter', sa.String(length=2), nullable=True),
        sa.Column('stored_as', sa.String(length=300), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('header_line', sa.Integer(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('mode', sa.String(length=8), nullable=False),
        sa.Column('match_on', sa.JSON(), nullable=False),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('user_account.id', name='fk_import_job_owner_id_user_account'), nullable=True),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('team.id', name='fk_import_job_team_id_team'), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('done_rows', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('notes', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('task_id', sa.String(length=64), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_import_job'),
    )
    op.create_index('ix_import_job_created_by_id', 'import_job', ['created_by_id'])
    op.create_index('ix_import_job_sha256', 'import_job', ['sha256'])
    op.create_index('ix_import_job_created_at', 'import_job', ['created_at'])
    op.create_table(
        'import_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), sa.ForeignKey('import_job.id', ondelete='CASCADE', name='fk_import_row_job_id_import_job'), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('last_line', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('messages', sa.JSON(), nullable=False),
        sa.Column('match_customer_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.Column('undone', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_import_row'),
    )
    op.create_index('ix_import_row_pending', 'import_row', ['job_id', 'done', 'line'])
    op.create_index('ix_import_row_customer_id', 'import_row', ['customer_id'])
    op.create_table(
        'import_mapping',
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='SET NULL', name='fk_import_mapping_updated_by_id_user_account'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('signature', name='pk_import_mapping'),
    )
    op.create_index('ix_import_mapping_created_at', 'import_mapping', ['created_at'])


def downgrade():
    _grant(op.get_bind(), add=False)
    op.drop_table('import_mapping')
    op.drop_table('import_row')
    op.drop_table('import_job')
    op.drop_index('ix_customer_external_id', 'customer')
    op.drop_index('ix_customer_uscc', 'customer')
    # ALTER TABLE DROP COLUMN on SQLite too (3.35+): a batch rebuild would drop customer's triggers
    for column in ('external_id', 'uscc'):
        op.execute(f'ALTER TABLE customer DROP COLUMN {column}')
