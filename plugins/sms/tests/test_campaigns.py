"""Templates and campaigns through the API, sending to the Aliyun fake with the real task code."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction
from kehu_sdk.time import china_now

from kehu_plugins.sms.models import SmsCampaign, SmsMessage
from kehu_plugins.sms.providers import AliyunProvider
from kehu_plugins.sms.providers.base import OutgoingSms
from kehu_plugins.sms.service import campaigns, sending
from sms_fakes import FakeAliyunSms


@pytest.fixture
def marketer(sms_user):
    return sms_user("marketing")


@pytest.fixture
def owner(make_user):
    return make_user("manager")  # may create tags


@pytest.fixture
def client(api_client_as, marketer):
    return api_client_as(marketer)


def make_template(client, **data):
    body = {"name": "春耕促销", "kind": "marketing", "body": "{name}您好，{company}春耕农资八折。",
            "provider_template_code": "SMS_465001", **data}
    response = client.post("/api/v1/sms/templates", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_campaign(client, template_id, target, **extra):
    response = client.post("/api/v1/sms/campaigns", json={"name": "春耕", "template_id": template_id,
                                                          "target": target, **extra})
    assert response.status_code == 201, response.get_json()
    started = client.post(f"/api/v1/sms/campaigns/{response.get_json()['id']}/start")
    assert started.status_code == 200, started.get_json()
    return started.get_json()


def test_template_validation_and_preview(client, marketer, owner, make_customer, make_user, api_client_as, grant):
    bad = client.post("/api/v1/sms/templates", json={"name": "x", "body": "{nmae}您好"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "body" in bad.get_json()["errors"]["json"]
    assert client.post("/api/v1/sms/templates", json={"name": "x", "body": "{name"}).status_code == 422
    # names are trimmed, but at most 100 characters as sent (what the OpenAPI document says)
    assert client.post("/api/v1/sms/templates", json={"name": " " + "x" * 100, "body": "hi"}).status_code == 422
    assert client.post("/api/v1/sms/templates", json={"name": "   ", "body": "hi"}).status_code == 422
    template = make_template(client)
    assert template["variables"] == ["name", "company"]
    assert client.post("/api/v1/sms/templates", json={"name": "春耕促销", "body": "hi"}).status_code == 409

    customer = make_customer(owner, consent_sms=True, name="王伟", company="金穗农业")
    preview = client.get(f"/api/v1/sms/templates/{template['id']}/preview?customer_id={customer.id}").get_json()
    assert preview["text"] == "王伟您好，金穗农业春耕农资八折。 拒收请回复R"
    assert preview["params"] == {"name": "王伟", "company": "金穗农业"}

    stranger = make_user("sales")  # own scope: not this customer's owner
    grant(stranger, "sms_sales_read_only", ["sms.read"])
    hidden = api_client_as(stranger).get(f"/api/v1/sms/templates/{template['id']}/preview?customer_id={customer.id}")
    assert hidden.status_code == 404


def test_campaign_sends_once_to_consenting_targets_only(client, marketer, owner, make_customer, save_settings,
                                                        aliyun_fake, all_day, provider_settings):
    save_settings(**provider_settings("aliyun", aliyun_fake))
    wanted = make_customer(owner, consent_sms=True, name="李娜", company="金穗农业", tags=["重点关注"], region_code="370811")
    no_consent = make_customer(owner, consent_sms=False, tags=["重点关注"], region_code="370811")
    other_region = make_customer(owner, consent_sms=True, tags=["重点关注"], region_code="370102")
    suppressed = make_customer(owner, consent_sms=True, tags=["重点关注"], region_code="370811", phone="13905370000")
    assert client.post("/api/v1/sms/suppressions", json={"phone": "139 0537 0000"}).status_code == 201
    template = make_template(client)

    campaign = run_campaign(client, template["id"], {"tags": ["重点关注"], "region": "3708"})

    assert campaign["status"] == "done"
    assert campaign["progress"]["total"] == 1 and campaign["progress"]["excluded"] == 2
    assert campaign["progress"]["counts"]["sent"] == 1
    [received] = aliyun_fake.messages()
    assert received["phone"] == wanted.phone.removeprefix("+86")  # Aliyun takes the national number
    assert received["params"] == {"name": "李娜", "company": "金穗农业"}
    assert received["template_code"] == "SMS_465001" and received["sign_name"] == "鸿达机械"
    message = db.session.scalar(select(SmsMessage).where(SmsMessage.campaign_id == campaign["id"]))
    assert message.customer_id == wanted.id and received["out_id"] == str(message.id)
    assert message.provider_message_id == received["provider_id"]
    timeline = db.session.scalars(select(Interaction).where(Interaction.customer_id == wanted.id)).all()
    assert [(i.kind, i.direction, i.source_plugin) for i in timeline] == [("sms", "outbound", "sms")]
    assert timeline[0].content.endswith("拒收请回复R")
    for customer in (no_consent, other_region, suppressed):
        assert db.session.scalar(select(Interaction.id).where(Interaction.customer_id == customer.id)) is None

    again = client.post(f"/api/v1/sms/campaigns/{campaign['id']}/start")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_notification_template_needs_no_marketing_consent(client, owner, make_customer, all_day):
    make_customer(owner, consent_sms=False, status="customer")
    template = make_template(client, name="发货通知", kind="notification", body="{name}，您的订单已发货。")
    campaign = run_campaign(client, template["id"], {"status": ["customer"]})
    assert campaign["progress"]["counts"]["sent"] == 1  # console provider
    message = db.session.scalar(select(SmsMessage))
    assert "拒收" not in message.content


def test_schedule_pause_resume_cancel(client, owner, make_customer, all_day):
    make_customer(owner, consent_sms=True)
    template = make_template(client)
    later = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    created = client.post("/api/v1/sms/campaigns", json={"name": "定时", "template_id": template["id"],
                                                         "scheduled_at": later}).get_json()
    url = f"/api/v1/sms/campaigns/{created['id']}"
    assert client.post(f"{url}/start").get_json()["status"] == "scheduled"
    assert client.post(f"{url}/resume").status_code == 409
    assert client.post(f"{url}/pause").get_json()["status"] == "paused"
    assert client.post(f"{url}/resume").get_json()["status"] == "scheduled"
    assert campaigns.campaigns_to_kick(datetime.now(timezone.utc)) == []  # not due yet
    cancelled = client.post(f"{url}/cancel").get_json()
    assert cancelled["status"] == "cancelled"
    assert client.post(f"{url}/start").status_code == 409
    assert client.patch(url, json={"name": "改名"}).status_code == 409


def test_scheduled_campaign_starts_when_due_and_cancel_skips_pending(client, owner, make_customer, all_day, sms_app):
    for _ in range(3):
        make_customer(owner, consent_sms=True)
    template = make_template(client)
    soon = datetime.now(timezone.utc) + timedelta(minutes=5)
    created = client.post("/api/v1/sms/campaigns", json={"name": "定时", "template_id": template["id"],
                                                         "scheduled_at": soon.isoformat()}).get_json()
    client.post(f"/api/v1/sms/campaigns/{created['id']}/start")
    kicked = campaigns.campaigns_to_kick(soon + timedelta(seconds=1))
    assert kicked == [created["id"]]
    campaign = db.session.get(SmsCampaign, created["id"])
    assert campaign.status == "running" and campaign.total == 3
    campaigns.pause_campaign(campaign)
    assert sending.work(created["id"]).outcome == "stopped"  # paused: nothing goes out
    campaigns.cancel_campaign(db.session.get(SmsCampaign, created["id"]))
    progress = client.get(f"/api/v1/sms/campaigns/{created['id']}/progress").get_json()
    assert progress["counts"]["skipped"] == 3 and progress["counts"]["sent"] == 0


def test_quiet_hours_hold_marketing_until_the_window_opens(client, owner, make_customer, save_settings):
    now = china_now()
    opens = (now + timedelta(hours=2)).strftime("%H:%M")
    closes = (now + timedelta(hours=3)).strftime("%H:%M")
    save_settings(send_window_start=opens, send_window_end=closes)
    make_customer(owner, consent_sms=True)
    template = make_template(client)
    campaign = run_campaign(client, template["id"], {})
    assert campaign["status"] == "running" and campaign["progress"]["counts"]["pending"] == 1
    resume_at = datetime.fromisoformat(campaign["progress"]["resume_at"])
    assert timedelta(hours=1, minutes=58) < resume_at - datetime.now(timezone.utc) < timedelta(hours=2, minutes=1)
    assert campaigns.campaigns_to_kick(resume_at - timedelta(minutes=1)) == []
    save_settings(send_window_start="00:00", send_window_end="00:00")
    assert campaigns.campaigns_to_kick(resume_at + timedelta(seconds=1)) == [campaign["id"]]
    assert sending.work(campaign["id"]).outcome == "done"


def test_stale_claims_are_reconciled_not_resent(client, owner, make_customer, save_settings, aliyun_fake, all_day,
                                               provider_settings):
    """A worker died after the provider accepted one message and before it committed: that message
    is found by its OutId and marked sent; the others go back to pending and are sent once."""
    settings = save_settings(**provider_settings("aliyun", aliyun_fake), claim_timeout_seconds=1, batch_size=10)
    customers = [make_customer(owner, consent_sms=True) for _ in range(4)]
    template = make_template(client)
    created = client.post("/api/v1/sms/campaigns", json={"name": "崩溃", "template_id": template["id"]}).get_json()
    campaign = db.session.get(SmsCampaign, created["id"])
    campaigns.begin(campaign)  # recipients chosen, no worker started: this test plays the dead one
    db.session.commit()

    claimed = sending.claim(campaign.id, 10)  # the dead worker's claim
    assert len(claimed) == 4
    first = db.session.get(SmsMessage, claimed[0])
    accepted_customer = next(c for c in customers if c.id == first.customer_id)
    AliyunProvider(settings).send(OutgoingSms(out_id=str(first.id), phone=accepted_customer.phone, text="x",
                                              sign_name="鸿达机械", template_code="SMS_465001"))
    time.sleep(1.1)

    assert sending.work(campaign.id).outcome == "done"
    received = aliyun_fake.received()
    assert sorted(received) == sorted(str(i) for i in claimed) and set(received.values()) == {1}
    statuses = db.session.scalars(select(SmsMessage.status).where(SmsMessage.campaign_id == campaign.id)).all()
    assert statuses == ["sent"] * 4
    assert db.session.get(SmsMessage, first.id).attempts == 1  # never claimed again


def test_rate_limit_is_shared_and_respected(client, owner, make_customer, save_settings, provider_settings):
    start_a = sending.reserve("test-provider", 10, 100.0)
    start_b = sending.reserve("test-provider", 10, 100.0)
    assert start_b - start_a == pytest.approx(0.1, abs=0.01)

    # burst 4 absorbs scheduling jitter on a loaded machine; without kehu's limiter the 20 sends
    # would arrive within a fraction of a second and about 16 would be throttled
    with FakeAliyunSms(rate_limit=20, burst=4) as fake:
        save_settings(**provider_settings("aliyun", fake), rate_limit_per_second=20, batch_size=7,
                      send_window_start="00:00", send_window_end="00:00")
        for _ in range(20):
            make_customer(owner, consent_sms=True)
        template = make_template(client)
        began = time.monotonic()
        campaign = run_campaign(client, template["id"], {})
        elapsed = time.monotonic() - began
    assert campaign["progress"]["counts"]["sent"] == 20
    assert fake.throttled == 0
    assert elapsed >= 19 / 20 - 0.05


def test_permissions_and_disabled_plugin(api_client_as, sms_user, make_user, app, sms_app):
    reader = sms_user("marketing", permissions=["sms.read"])
    client = api_client_as(reader)
    assert client.get("/api/v1/sms/campaigns").status_code == 200
    denied = client.post("/api/v1/sms/campaigns", json={"name": "x", "template_id": 1})
    assert denied.status_code == 403 and denied.mimetype == "application/problem+json"
    assert client.post("/api/v1/sms/templates", json={"name": "x", "body": "y"}).status_code == 403
    nobody = api_client_as(make_user("sales"))
    assert nobody.get("/api/v1/sms/campaigns").status_code == 403
    assert app.test_client().get("/api/v1/sms/campaigns").status_code == 401
    app.extensions["kehu_plugins"].disable("sms")
    assert client.get("/api/v1/sms/campaigns").status_code == 404


def test_bad_campaign_input_is_a_problem_not_a_500(client):
    for body in ({"name": "x"}, {"name": "x", "template_id": "1"}, {"name": "x", "template_id": 99},
                 {"name": "x", "template_id": 1, "target": {"nonsense": 1}},
                 {"name": "x", "template_id": 1, "target": {"status": ["bogus"]}},
                 {"name": "x", "template_id": 1, "target": {"extra.no_such_field": "1"}},
                 {"name": "\x00", "template_id": 1}, [], {"name": "x", "template_id": 2**40}):
        response = client.post("/api/v1/sms/campaigns", json=body)
        assert response.status_code in (400, 422), (body, response.status_code)
        assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/sms/campaigns/99").status_code == 404
    template = make_template(client)
    for target in ({"nonsense": 1}, {"status": ["bogus"]}, {"extra.no_such_field": "1"}, {"region": "99"},
                   {"status": {"a": 1}}, {"tags": [[1]]}, {"owner_id": "abc"}, {"created_from": "yesterday"}):
        response = client.post("/api/v1/sms/campaigns", json={"name": "x", "template_id": template["id"],
                                                              "target": target})
        assert response.status_code == 422 and "target" in response.get_json()["errors"]["json"], target
    assert db.session.scalar(select(SmsCampaign.id)) is None


def test_one_sms_to_one_customer_is_a_one_recipient_campaign(client, marketer, owner, make_customer, all_day):
    """What the sms message channel sends through (tests/test_channel.py drives the channel itself)."""
    from kehu_plugins.sms.service.campaigns import send_to_customer
    customer = make_customer(owner, consent_sms=True, name="周杰")
    template = make_template(client)
    campaign_id = send_to_customer(customer.id, template["id"], marketer.id)
    db.session.expire_all()
    assert db.session.get(SmsCampaign, campaign_id).status == "done"
    message = db.session.scalar(select(SmsMessage).where(SmsMessage.campaign_id == campaign_id))
    assert (message.customer_id, message.status) == (customer.id, "sent")
    assert message.content.startswith("周杰您好")
    with pytest.raises(LookupError):
        send_to_customer(999999, template["id"], marketer.id)


MANUFACTURER = {"main_products": "液压支架", "annual_capacity_tons": 1200, "equipment_count": 35,
                "certifications": ["ISO9001"], "industrial_park": "济宁高新区", "exports": True,
                "next_audit_date": "2026-06-30"}


def test_target_by_custom_field_and_extra_variable(client, owner, make_customer, enable_plugins, all_day):
    enable_plugins("industry")
    big = make_customer(owner, consent_sms=True, name="大件机械", industry="manufacturing", extra=MANUFACTURER)
    make_customer(owner, consent_sms=True, name="小五金厂", industry="manufacturing",
                  extra={**MANUFACTURER, "annual_capacity_tons": 50, "main_products": "螺丝"})
    template = make_template(client, name="产能", body="{name}：{extra.main_products}配件优惠。")
    campaign = run_campaign(client, template["id"], {"industry": ["manufacturing"],
                                                      "extra.annual_capacity_tons__gte": "500"})
    assert campaign["progress"]["total"] == 1 and campaign["progress"]["excluded"] == 0
    message = db.session.scalar(select(SmsMessage))
    assert message.customer_id == big.id
    assert message.content == "大件机械：液压支架配件优惠。 拒收请回复R"
