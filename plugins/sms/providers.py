"""SMS providers: Aliyun Dysms and Tencent Cloud SMS through their official SDKs, and a console
provider for the demo.

Every provider takes an idempotency key with each message (``out_id``: Aliyun ``OutId``,
Tencent ``SessionContext``; kehu passes the message id) and can look a message up by it later,
which is how a send interrupted between "provider accepted" and "we committed" is reconciled
instead of being sent again (docs/sms.md, "Exactly once").
"""
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

log = logging.getLogger(__name__)
CHINA = timezone(timedelta(hours=8))


@dataclass
class OutgoingSms:
    out_id: str
    phone: str                 # E.164
    text: str                  # the rendered text (what the console provider prints)
    sign_name: str
    template_code: str | None
    params: dict = field(default_factory=dict)  # template variables in order of appearance


class ProviderError(Exception):
    """A send that did not succeed. ``outcome`` says what we know about the message:

    ``throttled``: not sent, try again later; ``rejected``: not sent and never will be (bad number,
    template, blacklisted); ``unknown``: may have been accepted (timeout, broken connection).
    """

    def __init__(self, outcome: str, code: str, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.outcome = outcome
        self.code = code
        self.message = message


def mask(e164: str | None) -> str:
    """138****5678: the only form of a number that may appear in logs."""
    national = (e164 or "")[3:] if (e164 or "").startswith("+86") else (e164 or "")
    return f"{national[:3]}****{national[-4:]}" if len(national) >= 8 else "****"


def national_number(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


class ConsoleProvider:
    """Writes each message to the log (number masked): the demo works without any account."""

    name = "console"
    reconcilable = False  # find_sent cannot know: every message is committed on its own

    def send(self, sms: OutgoingSms) -> str:
        log.info("SMS to %s [%s]: %s", mask(sms.phone), sms.out_id, sms.text)
        return f"console-{sms.out_id}"

    def find_sent(self, out_id: str, phone: str, since: datetime) -> str | None:
        return None  # nothing to ask: a console message interrupted mid-send is written again


# Aliyun ---------------------------------------------------------------------------------------
ALIYUN_THROTTLE_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling",
                         "Throttling.User", "Throttling.Api"}


class AliyunProvider:
    """Dysms 2017-05-25 via ``alibabacloud_dysmsapi20170525`` (V3 signature, ACS3-HMAC-SHA256)."""

    name = "aliyun"
    reconcilable = True

    def __init__(self, settings: dict):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import utils_models

        timeout_ms = int(settings["request_timeout_seconds"] * 1000)
        config = utils_models.Config(
            access_key_id=settings.get("access_key_id") or "", access_key_secret=settings.get("access_key_secret") or "",
            endpoint=settings.get("endpoint") or "dysmsapi.aliyuncs.com", protocol=settings.get("protocol") or "https",
            read_timeout=timeout_ms, connect_timeout=timeout_ms)
        self.client = Client(config)

    def _call(self, method, request):
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
        try:
            return method(request).body
        except ThrottlingException as exc:
            raise ProviderError("throttled", exc.code or "Throttling", exc.message or "") from exc
        except AlibabaCloudException as exc:
            if exc.code in ALIYUN_THROTTLE_CODES:
                raise ProviderError("throttled", exc.code, exc.message or "") from exc
            if exc.status_code and 400 <= exc.status_code < 500:
                raise ProviderError("rejected", exc.code or str(exc.status_code), exc.message or "") from exc
            raise ProviderError("unknown", exc.code or "ServerError", exc.message or "") from exc
        except Exception as exc:  # network: the request may or may not have arrived
            raise ProviderError("unknown", type(exc).__name__, str(exc)[:200]) from exc

    def send(self, sms: OutgoingSms) -> str:
        from alibabacloud_dysmsapi20170525 import models
        request = models.SendSmsRequest(
            phone_numbers=national_number(sms.phone), sign_name=sms.sign_name, template_code=sms.template_code,
            template_param=json.dumps(sms.params, ensure_ascii=False) if sms.params else None, out_id=sms.out_id)
        body = self._call(self.client.send_sms, request)
        if body.code == "OK":
            return body.biz_id
        outcome = "throttled" if body.code in ALIYUN_THROTTLE_CODES else "rejected"
        raise ProviderError(outcome, body.code, body.message or "")

    def find_sent(self, out_id: str, phone: str, since: datetime) -> str | None:
        """QuerySendDetails for the number on the day(s) since the claim; match our OutId."""
        from alibabacloud_dysmsapi20170525 import models
        days = {since.astimezone(CHINA).date(), datetime.now(CHINA).date()}
        for day in sorted(days):
            page = 1
            while True:
                body = self._call(self.client.query_send_details, models.QuerySendDetailsRequest(
                    phone_number=national_number(phone), send_date=day.strftime("%Y%m%d"),
                    page_size=50, current_page=page))
                if body.code != "OK":
                    raise ProviderError("unknown", body.code, body.message or "")
                details = (body.sms_send_detail_dtos.sms_send_detail_dto or []) if body.sms_send_detail_dtos else []
                for detail in details:
                    if detail.out_id == out_id:
                        return f"outid:{out_id}"  # QuerySendDetails carries no BizId
                if page * 50 >= int(body.total_count or 0):
                    break
                page += 1
        return None


# Tencent --------------------------------------------------------------------------------------
TENCENT_THROTTLE_CODES = {"LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberThirtySecondLimit",
                          "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DailyLimit",
                          "RequestLimitExceeded"}


class TencentProvider:
    """SMS 2021-01-11 via ``tencentcloud-sdk-python-sms`` (TC3-HMAC-SHA256)."""

    name = "tencent"
    reconcilable = True

    def __init__(self, settings: dict):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(protocol=settings.get("protocol") or "https",
                           endpoint=settings.get("endpoint") or "sms.tencentcloudapi.com",
                           reqTimeout=int(settings["request_timeout_seconds"]))
        cred = credential.Credential(settings.get("access_key_id") or "", settings.get("access_key_secret") or "")
        self.client = sms_client.SmsClient(cred, settings.get("region") or "ap-guangzhou",
                                           ClientProfile(httpProfile=http))
        self.app_id = settings.get("sms_sdk_app_id") or ""

    def _call(self, method, request):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        try:
            return method(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "ClientError"
            if code in TENCENT_THROTTLE_CODES:
                raise ProviderError("throttled", code, exc.get_message() or "") from exc
            if code.startswith(("AuthFailure", "InvalidParameter", "FailedOperation", "UnauthorizedOperation",
                                "MissingParameter", "UnsupportedOperation")):
                raise ProviderError("rejected", code, exc.get_message() or "") from exc
            raise ProviderError("unknown", code, exc.get_message() or "") from exc
        except Exception as exc:
            raise ProviderError("unknown", type(exc).__name__, str(exc)[:200]) from exc

    def send(self, sms: OutgoingSms) -> str:
        from tencentcloud.sms.v20210111 import models
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [sms.phone]
        request.SmsSdkAppId = self.app_id
        request.SignName = sms.sign_name
        request.TemplateId = sms.template_code
        request.TemplateParamSet = [str(v) for v in sms.params.values()]
        request.SessionContext = sms.out_id
        response = self._call(self.client.SendSms, request)
        status = response.SendStatusSet[0]
        if status.Code == "Ok":
            return status.SerialNo
        outcome = "throttled" if status.Code in TENCENT_THROTTLE_CODES else "rejected"
        raise ProviderError(outcome, status.Code, status.Message or "")

    def find_sent(self, out_id: str, phone: str, since: datetime) -> str | None:
        """PullSmsSendStatusByPhoneNumber since the claim; match our SessionContext."""
        from tencentcloud.sms.v20210111 import models
        offset = 0
        while True:
            request = models.PullSmsSendStatusByPhoneNumberRequest()
            request.BeginTime = int(since.timestamp()) - 60
            request.Offset = offset
            request.Limit = 100
            request.PhoneNumber = phone
            request.SmsSdkAppId = self.app_id
            response = self._call(self.client.PullSmsSendStatusByPhoneNumber, request)
            found = response.PullSmsSendStatusSet or []
            for status in found:
                if status.SessionContext == out_id:
                    return status.SerialNo
            if len(found) < 100:
                return None
            offset += 100


PROVIDERS = {"console": ConsoleProvider, "aliyun": AliyunProvider, "tencent": TencentProvider}


def provider_from_settings(settings: dict, name: str | None = None):
    name = name or settings["provider"]
    cls = PROVIDERS[name]
    return cls() if name == "console" else cls(settings)
