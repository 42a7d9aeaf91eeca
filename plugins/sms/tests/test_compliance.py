"""Consent, opt-out replies, provider callbacks (receipts, replies) and the timeline."""
import logging
import threading

import pytest
import requests
from flask import request, request_started
from sqlalchemy import select
from werkzeug.serving import make_server

from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction
from kehu_sdk.time import china_now

from kehu_plugins.sms.models import SmsInbound, SmsMessage, SmsSuppression
from kehu_plugins.sms.service import sending
from kehu_plugins.sms.service.consent import is_opt_out

TOKEN = "cb-token-7f3a9c"
WITH_TOKEN = {"X-Kehu-Callback-Token": TOKEN}


def callback(provider, kind):
    return f"/api/v1/sms/callbacks/{provider}/{kind}"


@pytest.fixture
def setup(sms_user, make_user, api_client_as, save_settings, all_day):
    save_settings(callback_token=TOKEN)
    marketer = sms_user("marketing")
    client = api_client_as(marketer)
    owner = make_user("manager")
    return client, owner


def send_campaign(client, body="{name}您好，新品上市。"):
    template = client.post("/api/v1/sms/templates", json={"name": body[-6:], "body": body,
                                                                 "provider_template_code": "1234567"}).get_json()
    created = client.post("/api/v1/sms/campaigns", json={"name": "c", "template_id": template["id"]}).get_json()
    return client.post(f"/api/v1/sms/campaigns/{created['id']}/start").get_json()


@pytest.mark.parametrize("text, expected", [
    ("T", True), ("td", True), ("R", True), ("退订", True), (" T。", True), ("请帮我退订，谢谢", True),
    ("Thanks", False), ("好的", False), ("", False)])
def test_opt_out_keywords(text, expected):
    assert is_opt_out(text, ["T", "TD", "R", "N", "退订"]) is expected


def test_aliyun_reply_td_suppresses_and_reaches_the_timeline(setup, make_customer, app):
    client, owner = setup
    customer = make_customer(owner, consent_sms=True, phone="13805370001")
    web = app.test_client()
    push = [{"phone_number": "13805370001", "send_time": "2026-11-23 10:00:00", "content": "TD",
             "sign_name": "【鸿达机械】", "dest_code": "1234", "sequence_id": 88001}]
    assert web.post(callback("aliyun", "reply"), json=push, headers=WITH_TOKEN).get_json() == {"code": 0, "msg": "成功"}
    assert web.post(callback("aliyun", "reply"), json=push, headers=WITH_TOKEN).status_code == 200  # a retry
    [inbound] = db.session.scalars(select(SmsInbound)).all()
    assert inbound.opt_out and inbound.customer_id == customer.id and inbound.content == "TD"
    assert db.session.scalar(select(SmsSuppression.reason).where(SmsSuppression.phone_index == customer.phone_index)) == "reply"
    [entry] = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert (entry.direction, entry.content) == ("inbound", "TD")

    campaign = send_campaign(client)  # the suppressed number is left out from now on
    assert campaign["progress"]["total"] == 0 and campaign["progress"]["excluded"] == 1


def test_tencent_reply_callback_and_non_opt_out_reply(setup, make_customer, app):
    client, owner = setup
    customer = make_customer(owner, consent_sms=True, phone="13805370002")
    web = app.test_client()
    ok = web.post(callback("tencent", "reply"), headers=WITH_TOKEN,
                  json={"extend": "", "mobile": "13805370002", "nationcode": "86", "sign": "鸿达机械",
                        "text": "请问价格多少", "time": 1763863200})
    assert ok.get_json() == {"result": 0, "errmsg": "OK"}
    assert db.session.scalar(select(SmsSuppression.id)) is None
    web.post(callback("tencent", "reply"), auth=("kehu", TOKEN),
             json={"mobile": "13805370002", "nationcode": "86", "text": "R", "time": 1763863300})
    assert db.session.scalar(select(SmsSuppression.phone_index)) == customer.phone_index


def test_callbacks_need_the_token_and_valid_json(setup, app):
    web = app.test_client()
    bad = web.post(callback("aliyun", "report"), data="not json", content_type="application/json", headers=WITH_TOKEN)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert web.post("/api/v1/sms/callbacks/aliyun/other", json=[{}], headers=WITH_TOKEN).status_code == 404
    odd = web.post(callback("tencent", "reply"), json={"mobile": "12", "text": "T"}, headers=WITH_TOKEN)
    assert odd.status_code == 200


@pytest.mark.parametrize("credentials", [
    {"headers": WITH_TOKEN},
    {"auth": ("kehu", TOKEN)},                 # what a client makes of https://kehu:TOKEN@host/…
    {"auth": ("aliyun", TOKEN)},               # the user name is not checked
    {"headers": {**WITH_TOKEN, "Authorization": "Basic Zm9vOmJhcg=="}},  # the header wins over Basic
])
def test_each_form_of_the_token_is_accepted(setup, app, make_customer, credentials):
    _client, owner = setup
    make_customer(owner, consent_sms=True, phone="13805370011")
    push = {"phone_number": "13805370011", "send_time": "2026-11-23 10:00:00", "content": "好的", "sequence_id": 7}
    answer = app.test_client().post(callback("aliyun", "reply"), json=push, **credentials)
    assert answer.status_code == 200 and answer.get_json() == {"code": 0, "msg": "成功"}
    assert db.session.scalar(select(SmsInbound.content)) == "好的"


@pytest.mark.parametrize("credentials", [
    {},
    {"headers": {"X-Kehu-Callback-Token": "wrong"}},
    {"headers": {"X-Kehu-Callback-Token": ""}},
    {"headers": {"X-Kehu-Callback-Token": "wrong"}, "auth": ("kehu", TOKEN)},  # a wrong header is not rescued
    {"auth": ("kehu", "wrong")},
    {"auth": (TOKEN, "")},                      # the token is the password, not the user name
    {"headers": {"Authorization": f"Bearer {TOKEN}"}},  # Bearer tokens are users' API tokens
])
def test_a_missing_or_wrong_token_is_a_401_that_reveals_nothing(setup, app, credentials):
    push = [{"phone_number": "13805370012", "content": "T", "sequence_id": 8}]
    answer = app.test_client().post(callback("aliyun", "reply"), json=push, **credentials)
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert set(answer.get_json()) <= {"type", "title", "status", "detail"}
    assert db.session.scalar(select(SmsInbound.id)) is None


def test_no_configured_token_refuses_every_push(setup, app, save_settings):
    save_settings(callback_token="")
    for credentials in ({"headers": {"X-Kehu-Callback-Token": ""}}, {"auth": ("kehu", "")}, {}):
        answer = app.test_client().post(callback("tencent", "report"), json=[], **credentials)
        assert answer.status_code == 401, credentials
        assert answer.headers["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize("provider, kind", [("aliyun", "report"), ("aliyun", "reply"),
                                            ("tencent", "report"), ("tencent", "reply")])
def test_the_token_in_the_path_no_longer_works(setup, app, provider, kind):
    """The old URLs put the token where access logs write it: they are unknown routes now."""
    web = app.test_client()
    item = {"phone_number": "13805370013", "content": "T", "sequence_id": 9, "mobile": "13805370013", "text": "T"}
    for credentials in ({}, {"headers": WITH_TOKEN}):
        answer = web.post(f"{callback(provider, kind)}/{TOKEN}", json=[item], **credentials)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert db.session.scalar(select(SmsInbound.id)) is None


@pytest.fixture
def served(app):
    """The app over real HTTP in a thread, and what it saw of each request: the request line the
    server logged (an access log) and Flask's ``request.full_path`` and ``request.url``."""
    seen = []

    def record(sender, **extra):
        seen.append(request.full_path)
        seen.append(request.url)

    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    request_started.connect(record, app)
    thread.start()
    yield httpd.server_port, seen
    request_started.disconnect(record, app)
    httpd.shutdown()
    thread.join(5)


def test_a_token_in_the_configured_url_never_reaches_the_request_line(setup, served, caplog, make_customer):
    """The URL a provider is given carries the token as user info; the HTTP client sends it as
    Authorization: Basic, so neither the request line (what access logs write) nor the URL Flask
    sees holds it."""
    _client, owner = setup
    make_customer(owner, consent_sms=True, phone="13805370014")
    port, seen = served
    caplog.set_level(logging.INFO, logger="werkzeug")
    push = [{"phone_number": "13805370014", "send_time": "2026-11-23 10:00:00", "content": "收到", "sequence_id": 10}]
    answer = requests.post(f"http://kehu:{TOKEN}@127.0.0.1:{port}/api/v1/sms/callbacks/aliyun/reply?src=sms",
                           json=push, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "成功"}
    db.session.expire_all()
    assert db.session.scalar(select(SmsInbound.content)) == "收到"
    access_log = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("POST /api/v1/sms/callbacks/aliyun/reply?src=sms HTTP/1.1" in line for line in access_log), access_log
    assert seen and "/api/v1/sms/callbacks/aliyun/reply?src=sms" in seen[0]
    for text in access_log + seen:
        assert TOKEN not in text and "kehu:" not in text


def test_delivery_receipts_update_message_status(setup, make_customer, app, save_settings, tencent_fake,
                                                 provider_settings):
    client, owner = setup
    first = make_customer(owner, consent_sms=True, phone="13805370003")
    second = make_customer(owner, consent_sms=True, phone="13805370004")
    campaign = send_campaign(client)
    assert campaign["progress"]["counts"]["sent"] == 2
    by_customer = {m.customer_id: m for m in db.session.scalars(select(SmsMessage))}
    web = app.test_client()
    report = [{"phone_number": "13805370003", "send_time": "2026-11-23 10:00:00",
               "report_time": "2026-11-23 10:00:05", "success": True, "err_code": "DELIVERED",
               "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "x", "out_id": str(by_customer[first.id].id)},
              {"phone_number": "13805370004", "send_time": "2026-11-23 10:00:00",
               "report_time": "2026-11-23 10:00:06", "success": False, "err_code": "isv.BLACK_KEY_CONTROL_LIMIT",
               "err_msg": "黑名单", "sms_size": "1", "biz_id": "y", "out_id": str(by_customer[second.id].id)}]
    assert web.post(callback("aliyun", "report"), json=report, headers=WITH_TOKEN).get_json()["code"] == 0
    db.session.expire_all()
    assert db.session.get(SmsMessage, by_customer[first.id].id).status == "delivered"
    failed = db.session.get(SmsMessage, by_customer[second.id].id)
    assert (failed.status, failed.error_code) == ("undelivered", "isv.BLACK_KEY_CONTROL_LIMIT")
    # a receipt code meaning "refuses SMS" puts the number on the suppression list
    assert db.session.scalar(select(SmsSuppression.reason).where(SmsSuppression.phone_index == second.phone_index)) == "callback"

    # Tencent receipts match on the SerialNo ("sid")
    save_settings(**provider_settings("tencent", tencent_fake))
    third = make_customer(owner, consent_sms=True, phone="13805370005")
    send_campaign(client, body="{name}，欢迎再次光临。")
    message = db.session.scalar(select(SmsMessage).where(SmsMessage.customer_id == third.id))
    web.post(callback("tencent", "report"), auth=("kehu", TOKEN),
             json=[{"user_receive_time": "2026-11-23 10:01:00", "nationcode": "86", "mobile": "13805370005",
                    "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
                    "sid": message.provider_message_id}])
    db.session.expire_all()
    assert db.session.get(SmsMessage, message.id).status == "delivered"


def test_consent_withdrawn_after_start_is_respected(setup, make_customer, app, save_settings):
    """Consent is checked again when each message goes out, not only when recipients are chosen."""
    client, owner = setup
    save_settings(send_window_start="00:00", send_window_end="00:01")  # closed almost all day
    if china_now().strftime("%H:%M") == "00:00":
        pytest.skip("the window is open this minute")
    customer = make_customer(owner, consent_sms=True)
    campaign = send_campaign(client)
    assert campaign["progress"]["counts"]["pending"] == 1
    from kehu_sdk.customers import update_customer
    update_customer(customer, {"consent_sms": False}, owner)
    save_settings(send_window_start="00:00", send_window_end="00:00")
    sending.work(campaign["id"])
    assert db.session.scalar(select(SmsMessage.error_code)) == "no_consent"
    assert db.session.scalar(select(Interaction.id).where(Interaction.customer_id == customer.id)) is None


def test_odd_input_never_breaks_the_endpoints(setup, app):
    client, _owner = setup
    for body in ({"phone": 123}, {"phone": "12"}, {}, [], {"phone": "\x00"}, {"phone": "13805370009", "note": 5}):
        response = client.post("/api/v1/sms/suppressions", json=body)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", body
    assert client.post("/api/v1/sms/suppressions", json={"phone": "13805370009", "note": "电话里说的"}).status_code == 201
    assert client.post("/api/v1/sms/suppressions", json={"phone": "+86 138-0537-0009"}).get_json() == {"added": False}
    web = app.test_client()
    for kind in ("report", "reply"):
        for provider in ("aliyun", "tencent"):
            for item in ({"out_id": [1], "success": "yes", "report_time": 5, "phone_number": None},
                         {"sid": {"x": 1}, "mobile": 13805370009, "time": -1, "text": ["T"]}):
                response = web.post(callback(provider, kind), json=[item], headers=WITH_TOKEN)
                assert response.status_code == 200, (provider, kind, item, response.get_data(as_text=True))


def test_a_callback_with_a_lone_surrogate_is_read_with_a_replacement_character(setup, make_customer, app):
    """Found by the fuzz suite's hostile cases: the text stays readable and the database never sees
    the surrogate (PostgreSQL could not store it)."""
    _client, owner = setup
    make_customer(owner, consent_sms=True, phone="13905371234")
    answer = app.test_client().post(callback("tencent", "reply"), headers=WITH_TOKEN, content_type="application/json",
                                    data='[{"mobile": "13905371234", "nationcode": "86", "text": "\\ud800\\u597d", '
                                         '"time": 1764000000}]')
    assert answer.status_code == 200
    assert db.session.scalars(select(SmsInbound.content)).all() == ["\ufffd好"]
