"""The official SDKs against loopback servers that verify signatures as the providers document them."""
import http.client
import json
import time
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from kehu_sdk.db import db

from kehu_plugins.sms.models import SmsMessage
from kehu_plugins.sms.providers import AliyunProvider, TencentProvider
from kehu_plugins.sms.providers.base import OutgoingSms, ProviderError, mask
from sms_fakes import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, FakeAliyunSms, FakeTencentSms


def settings_for(fake, secret=TEST_ACCESS_KEY_SECRET):
    return {"access_key_id": TEST_ACCESS_KEY_ID, "access_key_secret": secret, "endpoint": fake.endpoint,
            "protocol": "http", "request_timeout_seconds": 5, "sms_sdk_app_id": "1400000001"}


def message(out_id="7", **params):
    return OutgoingSms(out_id=out_id, phone="+8613805371234", text="王伟您好", sign_name="鸿达机械",
                       template_code="SMS_465", params=params or {"name": "王伟 & Co+1", "crop": "大蒜"})


def test_aliyun_sdk_request_passes_v3_signature_check(aliyun_fake):
    provider = AliyunProvider(settings_for(aliyun_fake))
    biz_id = provider.send(message())
    assert biz_id and biz_id.isdigit()
    [record] = aliyun_fake.messages()
    assert record["phone"] == "13805371234" and record["out_id"] == "7"
    assert record["params"] == {"name": "王伟 & Co+1", "crop": "大蒜"}  # survives canonical encoding
    assert aliyun_fake.rejected_signatures == 0


def test_aliyun_wrong_secret_fails_with_providers_error(aliyun_fake):
    provider = AliyunProvider(settings_for(aliyun_fake, secret="not-the-secret"))
    with pytest.raises(ProviderError) as failure:
        provider.send(message())
    assert failure.value.outcome == "rejected"
    assert failure.value.code == "SignatureDoesNotMatch"
    assert aliyun_fake.messages() == [] and aliyun_fake.rejected_signatures == 1


def test_aliyun_fake_rejects_unsigned_and_replayed_requests(aliyun_fake):
    unsigned = urllib.request.Request(f"http://{aliyun_fake.endpoint}/?PhoneNumbers=1", data=b"", method="POST",
                                      headers={"x-acs-action": "SendSms"})
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(unsigned, timeout=5)
    body = json.loads(failure.value.read())
    assert failure.value.code == 400 and body["Code"] == "IncompleteSignature" and "RequestId" in body


def test_aliyun_lookup_by_out_id(aliyun_fake):
    provider = AliyunProvider(settings_for(aliyun_fake))
    provider.send(message(out_id="41"))
    since = datetime.now(timezone.utc)
    assert provider.find_sent("41", "+8613805371234", since)
    assert provider.find_sent("42", "+8613805371234", since) is None


def test_aliyun_throttling_is_reported_as_throttled(aliyun_fake):
    aliyun_fake.bucket.rate, aliyun_fake.bucket.burst, aliyun_fake.bucket.tokens = 0.001, 1, 1
    provider = AliyunProvider(settings_for(aliyun_fake))
    provider.send(message(out_id="1"))
    with pytest.raises(ProviderError) as failure:
        provider.send(message(out_id="2"))
    assert (failure.value.outcome, failure.value.code) == ("throttled", "isv.BUSINESS_LIMIT_CONTROL")


def test_tencent_sdk_request_passes_tc3_signature_check(tencent_fake):
    provider = TencentProvider(settings_for(tencent_fake))
    serial = provider.send(message(out_id="9", name="李娜", company="金穗农业"))
    assert serial.startswith("2433:")
    [record] = tencent_fake.messages()
    assert record["phone"] == "+8613805371234" and record["out_id"] == "9"
    assert record["params"] == ["李娜", "金穗农业"]  # positional, in the template's order
    assert provider.find_sent("9", "+8613805371234", datetime.now(timezone.utc)) == serial


def test_tencent_wrong_secret_fails_with_providers_error(tencent_fake):
    provider = TencentProvider(settings_for(tencent_fake, secret="not-the-secret"))
    with pytest.raises(ProviderError) as failure:
        provider.send(message())
    assert failure.value.outcome == "rejected"
    assert failure.value.code == "AuthFailure.SignatureFailure"
    assert tencent_fake.messages() == []


def replay(fake, request):
    """Send a captured request again, byte for byte (its own Host header included)."""
    method, path, headers, body = request
    connection = http.client.HTTPConnection(fake.endpoint, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def test_tencent_fake_rejects_a_replayed_request(tencent_fake):
    provider = TencentProvider(settings_for(tencent_fake))
    provider.send(message(out_id="11"))
    captured = tencent_fake.last_request
    answer = replay(tencent_fake, captured)
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    assert tencent_fake.received() == {"11": 1} and tencent_fake.replays == 1
    # a fresh request passes: another body in the same second, or the same body in a later second
    provider.send(message(out_id="12"))
    assert tencent_fake.received() == {"11": 1, "12": 1}


def common_client(fake, service, version, endpoint):
    """The SDK's generic client, which signs for ``service``; it reaches the fake as its HTTP proxy, so the
    Host header names ``endpoint`` as it would at Tencent."""
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    http_profile = HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=5, proxy=f"http://{fake.endpoint}")
    return CommonClient(service, version, credential.Credential(TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET),
                        "ap-guangzhou", profile=ClientProfile(httpProfile=http_profile))


SEND = {"PhoneNumberSet": ["+8613805371234"], "SmsSdkAppId": "1400000001", "SignName": "鸿达机械",
        "TemplateId": "1234567", "TemplateParamSet": ["王伟"], "SessionContext": "21"}


@pytest.mark.parametrize("service, endpoint, accepted", [
    ("sms", "sms.tencentcloudapi.com", True),
    ("sms", "sms.ap-guangzhou.tencentcloudapi.com", True),   # a regional host: still its first label
    ("cvm", "sms.tencentcloudapi.com", False),               # signed for another service
    ("sms", "cvm.tencentcloudapi.com", False),               # sent to another service's host
])
def test_tencent_fake_checks_the_service_the_host_names(tencent_fake, service, endpoint, accepted):
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    client = common_client(tencent_fake, service, "2021-01-11", endpoint)
    if accepted:
        answer = client.call_json("SendSms", SEND)
        assert answer["Response"]["SendStatusSet"][0]["Code"] == "Ok"
        assert tencent_fake.received() == {"21": 1}
    else:
        with pytest.raises(TencentCloudSDKException) as failure:
            client.call_json("SendSms", SEND)
        assert failure.value.get_code() == "AuthFailure.InvalidAuthorization"
        assert tencent_fake.received() == {}
    assert tencent_fake.last_request[2]["Host"] == endpoint


def test_tencent_provider_at_its_default_host_signs_for_sms(tencent_fake, monkeypatch):
    """The product's send with the default endpoint (sms.tencentcloudapi.com), the fake as proxy."""
    monkeypatch.setenv("HTTP_PROXY", f"http://{tencent_fake.endpoint}")
    provider = TencentProvider({**settings_for(tencent_fake), "endpoint": ""})
    assert provider.send(message(out_id="31")).startswith("2433:")
    assert tencent_fake.received() == {"31": 1}
    assert tencent_fake.last_request[2]["Host"] == "sms.tencentcloudapi.com"


def start_of_a_second():
    """Wait for the next whole second, so that what follows shares one X-TC-Timestamp unless re-signed later."""
    time.sleep(1 - time.time() % 1 + 0.02)


def test_tencent_identical_lookups_in_one_second_are_signed_afresh(tencent_fake):
    """Two stale messages to one number claimed in the same second look it up with the same body."""
    provider = TencentProvider(settings_for(tencent_fake))
    provider.send(message(out_id="41"))
    since = datetime.now(timezone.utc)
    start_of_a_second()
    assert provider.find_sent("41", "+8613805371234", since)
    assert provider.find_sent("41", "+8613805371234", since)
    assert tencent_fake.replays == 0


def test_tencent_throttled_send_is_retried_with_a_fresh_signature(sms_user, api_client_as, make_user, make_customer,
                                                                 save_settings, provider_settings, all_day):
    """The worker retries a throttled message 0.2 s later: the same body, which the SDK would sign with the
    same second. Tencent's fake counts that as a replay; kehu waits for the next second instead."""
    client = api_client_as(sms_user("marketing"))
    customer = make_customer(make_user("manager"), consent_sms=True)
    with FakeTencentSms(rate_limit=4, burst=1) as fake:
        save_settings(**provider_settings("tencent", fake), rate_limit_per_second=1000)
        template = client.post("/api/v1/sms/templates", json={"name": "通知", "kind": "notification",
                                                               "body": "{name}您好", "provider_template_code": "1"})
        campaign = client.post("/api/v1/sms/campaigns", json={"name": "c", "template_id": template.get_json()["id"]})
        start_of_a_second()
        fake.bucket.tokens, fake.bucket.at = 0, time.monotonic()  # the first attempt is throttled
        started = client.post(f"/api/v1/sms/campaigns/{campaign.get_json()['id']}/start").get_json()
    message = db.session.scalar(select(SmsMessage).where(SmsMessage.customer_id == customer.id))
    assert (message.status, message.error_code) == ("sent", None), started
    assert fake.throttled >= 1 and fake.replays == 0
    assert fake.received() == {str(message.id): 1}


def test_unreachable_provider_is_an_unknown_outcome():
    fake = FakeAliyunSms()
    endpoint = fake.endpoint
    fake.httpd.server_close()  # nothing listens there any more
    provider = AliyunProvider({**settings_for(fake), "endpoint": endpoint, "request_timeout_seconds": 1})
    with pytest.raises(ProviderError) as failure:
        provider.send(message())
    assert failure.value.outcome == "unknown"


def test_mask_never_shows_the_middle_digits():
    assert mask("+8613805371234") == "138****1234"
    assert mask(None) == "****"
