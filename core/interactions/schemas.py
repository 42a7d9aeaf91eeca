from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kehu.interactions.models import DIRECTIONS, STATUSES
from kehu.platform.schema_fields import Moment, RowId, Text, TrimmedString
from kehu.platform.time import china_time, utcnow

# Bounds that catch a mistyped year (1999 for 2029, 9999) and a "done" entry in the future. Existing
# entries outside them stay as they are: a follow-up from 1999 is simply shown overdue.
PAST_FOLLOW_UP = timedelta(days=366)
FUTURE_FOLLOW_UP = timedelta(days=5 * 366)
EARLIEST_HISTORY = datetime(1990, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(minutes=10)


def _day(moment) -> str:
    return china_time(moment, "%Y-%m-%d")


def _due_in_bounds(value):
    if value is None:
        return
    now = utcnow()
    earliest, latest = now - PAST_FOLLOW_UP, now + FUTURE_FOLLOW_UP
    if not earliest <= value <= latest:
        raise ValidationError(_("跟进时间须在 %(earliest)s 至 %(latest)s 之间", earliest=_day(earliest),
                                latest=_day(latest)))


def _occurred_in_bounds(value):
    if value is None:
        return
    if value > utcnow() + CLOCK_SKEW:
        raise ValidationError(_("发生时间不能晚于现在"))
    if value < EARLIEST_HISTORY:
        raise ValidationError(_("发生时间不能早于 %(earliest)s", earliest=_day(EARLIEST_HISTORY)))


class InteractionSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    contact_id = RowId(allow_none=True, strict=True)
    user_id = fields.Integer(dump_only=True, allow_none=True)
    kind = Text(required=True, validate=validate.Length(1, 40))
    channel = TrimmedString(allow_none=True, validate=validate.Length(max=40))
    direction = fields.String(load_default="outbound", validate=validate.OneOf(DIRECTIONS))
    subject = TrimmedString(load_default="", validate=validate.Length(max=200))
    content = Text(allow_none=True, validate=validate.Length(max=20000))
    occurred_at = Moment(allow_none=True, validate=_occurred_in_bounds)
    due_at = Moment(allow_none=True, validate=_due_in_bounds)
    status = fields.String(load_default="done", validate=validate.OneOf(STATUSES))
    satisfaction = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 5))
    source_plugin = fields.String(dump_only=True, allow_none=True)
    external_ref = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _planned_needs_due(self, data, partial=False, **kwargs):
        if not partial and data.get("status") == "planned" and not data.get("due_at"):
            raise ValidationError(_("计划的跟进需要填写到期时间"), "due_at")


class InteractionPatchSchema(InteractionSchema):
    kind = Text(validate=validate.Length(1, 40))
    direction = fields.String(validate=validate.OneOf(DIRECTIONS))
    subject = TrimmedString(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(STATUSES))


class InteractionListArgs(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    kind = fields.List(Text(validate=validate.Length(1, 40)))
    due_before = Moment()
    mine = fields.Boolean(load_default=False)


class MessageSchema(Schema):
    channel = Text(required=True, validate=validate.Length(1, 40), metadata={"description": "a name from GET /message-channels"})
    text = Text(required=True, validate=validate.Length(1, 1000))


class MessageSentSchema(Schema):
    channel = fields.String()
    status = fields.String(metadata={"description": "what the channel did: sent, queued"})


class MessageChannelSchema(Schema):
    name = fields.String()
    title = fields.Function(lambda c: str(c.title))
