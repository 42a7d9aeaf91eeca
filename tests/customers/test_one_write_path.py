"""The same bad input through the web form and through the API gets the same messages: both go
through one schema and one service function per action."""
import html
import re

import pytest

from kehu.customers.models import Customer
from kehu.extensions import db


def _csrf(client) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/follow-ups").text).group(1)


def _messages(api_response) -> dict:
    assert api_response.status_code == 422, api_response.json
    return api_response.json["errors"]["json"]


@pytest.fixture
def admin_clients(admin, api_client_as, web_client_as):
    browser = web_client_as(admin)
    return api_client_as(admin), browser, _csrf(browser)


def _shown(page, messages: dict):
    text = html.unescape(page.get_data(as_text=True))
    missing = {field: m for field, items in messages.items() for m in items if m not in text}
    assert missing == {}


def test_a_bad_customer(admin_clients):
    api, browser, token = admin_clients
    bad = {"name": "", "phone": "123", "email": "不是邮箱"}
    messages = _messages(api.post("/api/v1/customers", json=bad))
    assert set(messages) == {"name", "phone", "email"}
    page = browser.post("/customers/new", data={**bad, "kind": "company", "status": "lead", "csrf_token": token})
    assert page.status_code == 422
    _shown(page, messages)
    assert db.session.query(Customer).count() == 0


def test_a_bad_contact(admin_clients, make_customer):
    api, browser, token = admin_clients
    customer = make_customer()
    bad = {"name": "", "phone": "12"}
    messages = _messages(api.post(f"/api/v1/customers/{customer.id}/contacts", json=bad))
    page = browser.post(f"/customers/{customer.id}/contacts", data={**bad, "csrf_token": token})
    assert page.status_code == 422
    _shown(page, {k: v for k, v in messages.items() if k in bad})
    assert customer.contacts == []


def test_a_bad_interaction(admin_clients, make_customer):
    api, browser, token = admin_clients
    customer = make_customer()
    messages = _messages(api.post(f"/api/v1/customers/{customer.id}/interactions",
                                  json={"kind": "telepathy", "content": "想到了"}))
    assert messages == {"kind": ["未知的跟进方式：telepathy"]}
    page = browser.post(f"/customers/{customer.id}/interactions",
                        data={"kind": "telepathy", "content": "想到了", "csrf_token": token})
    assert page.status_code == 422
    _shown(page, messages)


def test_english_users_get_english_messages_from_both(admin_clients):
    api, browser, token = admin_clients
    api.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    browser.set_cookie("kehu_locale", "en")
    messages = _messages(api.post("/api/v1/customers", json={"name": "", "phone": "123"}))
    assert any("phone number" in m for m in messages["phone"])
    page = browser.post("/customers/new", data={"name": "", "phone": "123", "kind": "company", "status": "lead",
                                                "csrf_token": token})
    _shown(page, messages)
