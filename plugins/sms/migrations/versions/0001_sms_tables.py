"""sms tables: templates, campaigns, messages, suppression, inbound replies, rate slots

Revision ID: sms_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "sms_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sign_name", sa.String(length=40), nullable=True),
        sa.Column("provider_template_code", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_template")),
        sa.UniqueConstraint("name", name=op.f("uq_sms_template_name")),
    )
    op.create_table(
        "sms_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resume_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["template_id"], ["sms_template.id"],
                                name=op.f("fk_sms_campaign_template_id_sms_template")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_campaign")),
    )
    op.create_index(op.f("ix_sms_campaign_status"), "sms_campaign", ["status"])
    op.create_table(
        "sms_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("phone_last4", sa.String(length=4), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["sms_campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_sms_message_campaign_id_sms_campaign")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_message")),
        sa.UniqueConstraint("campaign_id", "customer_id", name=op.f("uq_sms_message_campaign_id")),
    )
    op.create_index("ix_sms_message_campaign_status", "sms_message", ["campaign_id", "status"])
    op.create_index(op.f("ix_sms_message_customer_id"), "sms_message", ["customer_id"])
    op.create_index(op.f("ix_sms_message_provider_message_id"), "sms_message", ["provider_message_id"])
    op.create_table(
        "sms_suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_suppression")),
        sa.UniqueConstraint("phone_index", name=op.f("uq_sms_suppression_phone_index")),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("opt_out", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_sms_inbound_provider")),
    )
    op.create_index(op.f("ix_sms_inbound_phone_index"), "sms_inbound", ["phone_index"])
    op.create_index(op.f("ix_sms_inbound_customer_id"), "sms_inbound", ["customer_id"])
    op.create_table(
        "sms_rate_slot",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("next_free_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_sms_rate_slot")),
    )


def downgrade():
    op.drop_table("sms_rate_slot")
    op.drop_table("sms_inbound")
    op.drop_table("sms_suppression")
    op.drop_table("sms_message")
    op.drop_table("sms_campaign")
    op.drop_table("sms_template")
