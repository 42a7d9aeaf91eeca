"""Aliyun Dysms 2017-05-25 via ``alibabacloud_dysmsapi20170525`` (V3 signature, ACS3-HMAC-SHA256),
and the shapes of its HTTP batch push (SmsReport receipts, SmsUp replies)."""
import json
from datetime import datetime

from kehu_sdk.time import CHINA_TZ

from kehu_plugins.sms.providers.base import (OutgoingSms, ProviderError, Receipt, Reply, china_timestamp,
                                             national_number)

THROTTLE_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling", "Throttling.User",
                  "Throttling.Api"}


class AliyunProvider:
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
            if exc.code in THROTTLE_CODES:
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
        outcome = "throttled" if body.code in THROTTLE_CODES else "rejected"
        raise ProviderError(outcome, body.code, body.message or "")

    def find_sent(self, out_id: str, phone: str, since: datetime) -> str | None:
        """QuerySendDetails for the number on the day(s) since the claim; match our OutId."""
        from alibabacloud_dysmsapi20170525 import models
        days = {since.astimezone(CHINA_TZ).date(), datetime.now(CHINA_TZ).date()}
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


def read_report(item: dict) -> Receipt:
    """One SmsReport entry: ``{phone_number, send_time, report_time, success, err_code, err_msg, biz_id, out_id}``."""
    return Receipt(out_id=item.get("out_id") or None, provider_message_id=(item.get("biz_id") or "")[:64] or None,
                   delivered=item.get("success") is True, error_code=item.get("err_code") or None,
                   received_at=china_timestamp(item.get("report_time")))


def read_reply(item: dict) -> Reply:
    """One SmsUp entry: ``{phone_number, send_time, content, sign_name, dest_code, sequence_id}``."""
    return Reply(phone=item.get("phone_number") or "", text=item.get("content") or "",
                 received_at=china_timestamp(item.get("send_time")),
                 external_id=(item.get("sequence_id") or "")[:64] or None)
