"""The sms message channel: the customer page's send box and POST /api/v1/customers/{id}/messages."""
import pytest
from sqlalchemy import select

from kehu_plugins.sms.models import SmsCampaign, SmsMessage
from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction

pytestmark = pytest.mark.kehu_plugins("sms")


@pytest.fixture
def sender(client_as_role, enable_plugins, app):
    sales = client_as_role("sales", api=True)
    role = sales.user.role
    role.permissions = [*role.permissions, "sms.send", "sms.manage"]
    db.session.commit()
    return sales


def _template(client, body):
    made = client.post("/api/v1/sms/templates", json={"name": "单条通知", "kind": "notification", "body": body})
    assert made.status_code == 201, made.json
    return made.json["id"]


def test_a_typed_message_goes_out_through_the_set_template(sender, make_customer, save_plugin_settings):
    template_id = _template(sender, "{name}您好：{content}")
    save_plugin_settings("sms", {"message_template_id": template_id})
    customer = make_customer(owner=sender.user, name="王建国", consent_sms=True)
    assert {"name": "sms", "title": "短信"} in sender.get("/api/v1/message-channels").json
    sent = sender.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sms", "text": "明天上午送货"})
    assert sent.status_code == 202 and sent.json == {"channel": "sms", "status": "queued"}
    campaign = db.session.scalar(select(SmsCampaign))
    assert campaign.message == "明天上午送货" and campaign.total == 1
    message = db.session.scalar(select(SmsMessage))
    assert message.status == "sent" and message.content.startswith("王建国您好：明天上午送货")
    assert db.session.scalar(select(Interaction).where(Interaction.customer_id == customer.id, Interaction.kind == "sms"))


def test_what_the_channel_refuses_it_says(sender, make_customer, save_plugin_settings):
    customer = make_customer(owner=sender.user, consent_sms=False)
    unset = sender.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sms", "text": "你好"})
    assert unset.status_code == 422 and "单条消息模板" in unset.json["errors"]["json"]["channel"][0]
    save_plugin_settings("sms", {"message_template_id": _template(sender, "{content}")})
    no_consent = sender.post(f"/api/v1/customers/{customer.id}/messages", json={"channel": "sms", "text": "你好"})
    assert no_consent.json["errors"]["json"]["channel"] == ["客户未同意接收短信"]
    assert db.session.scalars(select(SmsCampaign)).all() == []


def test_the_channel_needs_sms_send(client_as_role, make_customer):
    sales = client_as_role("sales", api=True)  # no sms.send
    assert "sms" not in {c["name"] for c in sales.get("/api/v1/message-channels").json}
