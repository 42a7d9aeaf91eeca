from marshmallow import Schema, fields, validate

from kehu.platform.schema_fields import TrimmedString


class TagSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = TrimmedString(required=True, validate=validate.Length(1, 40))
    # the length too, as "$" also matches before a trailing newline
    color = fields.String(allow_none=True, validate=[validate.Length(equal=7), validate.Regexp(r"^#[0-9a-fA-F]{6}$")])
    customer_count = fields.Integer(dump_only=True)
