from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kehu.models.base import UTCDateTime, db, utcnow


class OutboxMessage(db.Model):
    """A cross-process effect recorded in the same transaction as the change causing it.

    The relay hands it to the Celery task named in ``task``; the consumer skips ids it has
    already seen (``OutboxConsumption``), so a relay that sends twice does no harm.
    """

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task: Mapped[str] = mapped_column(String(120), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxConsumption(db.Model):
    """Which consumer has already handled which outbox message (the dedupe record)."""

    __tablename__ = "outbox_consumption"

    outbox_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    consumed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
