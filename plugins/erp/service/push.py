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

from kehu_sdk import enqueue_outbox, is_enabled
from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_sdk.time import utcnow
from kehu_plugins.erp.adapters import ErpError, ErpUnavailable
from kehu_plugins.erp.service import PUSH_CUSTOMER, connections
from kehu_plugins.erp.service.pull import applying_pull
from kehu_plugins.erp.service.sync import log_refused_push

log = logging.getLogger(__name__)
# Customer columns whose change is pushed (phone lives in its encrypted column).
PUSHED_COLUMNS = ("name", "phone_encrypted", "email", "address")


def _changed(customer) -> bool:
    state = inspect(customer)
    return any(state.attrs[column].history.has_changes() for column in PUSHED_COLUMNS)


def _push_enabled() -> bool:
    if not has_app_context() or "kehu_plugins" not in current_app.extensions or not is_enabled("erp"):
        return False
    settings = connections.erp_settings()
    return bool(settings.get("push_customers") and settings.get("base_url"))


def _queue_pushes(session, flush_context):
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
            enqueue_outbox(PUSH_CUSTOMER, {"customer_id": customer.id}, session=session)


def _forget_queued(session, *args):
    session.info.pop("erp_push_queued", None)


def install_listeners():
    """Process-wide and idempotent; the listener itself checks that the plugin is enabled."""
    if not event.contains(Session, "after_flush", _queue_pushes):
        event.listen(Session, "after_flush", _queue_pushes)
        event.listen(Session, "after_commit", _forget_queued)
        event.listen(Session, "after_rollback", _forget_queued)


def _push_values(customer) -> dict:
    return {"name": customer.name, "kind": customer.kind, "phone": customer.phone, "email": customer.email,
            "address": customer.address}


def push_customer(customer_id: int, request_key) -> str | None:
    """Send the customer's current kehu-owned fields to the ERP (create the partner when unlinked);
    returns the partner's ERP id. Not committed: the outbox consumer commits with its consumption.

    An unreachable ERP raises ErpUnavailable (the consumer retries; nothing is recorded, so the
    change is never dropped). A refusal (ErpError) is logged as a failed run for a person to fix.
    """
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        return None
    try:
        adapter = connections.open_adapter()
        link = connections.link_of_customer(adapter.name, customer.id)
        try:
            external_id = adapter.push_customer(_push_values(customer), link.external_id if link else None,
                                                reference=f"kehu-{customer.id}", request_key=request_key)
        finally:
            adapter.close()
    except ErpUnavailable:
        db.session.rollback()
        raise
    except ErpError as exc:
        db.session.rollback()
        log.warning("erp push of customer %s refused: %s", customer_id, exc)
        log_refused_push(customer_id, str(exc))
        return None
    connections.save_link(adapter.name, external_id, customer.id, link, last_pushed_at=utcnow())
    return external_id
