"""Webhooks with a real `kehu worker` on the embedded broker (`sqla+sqlite`, what `make run` uses).

Outbound: a change commits here, the worker relays, fans out, delivers to a loopback receiver that
verifies with the official `standardwebhooks` library, and retries a 500 after its 5-second backoff.
Inbound: the answer comes before the handler runs; the worker processes the stored event.
"""
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.webhooks.models import InboundEvent, WebhookDelivery, WebhookEndpoint
from kehu.webhooks.signing import encrypt_secret, new_secret


def fresh(query):
    """One read, without keeping a transaction open (SQLite writers in the worker would wait)."""
    try:
        return db.session.scalar(query)
    finally:
        db.session.rollback()


@pytest.fixture(scope="module")
def site(make_site):
    return make_site("webhooks-site")


@pytest.fixture
def receiver():
    secret = new_secret()
    received, statuses = [], [500]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            payload = Webhook(secret).verify(body, {k.lower(): v for k, v in self.headers.items()})
            received.append((time.monotonic(), self.headers["webhook-id"], payload))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield secret, f"http://127.0.0.1:{server.server_port}/hooks", received
    server.shutdown()
    server.server_close()


def test_delivery_and_retry_through_the_worker(site, receiver):
    secret, url, received = receiver
    with site.app.app_context():
        db.session.add(WebhookEndpoint(url=url, event_types=["customer.created"], secret_encrypted=encrypt_secret(secret)))
        db.session.commit()
        site.app.extensions["kehu_webhook_subscriptions"].invalidate()
        db.session.add(Customer(name="嘉祥县测试厂", extra={}))
        db.session.commit()  # writes the outbox row; the worker does the rest
    site.wait_for(lambda: len(received) >= 2, 40, "the delivery and its retry")
    (first_at, first_id, payload), (retry_at, retry_id, _) = received[:2]
    assert payload["type"] == "customer.created" and payload["data"]["customer"]["name"] == "嘉祥县测试厂"
    assert first_id == retry_id
    assert 4 <= retry_at - first_at <= 15  # the 5-second backoff, sent by countdown
    with site.app.app_context():
        site.wait_for(lambda: fresh(select(WebhookDelivery.status)) == "succeeded", 10,
                      "the delivery marked succeeded")


def test_inbound_webhook_is_processed_by_the_worker(site):
    from kehu_sample import plugin as sample
    secret = new_secret()
    sample.webhook_secrets[:] = [secret]  # verification happens here, in the web process
    body = json.dumps({"type": "order.paid"})
    now, webhook_id = datetime.now(timezone.utc), f"msg_{uuid.uuid4().hex}"
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign(webhook_id, now, body), "content-type": "application/json"}
    try:
        started = time.monotonic()
        answer = site.app.test_client().post("/webhooks/sample", data=body, headers=headers)
        answered_in = time.monotonic() - started
    finally:
        sample.webhook_secrets.clear()
    assert answer.status_code == 202 and answer.json["status"] == "received", answer.json
    assert answered_in < 2.0
    with site.app.app_context():
        site.wait_for(lambda: fresh(select(InboundEvent.status).where(
            InboundEvent.webhook_id == webhook_id)) == "processed", 30, "the worker to process the event")
