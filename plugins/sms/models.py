"""SMS tables: templates, campaigns, one message per (campaign, recipient), suppression, replies."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu_sdk import PluginModel
from kehu_sdk.db import UTCDateTime, utcnow

TEMPLATE_KINDS = ("marketing", "notification")
CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "paused", "cancelled", "done")
# pending -> sending -> sent | failed; sent -> delivered | undelivered (receipts);
# pending -> skipped (consent withdrawn, suppressed, no phone, campaign cancelled)
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "delivered", "undelivered", "skipped")


class SmsTemplate(PluginModel):
    __plugin__ = "sms"
    __tablename__ = "sms_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="marketing")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    sign_name: Mapped[str | None] = mapped_column(String(40))
    provider_template_code: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class SmsCampaign(PluginModel):
    __plugin__ = "sms"
    __tablename__ = "sms_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    template_id: Mapped[int] = mapped_column(ForeignKey("sms_template.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft", index=True)
    target: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # customer filter args
    # the text typed for a one-customer send (the template's {content}); None for campaigns (migration 0002)
    message: Mapped[str | None] = mapped_column(Text)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str | None] = mapped_column(String(16))  # fixed when the campaign starts
    created_by_id: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last progress of a worker
    resume_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # waiting for the send window
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    excluded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # matched but no consent/phone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    template = relationship(SmsTemplate, lazy="joined")


class SmsMessage(PluginModel):
    """One SMS to one recipient of a campaign; the unique pair makes sending it twice impossible
    to even represent. ``id`` is the idempotency key given to the provider (OutId / SessionContext)."""

    __plugin__ = "sms"
    __tablename__ = "sms_message"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index("ix_sms_message_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sms_campaign.id", ondelete="CASCADE"), nullable=False)
    customer_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    content: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SmsSuppression(PluginModel):
    """Numbers that opted out (reply T/TD/R/退订, a provider callback, or by hand), by blind index."""

    __plugin__ = "sms"
    __tablename__ = "sms_suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(20), nullable=False)  # reply | callback | manual
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SmsInbound(PluginModel):
    """A reply a customer sent (upstream SMS), as the provider delivered it."""

    __plugin__ = "sms"
    __tablename__ = "sms_inbound"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    external_id: Mapped[str] = mapped_column(String(64), nullable=False)  # provider's id, else a content hash
    phone_index: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    opt_out: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SmsRateSlot(PluginModel):
    """Per-provider rate limit shared by every worker: the earliest time (epoch seconds) the next
    message may go out (GCRA). One atomic UPDATE reserves a whole batch."""

    __plugin__ = "sms"
    __tablename__ = "sms_rate_slot"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_free_at: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
