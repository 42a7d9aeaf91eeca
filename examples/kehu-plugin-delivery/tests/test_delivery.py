"""送货签收: webhook in, receipt stored once, timeline entry, customer panel, settings."""
import base64
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from kehu_sdk import SettingsInvalid
from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction

from kehu_plugin_delivery.models import Receipt
from kehu_plugin_delivery.service import delivery_signed, handle_signed


@pytest.fixture
def farm(client_as_role, make_customer):
    """A customer (a cooperative in Liaocheng) whose phone the provider reports as consignee."""
    sales = client_as_role("sales", api=True)
    return make_customer(sales.user, name="聊城市茌平区绿源蔬菜合作社", phone="13805371234"), sales


def event(body: bytes, webhook_id="msg_1"):
    """What core hands to the receiver's ``handle`` after verifying and storing a webhook."""
    return {"webhook_id": webhook_id, "type": "shipment.signed", "payload": json.loads(body),
            "received_at": datetime.now(timezone.utc).isoformat()}


def receipts():
    return db.session.scalars(select(Receipt).order_by(Receipt.id)).all()


def test_a_signed_shipment_becomes_one_receipt_and_one_timeline_entry(farm, provider):
    customer, _ = farm
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    delivery_signed.connect(receiver)
    try:
        handle_signed(event(provider.event()))
        handle_signed(event(provider.event(), webhook_id="msg_1"))  # redelivered
        handle_signed(event(provider.event(signed_by="王建国（门卫代签）"), webhook_id="msg_2"))
    finally:
        delivery_signed.disconnect(receiver)
    [receipt] = receipts()
    assert (receipt.customer_id, receipt.pieces, receipt.signed_by) == (customer.id, 12, "王建国（门卫代签）")
    assert receipt.signed_at == datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)
    timeline = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert [(i.kind, i.external_ref) for i in timeline] == [("delivery_signed", "SF1402245566")]
    assert seen == [{"customer_id": customer.id, "waybill_no": "SF1402245566"}]  # once, not per delivery


def test_an_unknown_consignee_is_kept_without_a_customer(farm, provider):
    handle_signed(event(provider.event(phone="13900000000")))
    [receipt] = receipts()
    assert receipt.customer_id is None
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_the_consignee_is_matched_by_kehus_one_rule(make_customer, make_contact, provider):
    """A customer's own phone before a contact's; among customers with the same number the oldest."""
    shop = make_customer(name="东阿阿胶专卖店", phone=None)  # the oldest, but only its contact has the number
    make_contact(shop, name="赵店长", phone="13805379999")
    first = make_customer(name="茌平县第一蔬菜合作社", phone="13805379999")
    make_customer(name="茌平县第一蔬菜合作社（重复录入）", phone="13805379999")
    station = make_customer(name="阳谷物流站", phone=None)
    make_contact(station, name="钱站长", phone="13805378888")

    handle_signed(event(provider.event(waybill_no="SF100", phone="138 0537 9999")))
    handle_signed(event(provider.event(waybill_no="SF200", phone="13805378888"), webhook_id="msg_2"))

    assert {r.waybill_no: r.customer_id for r in receipts()} == {"SF100": first.id, "SF200": station.id}


def test_a_repeated_report_keeps_the_receipts_customer(farm, provider):
    customer, _ = farm
    handle_signed(event(provider.event()))
    handle_signed(event(provider.event(phone="13900000000"), webhook_id="msg_2"))  # number unknown to kehu
    [receipt] = receipts()
    assert receipt.customer_id == customer.id and receipt.webhook_id == "msg_2"


@pytest.mark.parametrize("change", [{"waybill_no": ""}, {"signed_at": "昨天"}, {"pieces": -1}, {"signed_by": None}])
def test_unusable_events_change_nothing(farm, change, provider):
    handle_signed(event(provider.event(**change)))
    assert receipts() == []


def test_the_customer_panel_shows_the_latest_receipts_up_to_the_setting(farm, call_hook, save_plugin_settings,
                                                                        provider):
    customer, sales = farm
    for day, waybill in enumerate(["SF001", "SF002", "SF003"], start=20):
        handle_signed(event(provider.event(waybill_no=waybill, signed_at=f"2026-11-{day}T10:00:00"),
                            webhook_id=waybill))
    save_plugin_settings("delivery", {"panel_limit": 2})
    [[panel]] = call_hook("customer_panels", customer=customer, user=sales.user)  # one list per plugin
    assert str(panel["title"]) == "送货签收"
    assert "SF003" in panel["html"] and "SF002" in panel["html"] and "SF001" not in panel["html"]
    assert "2026-11-22 10:00" in panel["html"]  # shown in Beijing time, as the provider reported it


def test_the_secret_setting_is_validated_and_masked(save_plugin_settings, client_as_role, provider):
    with pytest.raises(SettingsInvalid) as invalid:
        save_plugin_settings("delivery", {"webhook_secret": "not-a-secret"})
    assert "webhook_secret" in invalid.value.errors
    save_plugin_settings("delivery", {"webhook_secret": provider.secret})
    admin = client_as_role("admin", api=True)
    assert admin.get("/api/v1/plugins/delivery").json["settings"]["webhook_secret"] == "********"


def test_signed_webhooks_reach_the_handler_through_kehu(app, farm, webhook_secret, provider):
    customer, _ = farm
    client = app.test_client()
    body = provider.event()
    accepted = client.post("/webhooks/delivery", data=body, headers=provider.headers(webhook_secret, body))
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    [receipt] = receipts()
    assert receipt.customer_id == customer.id
    forged = client.post("/webhooks/delivery", data=body,
                         headers=provider.headers("whsec_" + base64.b64encode(b"k" * 32).decode(), body))
    assert forged.status_code in (400, 401) and forged.content_type == "application/problem+json"


def test_webhooks_are_refused_while_no_secret_is_set(app, farm, provider):
    body = provider.event()
    answer = app.test_client().post("/webhooks/delivery", data=body,
                                    headers=provider.headers(provider.secret, body))
    assert answer.status_code >= 400
    assert receipts() == []
