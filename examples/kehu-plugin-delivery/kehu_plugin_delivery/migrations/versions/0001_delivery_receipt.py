"""delivery_receipt table

Revision ID: delivery_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "delivery_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "delivery_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("waybill_no", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("signed_by", sa.String(length=60), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=True),
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="SET NULL",
                                name=op.f("fk_delivery_receipt_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_receipt")),
        sa.UniqueConstraint("waybill_no", name=op.f("uq_delivery_receipt_waybill_no")),
    )
    op.create_index(op.f("ix_delivery_receipt_customer_id"), "delivery_receipt", ["customer_id"])


def downgrade():
    op.drop_index(op.f("ix_delivery_receipt_customer_id"), table_name="delivery_receipt")
    op.drop_table("delivery_receipt")
