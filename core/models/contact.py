from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.models.base import AuditedMixin, TimestampMixin, db
from kehu.phones import PhoneColumnsMixin


class Contact(PhoneColumnsMixin, AuditedMixin, TimestampMixin, db.Model):
    """A person to talk to at a customer (a company has many; a person usually has one)."""

    __tablename__ = "contact"
    __audit_exclude__ = ("created_at", "updated_at", "phone_encrypted", "phone_index")

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str | None] = mapped_column(String(80))
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat: Mapped[str | None] = mapped_column(String(80))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    customer = relationship("Customer", back_populates="contacts")
