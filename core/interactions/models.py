"""The timeline: calls, visits, meetings, messages, notes and planned follow-ups (kinds from the hooks)."""
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import TimestampMixin, UTCDateTime

STATUSES = ("planned", "done", "cancelled")
DIRECTIONS = ("inbound", "outbound", "internal")


class Interaction(AuditedMixin, TimestampMixin, db.Model):
    """Anything that happened (or is planned) with a customer: the customer's timeline."""

    __tablename__ = "interaction"
    __table_args__ = (UniqueConstraint("source_plugin", "external_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10), default="outbound", nullable=False)
    subject: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    content: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="done", nullable=False, index=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    source_plugin: Mapped[str | None] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(120))

    customer = relationship("Customer")
    contact = relationship("Contact")
    user = relationship("User")


class MessageRefused(Exception):
    """A channel will not send this message (no consent, no number, opted out…); the text says why
    in the user's language."""


@dataclass(frozen=True)
class MessageChannel:
    """A way to send a customer a message, contributed by a plugin's ``message_channels()`` hook.

    ``send(customer, text, user)`` sends or queues the message, puts it on the customer's timeline
    (``log_interaction``) and returns a short status (``"sent"``, ``"queued"``); it raises
    ``MessageRefused`` when it will not send. ``permission``: what the sender needs besides
    ``interaction.write`` (None: nothing more).
    """

    name: str
    title: str
    send: Callable
    permission: str | None = None
