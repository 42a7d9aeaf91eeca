"""Celery tasks of the ERP plugin: run a sync, the scheduled sync, and the customer push.

Each is a thin shell around its service; the names are constants in ``kehu_plugins.erp.service``.
"""
from kehu_sdk.tasks import outbox_consumer, task
from kehu_plugins.erp.adapters import ErpUnavailable
from kehu_plugins.erp.service import PUSH_CUSTOMER, RUN_SYNC, SCHEDULED_SYNC, push, sync

RETRY_BACKOFF_MAX = 3600  # seconds; retries go on (max_retries=None) until the ERP answers


@task(RUN_SYNC)
def run_sync(run_id: int, ids: dict | None = None):
    """Execute a queued run (manual or webhook); returns its status."""
    run = sync.execute_run(run_id, ids)
    return run.status if run else None


@task(SCHEDULED_SYNC)
def scheduled_sync():
    """Beat calls this every minute; it starts a run when ``schedule_minutes`` have passed."""
    return sync.run_scheduled_sync()


@outbox_consumer(PUSH_CUSTOMER, autoretry_for=(ErpUnavailable,), retry_backoff=True,
                 retry_backoff_max=RETRY_BACKOFF_MAX, max_retries=None)
def push_customer(payload, outbox_id):
    """Push one committed customer change; ErpUnavailable makes Celery retry with backoff, and the
    consumption is recorded only on success, so the change is never dropped."""
    return push.push_customer(payload["customer_id"], request_key=outbox_id)
