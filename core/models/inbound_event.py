from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehu.models.base import UTCDateTime, db, utcnow


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
