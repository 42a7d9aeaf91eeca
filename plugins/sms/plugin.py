"""kehu plugin `sms`: providers, templates, campaigns, consent (docs/sms.md)."""
from flask import url_for
from flask_babel import lazy_gettext as _l

from kehu_plugins.sms.service import SWEEP
from kehu_plugins.sms.service.campaigns import SMS_CHANNEL
from kehu_sdk import Plugin, hookimpl
from kehu_sdk.time import CHINA_TZ_NAME

SECRET = {"type": "string", "writeOnly": True, "maxLength": 200}
CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
SWEEP_SECONDS = 10.0

PERMISSIONS = {
    "sms.read": _l("查看短信和短信活动"),
    "sms.send": _l("创建和发送短信活动"),
    "sms.manage": _l("管理短信模板和退订名单"),
}


class SmsPlugin(Plugin):
    """SMS: providers, templates, campaigns, consent."""

    name = "sms"
    title = _l("短信")
    version = "0.1.0"
    settings_schema = {
        "type": "object",
        "properties": {
            "provider": {"type": "string", "enum": ["console", "aliyun", "tencent"], "default": "console",
                         "title": "短信服务商", "x-title-en": "SMS provider",
                         "x-enumNames": ["演示（只写日志，不发送）", "阿里云短信", "腾讯云短信"],
                         "x-enumNames-en": ["Demo (writes to the log, sends nothing)", "Alibaba Cloud SMS", "Tencent Cloud SMS"]},
            "access_key_id": {"type": "string", "maxLength": 100, "default": "",
                              "title": "AccessKey ID / SecretId", "x-title-en": "AccessKey ID / SecretId"},
            "access_key_secret": {**SECRET, "title": "AccessKey Secret / SecretKey", "x-title-en": "AccessKey Secret / SecretKey"},
            "endpoint": {"type": "string", "maxLength": 200, "default": "",
                         "title": "接口地址（空为服务商默认）", "x-title-en": "API endpoint (empty: provider default)"},
            "protocol": {"type": "string", "enum": ["https", "http"], "default": "https",
                         "title": "接口协议", "x-title-en": "API protocol",
                         "x-enumNames": ["HTTPS（加密）", "HTTP（不加密，只用于测试）"],
                         "x-enumNames-en": ["HTTPS (encrypted)", "HTTP (unencrypted, for tests only)"]},
            "region": {"type": "string", "maxLength": 40, "default": "ap-guangzhou", "title": "地域（腾讯云）", "x-title-en": "Region (Tencent Cloud)"},
            "sms_sdk_app_id": {"type": "string", "maxLength": 40, "default": "", "title": "SmsSdkAppId（腾讯云）", "x-title-en": "SmsSdkAppId (Tencent Cloud)"},
            "sign_name": {"type": "string", "maxLength": 40, "default": "", "title": "短信签名", "x-title-en": "Sign name"},
            "message_template_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1, "default": None,
                                    "title": "单条消息模板：客户页“发送消息”用的短信模板 ID（正文含 {content}）",
                                    "x-title-en": "Single-message template: the SMS template id the customer page's send box uses (its text has {content})"},
            "request_timeout_seconds": {"type": "number", "minimum": 1, "maximum": 60, "default": 10,
                                        "title": "请求超时（秒）", "x-title-en": "Request timeout (seconds)"},
            "rate_limit_per_second": {"type": "number", "minimum": 0.1, "maximum": 10000, "default": 50,
                                      "title": "每秒最多发送条数（所有 worker 合计）", "x-title-en": "Messages per second at most (all workers together)"},
            "batch_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100,
                           "title": "每批处理的收件人数", "x-title-en": "Recipients handled per batch"},
            "send_window_start": {**CLOCK, "default": "08:00", "title": "每天开始发送时间", "x-title-en": "Daily sending starts at"},
            "send_window_end": {**CLOCK, "default": "21:00", "title": "每天停止发送时间", "x-title-en": "Daily sending stops at"},
            "timezone": {"type": "string", "maxLength": 40, "default": CHINA_TZ_NAME,
                         "title": "发送时段所用时区", "x-title-en": "Time zone of the sending hours"},
            "opt_out_text": {"type": "string", "maxLength": 20, "default": "拒收请回复R",
                             "title": "营销短信末尾的退订提示", "x-title-en": "Opt-out text appended to marketing messages"},
            "opt_out_keywords": {"type": "array", "items": {"type": "string", "maxLength": 10},
                                 "default": ["T", "TD", "R", "N", "退订"],
                                 "title": "表示退订的回复", "x-title-en": "Replies that mean opting out"},
            "opt_out_error_codes": {"type": "array", "items": {"type": "string", "maxLength": 64},
                                    "default": ["isv.BLACK_KEY_CONTROL_LIMIT", "FailedOperation.PhoneNumberInBlacklist"],
                                    "title": "表示号码已拒收的服务商错误码", "x-title-en": "Provider error codes meaning the number refuses SMS"},
            "callback_token": {**SECRET, "title": "回执/上行回调的令牌（放在请求头或 URL 的用户信息中）",
                               "x-title-en": "Token of the receipt/reply callbacks (in a header or the URL's user info)",
                               "description": "在服务商控制台填写 https://kehu:令牌@您的域名/api/v1/sms/callbacks/aliyun/report"
                                              "（…/aliyun/reply、…/tencent/report、…/tencent/reply）；"
                                              "令牌只用字母、数字、- 和 _。旧的 …/report/令牌 地址已停用。",
                               "x-description-en": "Enter https://kehu:TOKEN@your-host/api/v1/sms/callbacks/aliyun/report "
                                                   "(…/aliyun/reply, …/tencent/report, …/tencent/reply) in the provider "
                                                   "console; use only letters, digits, - and _ in the token. The old "
                                                   "…/report/TOKEN URLs no longer work."},
            "claim_timeout_seconds": {"type": "number", "minimum": 1, "maximum": 3600, "default": 120,
                                      "title": "发送中状态多久后向服务商核对", "x-title-en": "Seconds in 'sending' before asking the provider"},
            "stall_seconds": {"type": "number", "minimum": 1, "maximum": 3600, "default": 60,
                              "title": "活动无进展多久后重新启动发送任务", "x-title-en": "Seconds without progress before a campaign is restarted"},
        },
        "additionalProperties": False,
    }

    @hookimpl
    def register_blueprints(self):
        from kehu_plugins.sms.api import api
        from kehu_plugins.sms.views import web
        return [web, api]

    @hookimpl
    def periodic_tasks(self):
        return {SWEEP: {"task": SWEEP, "schedule": SWEEP_SECONDS}}

    @hookimpl
    def permissions(self):
        return dict(PERMISSIONS)

    @hookimpl
    def default_role_permissions(self):
        # marketing runs campaigns; service answers customers and needs their SMS history
        return {"marketing": ["sms.read", "sms.send", "sms.manage"], "service": ["sms.read"], "manager": ["sms.read"]}

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "sms", "title": _l("短信")}]

    @hookimpl
    def event_types(self):
        return {"sms.delivered": _l("短信已送达（回执）"), "sms.opted_out": _l("号码退订了短信")}

    @hookimpl
    def message_channels(self):
        return [SMS_CHANNEL]

    @hookimpl
    def menu_items(self, user):
        if not user.has_permission("sms.read"):
            return []
        return [{"title": _l("短信"), "url": url_for("sms.campaigns"), "icon": "chat"}]

    @hookimpl
    def customer_panels(self, customer, user):
        if not user.has_permission("sms.read"):
            return []
        from kehu_plugins.sms.views import customer_panel
        return [{"title": _l("短信"), "html": customer_panel(customer.id)}]
