"""The plugin's one table; like every plugin table its name starts with ``delivery_``."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehu_sdk import PluginModel
from kehu_sdk.db import UTCDateTime, utcnow


class Receipt(PluginModel):
    """A signed delivery. One row per waybill: the provider may report a signature more than once."""

    __plugin__ = "delivery"
    __tablename__ = "delivery_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    waybill_no: Mapped[str] = mapped_column(String(40), unique=True)
    # NULL while no customer has the consignee's phone number: the receipt is kept, not lost
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    signed_by: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pieces: Mapped[int | None] = mapped_column(Integer)
    # who reported it: the provider's webhook (its webhook-id) or a user (recorded_by, a user id)
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
