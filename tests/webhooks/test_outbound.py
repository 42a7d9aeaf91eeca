"""Outbound webhooks: outbox rows in the change's transaction, fan-out, signed delivery, retries, 410, replay.

The receiving end is a real HTTP server on loopback that verifies every request with the official
``standardwebhooks`` library, as an integrator's receiver would.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.platform.outbox import OutboxMessage
from kehu.webhooks.models import WebhookDelivery, WebhookEndpoint

FAST_RETRIES = [0, 0, 0]


class Receiver:
    """An HTTP server answering with the queued status codes (then 200), verifying signatures."""

    def __init__(self):
        self.secrets: list[str] = []
        self.statuses: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = {}
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified[secret] = True
                    except WebhookVerificationError:
                        verified[secret] = False
                receiver.received.append({"headers": headers, "payload": json.loads(body), "verified": verified})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_RETRY_SCHEDULE"] = FAST_RETRIES
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 5.0
    server = Receiver()
    yield server
    server.close()
    app.config["WEBHOOK_RETRY_SCHEDULE"] = [5, 300, 1800, 7200, 18000, 36000]


@pytest.fixture
def client(admin, api_client_as):
    return api_client_as(admin)


def subscribe(client, receiver, event_types=("customer.created",)):
    answer = client.post("/api/v1/webhooks/endpoints", json={"url": receiver.url, "event_types": list(event_types),
                                                              "description": "济宁ERP"})
    assert answer.status_code == 201, answer.json
    receiver.secrets.append(answer.json["secret"])
    return answer.json


def sweep(app):
    """Run the periodic sweep now; its tasks work in sessions of their own, so forget what this one holds."""
    result = app.extensions["celery"].tasks["kehu.webhooks.sweep"].apply().get()
    db.session.expire_all()
    return result


def test_created_customer_is_delivered_signed_and_verified_by_the_official_library(app, client, receiver):
    endpoint = subscribe(client, receiver)
    assert endpoint["secret"].startswith("whsec_")
    shown_later = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}").json
    assert shown_later["secret"] == "whsec_********"  # only the create answer had it
    assert endpoint["secret"] not in json.dumps(client.get("/api/v1/webhooks/endpoints").json)

    customer = client.post("/api/v1/customers", json={"name": "金乡县大蒜合作社", "phone": "13905371234"}).json
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request["verified"] == {endpoint["secret"]: True}
    assert request["headers"]["content-type"] == "application/json"
    assert request["payload"]["type"] == "customer.created"
    assert request["payload"]["data"]["customer"]["id"] == customer["id"]
    assert request["payload"]["data"]["customer"]["name"] == "金乡县大蒜合作社"
    assert "13905371234" not in json.dumps(request["payload"])  # the phone stays encrypted at home

    deliveries = client.get("/api/v1/webhooks/deliveries", query_string={"endpoint_id": endpoint["id"]}).json
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [("succeeded", 1, 200)]
    assert deliveries[0]["webhook_id"] == request["headers"]["webhook-id"]


def test_only_subscribed_types_are_sent_and_nothing_is_written_for_nobody(app, client, receiver):
    client.post("/api/v1/customers", json={"name": "无人订阅的客户"})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # cheap for nobody
    subscribe(client, receiver, event_types=["customer.updated", "interaction.logged"])
    customer = client.post("/api/v1/customers", json={"name": "梁山县专用车厂", "status": "lead"}).json
    assert receiver.received == []
    client.patch(f"/api/v1/customers/{customer['id']}", json={"status": "intent"})
    client.post(f"/api/v1/customers/{customer['id']}/interactions", json={"kind": "call", "subject": "电话回访"})
    types = [r["payload"]["type"] for r in receiver.received]
    assert types == ["customer.updated", "interaction.logged"]
    assert receiver.received[0]["payload"]["data"]["changes"] == {"status": ["lead", "intent"]}
    assert receiver.received[1]["payload"]["data"]["interaction"]["subject"] == "电话回访"


def test_outbox_row_is_written_in_the_same_transaction_as_the_change(app, client, receiver):
    subscribe(client, receiver)
    db.session.add(Customer(name="回滚的客户", extra={}))
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # written by the flush …
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # … and gone with it
    assert receiver.received == []


def test_server_error_is_retried_with_backoff_then_succeeds(app, client, receiver):
    endpoint = subscribe(client, receiver)
    receiver.statuses = [500, 503]
    client.post("/api/v1/customers", json={"name": "汶上县纺织厂"})
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.next_attempt_at is not None
    sweep(app)
    sweep(app)
    detail = client.get(f"/api/v1/webhooks/deliveries/{delivery.id}").json
    assert (detail["status"], detail["attempts"]) == ("succeeded", 3)
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 503, 200]
    assert all(a["duration_ms"] >= 0 and a["attempted_at"] for a in detail["attempt_log"])
    assert detail["attempt_log"][0]["error"] == "HTTP 500"
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert ids == {detail["webhook_id"]}  # every retry carries the same webhook-id
    assert sweep(app) == {"deliveries": 0, "inbound": 0}
    assert client.get("/api/v1/webhooks/deliveries", query_string={"endpoint_id": endpoint["id"],
                                                                   "status": "succeeded"}).json[0]["id"] == delivery.id


def test_retries_end_dead_and_the_real_schedule_waits(app, client, receiver):
    subscribe(client, receiver)
    receiver.statuses = [500] * 10
    client.post("/api/v1/customers", json={"name": "嘉祥县石材厂"})
    for _ in range(5):
        sweep(app)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts) == ("dead", len(FAST_RETRIES) + 1)
    # with the default schedule the first retry waits 5 s: a sweep right away sends nothing
    app.config["WEBHOOK_RETRY_SCHEDULE"] = [5, 300]
    client.post("/api/v1/customers", json={"name": "微山湖渔业"})
    assert sweep(app) == {"deliveries": 0, "inbound": 0}
    waiting = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.status == "failed"))
    assert 3 <= (waiting.next_attempt_at - waiting.updated_at).total_seconds() <= 6


def test_410_gone_disables_the_endpoint_at_once(app, client, receiver):
    endpoint = subscribe(client, receiver)
    receiver.statuses = [410]
    client.post("/api/v1/customers", json={"name": "泗水县苗木场"})
    shown = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}").json
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    assert db.session.scalar(select(WebhookDelivery.status)) == "dead"
    client.post("/api/v1/customers", json={"name": "曲阜市文创公司"})
    assert len(receiver.received) == 1  # nothing more goes to a gone endpoint
    # an admin can switch it back on
    assert client.patch(f"/api/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": True}).json["enabled"]
    client.post("/api/v1/customers", json={"name": "邹城市煤机厂"})
    assert len(receiver.received) == 2


def test_replay_sends_again_with_the_same_webhook_id(app, client, receiver):
    subscribe(client, receiver)
    client.post("/api/v1/customers", json={"name": "兖州区轮胎厂"})
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    replayed = client.post(f"/api/v1/webhooks/deliveries/{delivery_id}/replay")
    assert replayed.status_code == 202
    detail = client.get(f"/api/v1/webhooks/deliveries/{delivery_id}").json
    assert (detail["status"], detail["attempts"]) == ("succeeded", 2)
    assert [a["trigger"] for a in detail["attempt_log"]] == ["auto", "replay"]
    assert [r["headers"]["webhook-id"] for r in receiver.received] == [detail["webhook_id"]] * 2
    assert receiver.received[0]["payload"] == receiver.received[1]["payload"]
    assert client.post("/api/v1/webhooks/deliveries/999999/replay").status_code == 404


def test_rotated_secret_keeps_the_old_one_signing_during_the_grace_period(app, client, receiver):
    endpoint = subscribe(client, receiver)
    old = endpoint["secret"]
    rotated = client.post(f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", json={"grace_hours": 1}).json
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_")
    receiver.secrets.append(new)
    client.post("/api/v1/customers", json={"name": "鱼台县稻米厂"})
    assert receiver.received[-1]["verified"] == {old: True, new: True}
    client.post(f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", json={"grace_hours": 0})
    client.post("/api/v1/customers", json={"name": "金乡县冷库"})
    assert receiver.received[-1]["verified"] == {old: False, new: False}  # a third secret only now


def test_plugin_switches_are_events_too(app, client, receiver):
    subscribe(client, receiver, event_types=["plugin.enabled", "plugin.disabled"])
    client.post("/api/v1/plugins/sample/enable")
    client.post("/api/v1/plugins/sample/disable")
    assert [(r["payload"]["type"], r["payload"]["data"]) for r in receiver.received] == [
        ("plugin.enabled", {"plugin": "sample"}), ("plugin.disabled", {"plugin": "sample"})]


def test_deleting_an_endpoint_removes_its_deliveries(app, client, receiver):
    endpoint = subscribe(client, receiver)
    client.post("/api/v1/customers", json={"name": "任城区机械厂"})
    assert client.delete(f"/api/v1/webhooks/endpoints/{endpoint['id']}").status_code == 204
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    client.post("/api/v1/customers", json={"name": "删除后的客户"})
    assert len(receiver.received) == 1


def test_plugins_publish_their_own_event_types(app, client, receiver, enable_plugins):
    from kehu_sdk.webhooks import publish_event
    enable_plugins("sample")
    subscribe(client, receiver, event_types=["sample.noted"])
    assert publish_event(db.session, "sample.noted", {"note": "已回访"}) is not None
    db.session.commit()
    assert [(r["payload"]["type"], r["payload"]["data"]) for r in receiver.received] == [
        ("sample.noted", {"note": "已回访"})]
    assert publish_event(db.session, "nobody.listens", {}) is None
