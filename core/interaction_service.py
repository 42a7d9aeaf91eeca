"""Writing interactions from code (plugins, imports); the API validates its own input first."""
from datetime import datetime

from sqlalchemy import select

from kehu.extensions import db
from kehu.models import Interaction
from kehu.models.base import utcnow


def log_interaction(customer_id: int, kind: str, *, subject: str = "", content: str | None = None,
                    channel: str | None = None, direction: str = "outbound", status: str = "done",
                    occurred_at: datetime | None = None, due_at: datetime | None = None,
                    user_id: int | None = None, contact_id: int | None = None,
                    source_plugin: str | None = None, external_ref: str | None = None) -> Interaction:
    """Add an interaction to the session (the caller commits).

    With ``source_plugin`` and ``external_ref`` the call is idempotent: the existing row for that
    pair is returned unchanged, so a retried task never logs the same event twice.
    """
    if source_plugin and external_ref:
        existing = db.session.scalar(select(Interaction).where(
            Interaction.source_plugin == source_plugin, Interaction.external_ref == external_ref))
        if existing is not None:
            return existing
    interaction = Interaction(
        customer_id=customer_id, kind=kind, subject=subject, content=content, channel=channel,
        direction=direction, status=status, due_at=due_at, user_id=user_id, contact_id=contact_id,
        occurred_at=occurred_at or (utcnow() if status == "done" else None),
        source_plugin=source_plugin, external_ref=external_ref)
    db.session.add(interaction)
    return interaction
