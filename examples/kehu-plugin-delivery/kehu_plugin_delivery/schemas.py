"""A delivery receipt as the API reads and writes it, and as the provider's event is checked (one rule)."""
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from kehu_sdk.schemas import Moment, PluginSchema, TrimmedString


class ReceiptSchema(PluginSchema):
    """A signed delivery: which waybill, who signed, when (without an offset: China time), how many pieces."""

    __plugin__ = "delivery"

    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    waybill_no = TrimmedString(required=True, validate=validate.Length(1, 40, error=_l("运单号须为 1 至 40 个字符")))
    signed_by = TrimmedString(required=True, validate=validate.Length(1, 60, error=_l("签收人须为 1 至 60 个字符")))
    signed_at = Moment(required=True, metadata={"description": "ISO 8601; without an offset China time"})
    pieces = fields.Integer(strict=True, allow_none=True, load_default=None,
                            validate=validate.Range(1, 999_999, error=_l("件数须为 1 至 999999 的整数")))
    recorded_by = fields.Integer(dump_only=True, allow_none=True,
                                 metadata={"description": "the user who recorded it by hand (null: the provider)"})
    created_at = fields.DateTime(dump_only=True)
