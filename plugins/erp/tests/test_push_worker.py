"""The push retried by a real Celery worker (a thread, memory broker): autoretry with backoff."""
import time

import pytest
from celery.contrib.testing.worker import start_worker

from kehu_sdk.customers import update_customer


@pytest.fixture
def worker_app(app):
    """The test app with tasks sent through its (in-memory) broker to a worker thread, not run eagerly."""
    celery = app.extensions["celery"]
    celery.conf.task_always_eager = False
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        celery.conf.task_always_eager = True


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_worker_retries_push_until_erp_recovers(app, odoo_erp, make_user, worker_app, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="济宁任城蔬菜批发", phone=None)
    assert wait_for(lambda: odoo_erp.records["res.partner"])
    odoo_erp.calls.clear()
    odoo_erp.fail_next = 2  # two 503s: Celery retries after ~1 s and ~2 s (backoff with jitter)

    update_customer(customer, {"phone": "13805371234"}, user)

    assert wait_for(lambda: any(p.endswith("/write") and b != "failed" for p, b in odoo_erp.calls))
    time.sleep(0.5)  # nothing more may arrive
    writes = [c for c in odoo_erp.calls if c[0].endswith("/write")]
    assert [b == "failed" for _, b in writes] == [True, True, False]
    assert next(iter(odoo_erp.records["res.partner"].values()))["phone"] == "+8613805371234"
