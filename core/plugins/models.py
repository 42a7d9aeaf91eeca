from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import UTCDateTime
from kehu.platform.time import utcnow


class PluginState(AuditedMixin, db.Model):
    """Run-time state of an installed plugin.

    ``generation`` is bumped to max+1 on every change; processes poll ``max(generation)``
    to notice changes made by any other process.
    """

    __tablename__ = "plugin_state"
    __audit_exclude__ = ("updated_at", "generation")

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    generation: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
