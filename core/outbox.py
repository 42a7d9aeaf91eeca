"""Write cross-process effects into the outbox, in the caller's transaction."""
import uuid

from flask import current_app, has_app_context

from kehu.extensions import db
from kehu.models import OutboxMessage
from kehu.session import PENDING_RELAY


def enqueue(task: str, payload: dict, session=None) -> OutboxMessage:
    """Add an outbox row for ``task`` (a Celery task name) with a JSON ``payload``.

    Nothing leaves the process until the transaction commits; then a relay is kicked off,
    and the periodic relay picks up anything missed.
    """
    session = session or db.session
    row = OutboxMessage(id=str(uuid.uuid4()), task=task, payload=payload)
    session.add(row)
    session.info[PENDING_RELAY] = True
    return row


def kick_relay() -> None:
    if has_app_context() and "celery" in current_app.extensions:
        current_app.extensions["celery"].tasks["kehu.outbox.relay"].delay()
