from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import UTCDateTime
from kehu.platform.time import utcnow


class CustomFieldSchema(AuditedMixin, db.Model):
    """One version of a JSON Schema for customer ``extra`` data (an industry pack or an admin's own).

    Versions are never edited in place once a customer uses them: an edit adds version n+1 and
    marks it active, so records written under an older version stay readable with that version.
    """

    __tablename__ = "custom_field_schema"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    schema: Mapped[dict] = mapped_column(JSON, nullable=False)
    # "plugin:<name>" for a pack contributed through customer_field_schemas(), "admin" otherwise
    origin: Mapped[str] = mapped_column(String(60), nullable=False, default="admin")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
