"""erp tables: connection cursors, customer links, orders, invoices, payments, sync runs

Revision ID: erp_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "erp_0001"
down_revision = None
branch_labels = None
depends_on = None


def _document_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("erp_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
    ]


def _document_table(name, date_column, *extra, index_customer=True):
    op.create_table(
        name,
        *_document_columns(),
        sa.Column(date_column, sa.Date(), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f(f"fk_{name}_customer_id_customer"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("adapter", "external_id", name=op.f(f"uq_{name}_adapter")),
    )
    if index_customer:
        op.create_index(op.f(f"ix_{name}_customer_id"), name, ["customer_id"])


def upgrade():
    op.create_table(
        "erp_connection",
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("cursors", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("adapter", name=op.f("pk_erp_connection")),
    )
    op.create_table(
        "erp_customer_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=True),
        sa.Column("erp_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"],
                                name=op.f("fk_erp_customer_link_customer_id_customer"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_customer_link")),
        sa.UniqueConstraint("adapter", "external_id", name=op.f("uq_erp_customer_link_adapter")),
        sa.UniqueConstraint("adapter", "customer_id", name=op.f("uq_erp_customer_link_adapter_customer_id")),
    )
    op.create_index(op.f("ix_erp_customer_link_customer_id"), "erp_customer_link", ["customer_id"])
    _document_table("erp_sales_order", "order_date", index_customer=False)
    op.create_index("ix_erp_sales_order_customer_date", "erp_sales_order", ["customer_id", "order_date"])
    _document_table("erp_invoice", "invoice_date", sa.Column("amount_due", sa.Numeric(precision=14, scale=2),
                                                             nullable=False))
    _document_table("erp_payment", "payment_date")
    op.create_table(
        "erp_sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_run")),
    )
    op.create_index(op.f("ix_erp_sync_run_status"), "erp_sync_run", ["status"])
    op.create_index(op.f("ix_erp_sync_run_created_at"), "erp_sync_run", ["created_at"])


def downgrade():
    for table in ("erp_sync_run", "erp_payment", "erp_invoice", "erp_sales_order", "erp_customer_link",
                  "erp_connection"):
        op.drop_table(table)
