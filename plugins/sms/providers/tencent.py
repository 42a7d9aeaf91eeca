"""Tencent Cloud SMS 2021-01-11 via ``tencentcloud-sdk-python-sms`` (TC3-HMAC-SHA256), and the shapes
of its callbacks (status reports, replies)."""
import time
from datetime import datetime, timezone

from kehu_plugins.sms.providers.base import OutgoingSms, ProviderError, Receipt, Reply, china_timestamp

THROTTLE_CODES = {"LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberThirtySecondLimit",
                  "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DailyLimit", "RequestLimitExceeded"}
REJECTED_PREFIXES = ("AuthFailure", "InvalidParameter", "FailedOperation", "UnauthorizedOperation",
                     "MissingParameter", "UnsupportedOperation")


class TencentProvider:
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
        self._signed: dict[tuple[str, str], int] = {}  # request -> the last second it may have been signed in

    def _in_a_fresh_second(self, request_key) -> None:
        """Wait until the SDK will sign this request with a timestamp it has not had yet.

        TC3 signs ``X-TC-Timestamp`` in whole seconds and has no nonce, so the same request sent
        twice within one second (a throttled send retried, two look-ups of one number) would be
        byte-identical: a replay to the provider, refused as such.
        """
        now = time.time()
        self._signed = {key: second for key, second in self._signed.items() if second >= int(now)}
        if request_key in self._signed:
            time.sleep(self._signed[request_key] + 1 - now)

    def _call(self, method, request):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        request_key = (method.__name__, request.to_json_string())
        self._in_a_fresh_second(request_key)
        try:
            return method(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "ClientError"
            if code in THROTTLE_CODES:
                raise ProviderError("throttled", code, exc.get_message() or "") from exc
            if code.startswith(REJECTED_PREFIXES):
                raise ProviderError("rejected", code, exc.get_message() or "") from exc
            raise ProviderError("unknown", code, exc.get_message() or "") from exc
        except Exception as exc:
            raise ProviderError("unknown", type(exc).__name__, str(exc)[:200]) from exc
        finally:
            self._signed[request_key] = int(time.time())  # signed at this second or before

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
        outcome = "throttled" if status.Code in THROTTLE_CODES else "rejected"
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


def read_report(item: dict) -> Receipt:
    """One status report: ``{user_receive_time, nationcode, mobile, report_status, errmsg, description, sid}``;
    it names the message by its SerialNo (``sid``) only."""
    return Receipt(out_id=None, provider_message_id=(item.get("sid") or "")[:64] or None,
                   delivered=item.get("report_status") == "SUCCESS", error_code=item.get("errmsg") or None,
                   received_at=china_timestamp(item.get("user_receive_time")))


def read_reply(item: dict) -> Reply:
    """A reply: ``{extend, mobile, nationcode, sign, text, time}`` (``time``: Unix seconds)."""
    when = item.get("time")
    received = datetime.fromtimestamp(when, timezone.utc) if isinstance(when, int) and 0 < when < 2**32 else None
    mobile = item.get("mobile") or ""
    nation = item.get("nationcode") or "86"
    return Reply(phone=f"+{nation}{mobile}" if mobile and not mobile.startswith("+") else mobile,
                 text=item.get("text") or "", received_at=received, external_id=None)
