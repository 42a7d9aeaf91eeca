"""Celery tasks of the ERP plugin: run a sync, the scheduled sync, and the customer push."""
import logging
from datetime import timedelta

from sqlalchemy import select

from kehu_sdk import is_enabled, outbox_consumer, task
from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_plugins.erp.adapters import ErpError, ErpUnavailable, adapter_for
from kehu_plugins.erp.models import ErpCustomerLink, ErpSyncRun, utcnow
from kehu_plugins.erp.sync import erp_settings, execute_run, run_is_busy, start_run

log = logging.getLogger(__name__)
RETRY_BACKOFF_MAX = 3600  # seconds; retries go on (max_retries=None) until the ERP answers


@task("kehu.erp.run_sync")
def run_sync(run_id: int, ids: dict | None = None):
    """Execute a queued run (manual or webhook); returns its status."""
    run = execute_run(run_id, ids)
    return run.status if run else None


@task("kehu.erp.scheduled_sync")
def scheduled_sync():
    """Beat calls this every minute; it starts a run when ``schedule_minutes`` have passed."""
    settings = erp_settings()
    minutes = settings.get("schedule_minutes") or 0
    if minutes <= 0 or not settings.get("base_url") or run_is_busy():
        return None  # off, not set up yet (no failed run every quarter hour), or another run is going
    last = db.session.scalar(select(ErpSyncRun.created_at).where(ErpSyncRun.trigger == "schedule")
                             .order_by(ErpSyncRun.created_at.desc()).limit(1))
    if last is not None and utcnow() - last < timedelta(minutes=minutes) - timedelta(seconds=5):
        return None
    run = start_run("schedule")
    return execute_run(run.id).status


def _push_values(customer) -> dict:
    return {"name": customer.name, "kind": customer.kind, "phone": customer.phone, "email": customer.email,
            "address": customer.address}


@outbox_consumer("kehu.erp.push_customer", autoretry_for=(ErpUnavailable,), retry_backoff=True,
                 retry_backoff_max=RETRY_BACKOFF_MAX, max_retries=None)
def push_customer(payload, outbox_id):
    """Send the customer's current kehu-owned fields to the ERP (create the partner when unlinked).

    An unreachable ERP raises ErpUnavailable: Celery retries with backoff and, because the
    consumption is only recorded on success, the change is never dropped. A refusal (ErpError)
    is recorded as a failed run in the sync log for a person to fix.
    """
    if not is_enabled("erp"):
        return None
    customer = db.session.get(Customer, payload["customer_id"])
    if customer is None or customer.deleted_at is not None:
        return None
    settings = erp_settings()
    try:
        adapter = adapter_for(settings)
        link = db.session.scalar(select(ErpCustomerLink).where(
            ErpCustomerLink.adapter == adapter.name, ErpCustomerLink.customer_id == customer.id))
        try:
            external_id = adapter.push_customer(_push_values(customer), link.external_id if link else None,
                                                reference=f"kehu-{customer.id}", request_key=outbox_id)
        finally:
            adapter.close()
    except ErpUnavailable:
        db.session.rollback()
        raise
    except ErpError as exc:
        db.session.rollback()
        log.warning("erp push of customer %s refused: %s", customer.id, exc)
        db.session.add(ErpSyncRun(adapter=settings.get("adapter") or "", trigger="push", entities=["customers"],
                                  status="failed", started_at=utcnow(), finished_at=utcnow(),
                                  counts={"customers": {"created": 0, "updated": 0, "skipped": 0, "failed": 1}},
                                  errors=[{"entity": "customers", "external_id": None,
                                           "message": f"customer {payload['customer_id']}: {exc}"}]))
        return None
    if link is None:
        link = ErpCustomerLink(adapter=adapter.name, external_id=external_id, customer_id=customer.id)
        db.session.add(link)
    link.last_pushed_at = utcnow()
    return external_id
