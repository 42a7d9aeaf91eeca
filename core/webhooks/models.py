"""Outbound webhooks: endpoints admins subscribe to event types, and the deliveries made to them."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.extensions import db
from kehu.platform.columns import TimestampMixin, UTCDateTime
from kehu.platform.time import utcnow


class WebhookEndpoint(TimestampMixin, db.Model):
    """A URL that receives the event types it subscribes to, signed with its own secret.

    The secret is stored Fernet-encrypted (``kehu.webhooks.signing``) and shown once, when it
    is made. After a rotation the previous secret keeps signing beside the new one until
    ``previous_secret_expires_at``, so receivers can switch without losing a delivery.
    """

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    description: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    event_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False, index=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class WebhookDelivery(TimestampMixin, db.Model):
    """One event to one endpoint. ``webhook_id`` is the event's id (its outbox row), the same on
    every attempt and replay so that receivers can deduplicate.

    status: ``pending`` (not tried yet), ``failed`` (last attempt failed, retried at
    ``next_attempt_at``), ``succeeded``, ``dead`` (retries used up or the endpoint is gone).
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "webhook_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(120), nullable=False)
    webhook_id: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="pending", nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)

    endpoint = relationship(WebhookEndpoint)
    attempt_log = relationship("WebhookAttempt", order_by="WebhookAttempt.id", cascade="all, delete-orphan",
                               passive_deletes=True)


class WebhookAttempt(db.Model):
    """One HTTP request made for a delivery: when, how it ended, how long it took."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    trigger: Mapped[str] = mapped_column(String(10), default="auto", nullable=False)  # auto | replay
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))


class InboundEvent(db.Model):
    """A webhook received at /webhooks/<source>, stored before it is processed.

    Unique on (source, webhook_id): a replayed or duplicated delivery finds its row and is
    accepted without being processed twice.
    """

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("source", "webhook_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    webhook_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event_type: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="received", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the periodic sweep sends it (again): the retry after a failure, or the safety net
    # for a "received" event whose task was lost (migration 0003).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
