"""delivery_receipt: receipts recorded by hand (recorded_by; no webhook_id then)

Revision ID: delivery_0002
Revises: delivery_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "delivery_0002"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("delivery_receipt") as batch:
        batch.add_column(sa.Column("recorded_by", sa.Integer(), nullable=True))
        batch.alter_column("webhook_id", existing_type=sa.String(length=200), nullable=True)


def downgrade():
    op.execute("UPDATE delivery_receipt SET webhook_id = '' WHERE webhook_id IS NULL")
    with op.batch_alter_table("delivery_receipt") as batch:
        batch.alter_column("webhook_id", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("recorded_by")
