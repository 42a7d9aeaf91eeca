"""Relays committed outbox rows to their Celery tasks; consumers deduplicate by row id."""
import functools

from celery import shared_task
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kehu.extensions import db
from kehu.models import OutboxConsumption, OutboxMessage
from kehu.models.base import utcnow

BATCH = 500


def _send(task_name, args):
    """Through the registered task when this process knows it (eager mode honours that).

    Uses the Celery app of the Flask app running the relay, not Celery's process-wide
    "current" app: that is whichever app was created last, possibly another site's broker.
    """
    celery = current_app.extensions["celery"]
    task = celery.tasks.get(task_name)
    if task is not None:
        task.apply_async(args=args)
    else:
        celery.send_task(task_name, args=args)


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


@shared_task(name="kehu.outbox.relay")
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
                _send(row.task, [row.id, row.payload])
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
