"""kehu → ERP: customer changes become outbox rows in the same transaction, pushed by a task.

A plugin cannot hook core's flush through ``kehu_sdk``, but it can listen to SQLAlchemy's own
``after_flush`` event: there the changed customers are still visible with their attribute
history, and an outbox row added then is written by the same commit. So a change is pushed
exactly when it was committed, and a crash between commit and push loses nothing (the relay
sweeps unrelayed rows).
"""
import logging

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from kehu_sdk import enqueue_outbox, is_enabled, settings_of
from kehu_sdk.customers import Customer

log = logging.getLogger(__name__)
PUSH_TASK = "kehu.erp.push_customer"
# Customer columns whose change is pushed (phone lives in its encrypted column).
PUSHED_COLUMNS = ("name", "phone_encrypted", "email", "address")


def _changed(customer) -> bool:
    state = inspect(customer)
    return any(state.attrs[column].history.has_changes() for column in PUSHED_COLUMNS)


def _push_enabled() -> bool:
    if not has_app_context() or "kehu_plugins" not in current_app.extensions or not is_enabled("erp"):
        return False
    settings = settings_of("erp")
    return bool(settings.get("push_customers") and settings.get("base_url"))


def _queue_pushes(session, flush_context):
    from kehu_plugins.erp.sync import applying_pull
    if applying_pull.get():
        return  # the change came from the ERP: pushing it back would echo
    customers = [obj for obj in session.new if isinstance(obj, Customer)]
    customers += [obj for obj in session.dirty if isinstance(obj, Customer) and obj.deleted_at is None
                  and session.is_modified(obj) and _changed(obj)]
    if not customers or not _push_enabled():
        return
    queued = session.info.setdefault("erp_push_queued", set())
    for customer in customers:
        if customer.id not in queued:  # one row per customer per transaction is enough
            queued.add(customer.id)
            enqueue_outbox(PUSH_TASK, {"customer_id": customer.id}, session=session)


def _forget_queued(session, *args):
    session.info.pop("erp_push_queued", None)


def install_listeners():
    """Process-wide and idempotent; the listener itself checks that the plugin is enabled."""
    if not event.contains(Session, "after_flush", _queue_pushes):
        event.listen(Session, "after_flush", _queue_pushes)
        event.listen(Session, "after_commit", _forget_queued)
        event.listen(Session, "after_rollback", _forget_queued)
