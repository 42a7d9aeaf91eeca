"""Tags: shared labels on customers."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import TimestampMixin


class Tag(AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    color: Mapped[str | None] = mapped_column(String(7))


customer_tags = Table(
    "customer_tag",
    db.metadata,
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)
