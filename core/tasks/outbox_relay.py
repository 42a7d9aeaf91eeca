"""Relays committed outbox rows to their Celery tasks; consumers deduplicate by row id."""
import functools

from celery import shared_task
from flask import current_app
from sqlalchemy import select
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


@shared_task(name="kehu.outbox.relay")
def relay() -> int:
    """Send every unrelayed outbox row to its task; returns how many were sent."""
    sent = 0
    while True:
        query = (select(OutboxMessage).where(OutboxMessage.relayed_at.is_(None))
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
