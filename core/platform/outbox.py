"""The transactional outbox: cross-process effects written in the caller's transaction, relayed after commit.

``enqueue`` adds a row; after commit (and every 30 s from beat) ``relay`` hands each row to the Celery
task it names; ``outbox_consumer`` tasks skip ids they have already handled, so a relay that sends
twice does no harm.
"""
import functools
import uuid
from datetime import datetime

from celery import shared_task
from flask import current_app, has_app_context
from sqlalchemy import JSON, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from kehu.platform.columns import UTCDateTime
from kehu.platform.db import db
from kehu.platform.session import after_commit
from kehu.platform.tasks import RELAY_TASK, dispatch
from kehu.platform.time import utcnow


class OutboxMessage(db.Model):
    """A cross-process effect recorded in the same transaction as the change causing it.

    The relay hands it to the Celery task named in ``task``; the consumer skips ids it has
    already seen (``OutboxConsumption``), so a relay that sends twice does no harm.
    """

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task: Mapped[str] = mapped_column(String(120), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxConsumption(db.Model):
    """Which consumer has already handled which outbox message (the dedupe record)."""

    __tablename__ = "outbox_consumption"

    outbox_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    consumed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def enqueue(task: str, payload: dict, session=None) -> OutboxMessage:
    """Add an outbox row for ``task`` (a Celery task name) with a JSON ``payload``.

    Nothing leaves the process until the transaction commits; then a relay is kicked off,
    and the periodic relay picks up anything missed.
    """
    session = session or db.session
    row = OutboxMessage(id=str(uuid.uuid4()), task=task, payload=payload)
    session.add(row)
    after_commit(session, kick_relay)
    return row


def kick_relay() -> None:
    if has_app_context() and "celery" in current_app.extensions:
        dispatch(RELAY_TASK)


BATCH = 500


def _disabled_plugin(task_name: str) -> str | None:
    """The installed-but-disabled plugin owning ``kehu.<plugin>.<fn>``, if any."""
    manager = current_app.extensions["kehu_plugins"]
    parts = task_name.split(".")
    if len(parts) > 2 and parts[1] in manager.installed and not manager.is_enabled(parts[1]):
        return parts[1]
    return None


def _held_back():
    """Criteria keeping rows of disabled plugins in the outbox until the plugin is enabled again."""
    manager = current_app.extensions["kehu_plugins"]
    return [~OutboxMessage.task.startswith(f"kehu.{name}.", autoescape=True)
            for name in manager.installed if not manager.is_enabled(name)]


@shared_task(name=RELAY_TASK)
def relay() -> int:
    """Send every unrelayed outbox row to its task; returns how many were sent.

    Rows for a disabled plugin stay unrelayed: its consumer would do nothing, and the work is
    still owed when the plugin is enabled again.
    """
    sent = 0
    held_back = _held_back()
    while True:
        query = (select(OutboxMessage).where(OutboxMessage.relayed_at.is_(None), *held_back)
                 .order_by(OutboxMessage.created_at).limit(BATCH).with_for_update(skip_locked=True))
        rows = db.session.scalars(query).all()
        if not rows:
            db.session.commit()
            return sent
        for row in rows:
            row.attempts += 1
            try:
                dispatch(row.task, row.id, row.payload)
            except Exception as exc:  # broker down: keep the row, the next sweep retries
                row.last_error = repr(exc)[:2000]
                db.session.commit()
                return sent
            row.relayed_at = utcnow()
            sent += 1
        db.session.commit()


def outbox_consumer(name: str, **task_options):
    """Decorator for a task consuming outbox rows exactly once per row id.

    The consumption record is committed in the same transaction as the consumer's own
    database writes, so a redelivered message is skipped and a crash redoes the work.
    """

    def decorator(fn):
        @shared_task(name=name, acks_late=True, reject_on_worker_lost=True, **task_options)
        @functools.wraps(fn)
        def consume(outbox_id, payload):
            if db.session.get(OutboxConsumption, (outbox_id, name)) is not None:
                return None
            if _disabled_plugin(name):
                # disabled since the relay sent it: hand the row back to the relay for later
                db.session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                                   .values(relayed_at=None))
                db.session.commit()
                return None
            result = fn(payload, outbox_id=outbox_id)
            db.session.add(OutboxConsumption(outbox_id=outbox_id, consumer=name))
            try:
                db.session.commit()
            except IntegrityError:  # a concurrent delivery won the race
                db.session.rollback()
                return None
            return result

        return consume

    return decorator
