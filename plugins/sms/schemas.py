"""SMS templates, campaigns, messages and the suppression list as the API and the pages read and write
them: one set of rules for both (the pages load their forms with these schemas too). Marshmallow's
own messages reach people in their language through ``kehu_sdk.schemas.translated``, as core's do.
"""
import re

from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, fields, validate

from kehu_plugins.sms.models import MESSAGE_STATUSES, TEMPLATE_KINDS
from kehu_plugins.sms.service import campaigns, templates
from kehu_sdk import PluginSchema
from kehu_sdk.customers import FilterInvalid, InvalidPhone, normalize_phone
from kehu_sdk.schemas import Boolean, JsonObject, Moment, RowId, Text, TrimmedString

# the customer list's filter arguments (page and sort mean nothing for a campaign)
TARGET_KEYS = {"q", "status", "kind", "tags", "tag_mode", "region", "industry", "owner_id", "team_id",
               "created_from", "created_to", "fact"}


def Name(maximum: int) -> TrimmedString:  # noqa: N802  a field, named like one
    """A name: at most ``maximum`` characters as sent, not blank once trimmed."""
    return TrimmedString(required=True, validate=validate.Length(1, maximum))


class SmsSchema(PluginSchema):
    __plugin__ = "sms"


# templates --------------------------------------------------------------------------------------
def _renders(body: str) -> None:
    try:
        templates.variables(body)
    except templates.TemplateInvalid as exc:
        raise ValidationError(str(exc)) from exc


class TemplateSchema(SmsSchema):
    id = fields.Integer(dump_only=True)
    name = Name(100)
    kind = fields.String(load_default="marketing", validate=validate.OneOf(TEMPLATE_KINDS),
                         metadata={"description": "marketing: consent, opt-out text and quiet hours apply; "
                                                  "notification: service messages"})
    body = Text(required=True, validate=[validate.Length(1, templates.MAX_LENGTH), _renders],
                metadata={"description": "text with {name} {company} {industry} {status} {region_code} {address} "
                                         "{extra.<field>}; {{ and }} for literal braces"})
    sign_name = Text(allow_none=True, validate=validate.Length(max=40))
    provider_template_code = Text(allow_none=True, validate=validate.Length(max=64))
    variables = fields.List(fields.String(), dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def get_attribute(self, obj, attr, default):
        if attr == "variables":
            return templates.variables(obj.body)
        return super().get_attribute(obj, attr, default)


class PreviewArgsSchema(SmsSchema):
    customer_id = RowId(required=True)


class PreviewSchema(SmsSchema):
    template_id = fields.Integer()
    customer_id = fields.Integer()
    text = fields.String(metadata={"description": "what the customer receives, opt-out text included"})
    length = fields.Integer()
    parts = fields.Integer(metadata={"description": "SMS the provider bills: 70 characters, else 67 per part"})
    params = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "the variables as the provider gets them"})
    consent_sms = Boolean()


# campaigns --------------------------------------------------------------------------------------
class Target(JsonObject):
    """The customer-list filter as a JSON object: the arguments GET /api/v1/customers takes."""

    def _deserialize(self, value, attr, data, **kwargs):
        target = super()._deserialize(value, attr, data, **kwargs)
        unknown = [k for k in target if k not in TARGET_KEYS and not k.startswith("extra.")]
        if unknown:
            raise ValidationError(_("未知的筛选条件：%(keys)s", keys=", ".join(sorted(unknown))))
        try:
            campaigns.customer_filter(target)
        except FilterInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return target


class CountsSchema(SmsSchema):
    pending = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    undelivered = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()


class ProgressSchema(SmsSchema):
    status = fields.String()
    total = fields.Integer(metadata={"description": "recipients chosen when the campaign started"})
    excluded = fields.Integer(metadata={"description": "matched customers left out (no consent, phone, or suppressed)"})
    counts = fields.Nested(CountsSchema)
    done = fields.Integer()
    percent = fields.Float()
    resume_at = fields.DateTime(allow_none=True, metadata={"description": "waiting for the send window until then"})


class AudienceSchema(SmsSchema):
    matched = fields.Integer()
    eligible = fields.Integer()


class CampaignSchema(SmsSchema):
    id = fields.Integer(dump_only=True)
    name = Name(100)
    template_id = RowId(required=True, strict=True)
    target = Target(keys=fields.String(), load_default=dict, metadata={
        "description": "customer filter: q, status, kind, tags, tag_mode, region, industry, owner_id, team_id, "
                       "created_from, created_to, fact, extra.<field>[__op]"})
    scheduled_at = Moment(allow_none=True, metadata={"description": "start then (without offset: China time); null: at once"})
    status = fields.String(dump_only=True)
    provider = fields.String(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    progress = fields.Nested(ProgressSchema, dump_only=True)

    def get_attribute(self, obj, attr, default):
        if attr == "progress":
            return campaigns.progress(obj)
        return super().get_attribute(obj, attr, default)


class CampaignDetailSchema(CampaignSchema):
    audience = fields.Nested(AudienceSchema, dump_only=True, allow_none=True,
                             metadata={"description": "drafts only: how many the target finds and may get it"})

    def get_attribute(self, obj, attr, default):
        if attr == "audience":
            return campaigns.audience(obj) if obj.status == "draft" else None
        return super().get_attribute(obj, attr, default)


def _masked(last4: str | None) -> str | None:
    return f"*******{last4}" if last4 else None


class MessageSchema(SmsSchema):
    id = fields.Integer(metadata={"description": "also the provider's idempotency key (OutId / SessionContext)"})
    customer_id = fields.Integer()
    status = fields.String()
    phone = fields.Function(lambda m: _masked(m.phone_last4), allow_none=True,
                            metadata={"type": "string", "description": "masked: the last four digits"})
    attempts = fields.Integer()
    provider_message_id = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    receipt_at = fields.DateTime(allow_none=True)


class MessageListArgsSchema(SmsSchema):
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))


# the suppression list ---------------------------------------------------------------------------
class Phone(Text):
    """A phone number as people type it; loads as E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(_("请填写手机号"))
        try:
            return normalize_phone(super()._deserialize(value, attr, data, **kwargs))
        except InvalidPhone:
            raise ValidationError(_("不是有效的电话号码")) from None


class NewSuppressionSchema(SmsSchema):
    phone = Phone(required=True)
    note = Text(allow_none=True, validate=validate.Length(max=200))


class SuppressionAddedSchema(SmsSchema):
    added = fields.Boolean(metadata={"description": "false: the number was on the list already"})


class SuppressionSchema(SmsSchema):
    id = fields.Integer()
    phone = fields.Function(lambda s: _masked(s.phone_last4), allow_none=True, metadata={"type": "string"})
    reason = fields.String(metadata={"description": "reply, callback or manual"})
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class StatsSchema(SmsSchema):
    messages = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "by status"})
    suppressed = fields.Integer()
    now = fields.DateTime()


# provider callbacks -----------------------------------------------------------------------------
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ProviderValue(fields.Raw):
    """A value as a provider sent it, read as text (NUL characters dropped, lone surrogates — which no
    database stores — replaced by U+FFFD; null stays null).

    Callbacks accept odd values rather than refuse them: a refused callback is retried by the
    provider for days, and a value that names nothing simply matches nothing.
    """

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return None if value is None else LONE_SURROGATE.sub("\ufffd", str(value).replace("\x00", ""))


class CallbackSchema(SmsSchema):
    class Meta(SmsSchema.Meta):
        unknown = EXCLUDE  # providers add fields over time


class AliyunReportSchema(CallbackSchema):
    phone_number = ProviderValue()
    send_time = ProviderValue(metadata={"description": "Beijing time, 2026-11-23 10:00:00"})
    report_time = ProviderValue()
    success = fields.Raw(allow_none=True, metadata={"description": "true when delivered"})
    err_code = ProviderValue()
    err_msg = ProviderValue()
    biz_id = ProviderValue()
    out_id = ProviderValue(metadata={"description": "the kehu message id given as OutId"})


class AliyunReplySchema(CallbackSchema):
    phone_number = ProviderValue()
    send_time = ProviderValue()
    content = ProviderValue()
    sign_name = ProviderValue()
    dest_code = ProviderValue()
    sequence_id = ProviderValue()


class TencentReportSchema(CallbackSchema):
    user_receive_time = ProviderValue()
    nationcode = ProviderValue()
    mobile = ProviderValue()
    report_status = ProviderValue(metadata={"description": "SUCCESS when delivered"})
    errmsg = ProviderValue()
    description = ProviderValue()
    sid = ProviderValue(metadata={"description": "the SerialNo SendSms answered"})


class TencentReplySchema(CallbackSchema):
    extend = ProviderValue()
    mobile = ProviderValue()
    nationcode = ProviderValue()
    sign = ProviderValue()
    text = ProviderValue()
    time = fields.Raw(allow_none=True, metadata={"description": "Unix seconds"})


class AliyunAnswerSchema(SmsSchema):
    code = fields.Integer()
    msg = fields.String()


class TencentAnswerSchema(SmsSchema):
    result = fields.Integer()
    errmsg = fields.String()
