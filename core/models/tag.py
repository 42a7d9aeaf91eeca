from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kehu.models.base import AuditedMixin, TimestampMixin, db


class Tag(AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    color: Mapped[str | None] = mapped_column(String(7))
