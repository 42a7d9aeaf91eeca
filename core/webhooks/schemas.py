"""Webhook administration: endpoints (subscriptions), deliveries with their attempts, inbound events."""
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from kehu.platform.schema_fields import Boolean, RowId, Text, TrimmedString
from kehu.webhooks.events import known_event_types

DELIVERY_STATUSES = ("pending", "failed", "succeeded", "dead")
INBOUND_STATUSES = ("received", "failed", "processed", "dead")


class WebhookUrl(Text):
    """Where deliveries go: an absolute http(s) URL, nothing else (no file:, no redirects followed)."""

    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(max=2000),
                                   validate.URL(schemes={"http", "https"}, require_tld=False,
                                                error=_("需要以 http:// 或 https:// 开头的有效网址"))],
                         metadata={"format": "uri"},
                         **kwargs)


def _known_event_type(name):
    if name not in known_event_types():
        raise ValidationError(_("未知的事件类型：%(type)s", type=name))


EventType = Text(validate=[validate.Length(1, 120), _known_event_type])


class EndpointSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = WebhookUrl(required=True)
    description = TrimmedString(load_default="", validate=validate.Length(max=200))
    event_types = fields.List(EventType, required=True,
                              validate=validate.Length(1, 100),
                              metadata={"description": "event types to receive, see GET /webhooks/event-types"})
    enabled = Boolean(load_default=True)
    disabled_reason = fields.String(dump_only=True, allow_none=True)
    secret = fields.Function(lambda endpoint: "whsec_********", dump_only=True,
                             metadata={"description": "always masked; the real secret is shown once"})
    previous_secret_expires_at = fields.DateTime(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class EndpointPatchSchema(EndpointSchema):
    url = WebhookUrl()
    description = TrimmedString(validate=validate.Length(max=200))
    event_types = fields.List(EventType, validate=validate.Length(1, 100))
    enabled = Boolean()


class EndpointWithSecretSchema(EndpointSchema):
    """Only in the answers to create and rotate-secret: the one time the secret is shown."""

    secret = fields.String(dump_only=True, attribute="plain_secret",
                           metadata={"description": "whsec_… signing secret; store it now, it is not shown again"})


class RotateSecretSchema(Schema):
    grace_hours = fields.Integer(load_default=24, strict=True, validate=validate.Range(0, 24 * 7),
                                 metadata={"description": "how long the old secret still signs beside the new"})


class EventTypeSchema(Schema):
    type = fields.String()
    description = fields.String()


class AttemptSchema(Schema):
    id = fields.Integer()
    trigger = fields.String()
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    response_excerpt = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_type = fields.String()
    webhook_id = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.Dict()
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class DeliveryListArgs(Schema):
    endpoint_id = RowId()
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    event_type = Text(validate=validate.Length(max=120))


class InboundEventSchema(Schema):
    id = fields.Integer()
    source = fields.String()
    webhook_id = fields.String()
    event_type = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    received_at = fields.DateTime()
    processed_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)


class InboundEventDetailSchema(InboundEventSchema):
    payload = fields.Raw(metadata={"description": "the JSON body as received"})


class InboundListArgs(Schema):
    source = Text(validate=validate.Length(max=60))
    status = fields.String(validate=validate.OneOf(INBOUND_STATUSES))


class InboundAcceptedSchema(Schema):
    id = fields.Integer(metadata={"description": "the stored event"})
    webhook_id = fields.String()
    status = fields.String(validate=validate.OneOf(INBOUND_STATUSES))
    duplicate = fields.Boolean(metadata={"description": "true when this webhook-id had arrived before"})
