"""Webhook administration: validation, permissions, event types, and the admin web pages."""
import re

import pytest
from sqlalchemy import select

from kehu.extensions import db
from kehu.webhooks.models import WebhookDelivery, WebhookEndpoint
from kehu.webhooks.signing import decrypt_secret


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://erp.example.com/x", "event_types": ["customer.created"]}, "url"),
    ({"url": "javascript:alert(1)", "event_types": ["customer.created"]}, "url"),
    ({"url": "https://erp.example.com/x", "event_types": ["customer.exploded"]}, "event_types"),
    ({"url": "https://erp.example.com/x", "event_types": []}, "event_types"),
    ({"url": "https://erp.example.com/x"}, "event_types"),
])
def test_endpoints_are_validated(admin, api_client_as, body, field):
    answer = api_client_as(admin).post("/api/v1/webhooks/endpoints", json=body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_plugin_event_types_can_be_subscribed_while_the_plugin_is_enabled(admin, api_client_as, enable_plugins):
    client = api_client_as(admin)
    body = {"url": "http://localhost:9/x", "event_types": ["sample.noted"]}
    assert client.post("/api/v1/webhooks/endpoints", json=body).status_code == 422
    enable_plugins("sample")
    types = {t["type"]: t["description"] for t in client.get("/api/v1/webhooks/event-types").json}
    assert types["sample.noted"] == "示例事件" and "customer.created" in types
    assert client.post("/api/v1/webhooks/endpoints", json=body).status_code == 201


def test_secret_is_stored_encrypted_and_never_listed(admin, api_client_as):
    client = api_client_as(admin)
    created = client.post("/api/v1/webhooks/endpoints", json={
        "url": "https://erp.example.com/kehu", "event_types": ["customer.created", "customer.created"]}).json
    row = db.session.get(WebhookEndpoint, created["id"])
    assert created["secret"] not in row.secret_encrypted
    assert decrypt_secret(row.secret_encrypted) == created["secret"]
    assert row.event_types == ["customer.created"] and row.created_by_id == admin.id
    patched = client.patch(f"/api/v1/webhooks/endpoints/{created['id']}", json={"description": "用友U8", "enabled": False})
    assert patched.json["description"] == "用友U8" and patched.json["secret"] == "whsec_********"
    assert patched.json["disabled_reason"]


def test_only_webhook_managers_get_in(make_user, api_client_as, web_client_as):
    manager = make_user("manager")
    client = api_client_as(manager)
    for method, url in [("get", "/api/v1/webhooks/endpoints"), ("post", "/api/v1/webhooks/endpoints"),
                        ("get", "/api/v1/webhooks/deliveries"), ("post", "/api/v1/webhooks/deliveries/1/replay"),
                        ("get", "/api/v1/webhooks/event-types")]:
        assert getattr(client, method)(url, json={}).status_code == 403, url
    assert client.application.test_client().get("/api/v1/webhooks/endpoints").status_code == 401
    assert web_client_as(manager).get("/admin/webhooks/").status_code == 403
    assert client.application.test_client().get("/admin/webhooks/").status_code in (302, 401)


def _csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_admin_pages_create_endpoint_show_attempts_and_replay(app, admin, web_client_as):
    web = web_client_as(admin)
    page = web.get("/admin/webhooks/")
    assert page.status_code == 200 and "customer.created" in page.text
    refused = web.post("/admin/webhooks/", data={"url": "ftp://x", "event_types": ["customer.created"],
                                                 "csrf_token": _csrf(page)})
    assert refused.status_code == 200 and "is-invalid" in refused.text
    no_token = web.post("/admin/webhooks/", data={"url": "http://127.0.0.1:9/hooks", "event_types": ["customer.created"]})
    assert no_token.status_code == 302 and db.session.scalar(select(WebhookEndpoint)) is None  # refused: no CSRF token
    created = web.post("/admin/webhooks/", data={"url": "http://127.0.0.1:9/hooks", "description": "测试",
                                                 "event_types": ["customer.created"], "csrf_token": _csrf(page)},
                       follow_redirects=True)
    assert "whsec_" in created.text  # shown once, in the flash message
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.url == "http://127.0.0.1:9/hooks"

    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 2.0
    web.post("/api/v1/customers", json={"name": "济宁测试客户"}, headers={"X-CSRFToken": _csrf(page)})
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "failed"  # nothing listens on port 9
    listing = web.get("/admin/webhooks/deliveries", query_string={"status": "failed"})
    assert f'/admin/webhooks/deliveries/{delivery.id}' in listing.text
    detail = web.get(f"/admin/webhooks/deliveries/{delivery.id}")
    assert 'data-testid="webhook-attempts"' in detail.text and "ConnectionError" in detail.text
    assert "济宁测试客户" in detail.text  # the payload as people read it, not \u escapes
    web.post(f"/admin/webhooks/deliveries/{delivery.id}", data={"csrf_token": _csrf(detail)})
    db.session.refresh(delivery)
    assert delivery.attempts == 2
    assert web.get("/admin/webhooks/inbound").status_code == 200
    web.post(f"/admin/webhooks/{endpoint.id}/toggle", data={"csrf_token": _csrf(detail)})
    db.session.refresh(endpoint)
    assert endpoint.enabled is False
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 10.0


def test_admin_menu_links_the_webhook_pages(admin, make_user, web_client_as):
    assert "/admin/webhooks/" in web_client_as(admin).get("/").text
    assert "/admin/webhooks/" not in web_client_as(make_user("manager")).get("/").text


def test_admin_pages_speak_english_too(app, admin, web_client_as):
    from flask_babel import refresh
    admin.locale = "en"
    db.session.commit()
    refresh()
    web = web_client_as(admin)
    for url in ("/admin/webhooks/", "/admin/webhooks/deliveries", "/admin/webhooks/inbound"):
        page = web.get(url).text
        headings = re.findall(r"<(?:th|h1|h2|button|legend|label)[^>]*>([^<]*)<", page)
        chinese = [h for h in headings if re.search(r"[\u3400-\u9fff]", h)]
        assert chinese in ([], ["中文"]), url  # the language switch names itself
    assert "Add an endpoint" in web.get("/admin/webhooks/").text
