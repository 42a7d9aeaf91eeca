"""sms_campaign.message: the text typed for a one-customer send (the template's {content})

Revision ID: sms_0002
Revises: sms_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "sms_0002"
down_revision = "sms_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sms_campaign") as batch:
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("sms_campaign") as batch:
        batch.drop_column("message")
