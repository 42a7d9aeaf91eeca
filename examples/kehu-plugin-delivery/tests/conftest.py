"""Fixtures come from kehu_sdk.testing; every test here runs with the delivery plugin enabled."""
import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest

SECRET = "whsec_" + base64.b64encode(b"delivery-test-key-32-bytes-long!").decode()


@pytest.fixture
def kehu_enabled_plugins():
    return ["delivery"]


@pytest.fixture
def webhook_secret(save_plugin_settings):
    save_plugin_settings("delivery", {"webhook_secret": SECRET})
    return SECRET


def signed_headers(secret: str, body: bytes, webhook_id: str | None = None, timestamp: int | None = None):
    """Standard Webhooks headers, computed here independently of kehu's own implementation."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{signature}", "content-type": "application/json"}


def signed_event(waybill_no="SF1402245566", phone="138 0537 1234", **overrides):
    data = {"waybill_no": waybill_no, "consignee_phone": phone, "signed_by": "王建国",
            "signed_at": "2026-11-23T09:30:00+08:00", "pieces": 12, **overrides}
    return json.dumps({"type": "shipment.signed", "data": data}, ensure_ascii=False).encode()


class LogisticsProvider:
    """The provider's side of the protocol: event bodies and their signed headers."""

    secret = SECRET
    event = staticmethod(signed_event)
    headers = staticmethod(signed_headers)


@pytest.fixture
def provider():
    return LogisticsProvider()
