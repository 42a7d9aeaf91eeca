"""Messaging a customer through a plugin's channel (hook message_channels): API and page, one path."""
import re

import pytest
from sqlalchemy import select

from kehu.extensions import db
from kehu.interactions.models import Interaction

pytestmark = pytest.mark.kehu_plugins("sample")


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_channels_are_listed_and_a_message_lands_on_the_timeline(client_as_role, make_customer):
    sales = client_as_role("sales", api=True)
    customer = make_customer(owner=sales.user, email="li@example.cn")
    assert sales.get("/api/v1/message-channels").json == [{"name": "sample_chat", "title": "示例聊天"}]
    sent = sales.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sample_chat", "text": "明天到货"})
    assert sent.status_code == 202 and sent.json == {"channel": "sample_chat", "status": "sent"}
    logged = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert [(i.kind, i.channel, i.content) for i in logged] == [("message", "sample_chat", "明天到货")]


def test_refusals_unknown_channels_and_scope(client_as_role, make_customer):
    sales = client_as_role("sales", api=True)
    customer = make_customer(owner=sales.user)  # no e-mail: the sample channel refuses
    refused = sales.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sample_chat", "text": "你好"})
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["channel"] == ["这个客户没有邮箱，示例聊天发不出去"]
    unknown = sales.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "fax", "text": "你好"})
    assert unknown.json["errors"]["json"]["channel"] == ["没有这个消息渠道：fax"]
    other = client_as_role("sales", api=True)
    assert other.post(f"/api/v1/customers/{customer.id}/messages",
                      json={"channel": "sample_chat", "text": "你好"}).status_code == 404
    marketing = client_as_role("marketing", api=True)  # no interaction.write
    assert marketing.get("/api/v1/message-channels").status_code == 403
    assert db.session.scalars(select(Interaction)).all() == []


def test_the_page_and_the_api_say_the_same(client_as_role, make_customer, web_client_as):
    sales = client_as_role("sales", api=True)
    customer = make_customer(owner=sales.user)
    browser = web_client_as(sales.user)
    page = f"/customers/{customer.id}"
    assert 'id="send-message"' in browser.get(page).get_data(as_text=True)
    token = _csrf(browser, page)
    answer = browser.post(f"/customers/{customer.id}/messages",
                          data={"channel": "sample_chat", "text": "你好", "csrf_token": token})
    assert answer.status_code == 422
    assert "这个客户没有邮箱，示例聊天发不出去" in answer.get_data(as_text=True)
    api = sales.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sample_chat", "text": "你好"})
    assert api.json["errors"]["json"]["channel"] == ["这个客户没有邮箱，示例聊天发不出去"]


def test_no_channel_no_send_box(client_as_role, make_customer, web_client_as, disable_plugins):
    sales = client_as_role("sales", api=True)
    customer = make_customer(owner=sales.user)
    disable_plugins("sample")
    assert 'id="send-message"' not in web_client_as(sales.user).get(f"/customers/{customer.id}").get_data(as_text=True)
    assert sales.get("/api/v1/message-channels").json == []
