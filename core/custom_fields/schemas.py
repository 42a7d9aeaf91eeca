"""Custom field schemas (versions of the JSON Schema behind ``Customer.extra``)."""
from marshmallow import Schema, fields, validate

from kehu.custom_fields.service import KEY
from kehu.platform.schema_fields import JsonObject, TrimmedString


class CustomFieldSchemaSchema(Schema):
    key = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    schema = fields.Dict(dump_only=True, metadata={"description": "JSON Schema (Draft 2020-12) of the fields"})
    origin = fields.String(dump_only=True, metadata={"description": '"admin" or "plugin:<name>"'})
    is_active = fields.Boolean(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class CustomFieldSchemaVersionSchema(Schema):
    """A new version of an existing key."""

    title = TrimmedString(required=True, validate=validate.Length(1, 200))
    schema = JsonObject(required=True, metadata={
        "description": "JSON Schema (Draft 2020-12): an object whose properties are the fields, each with "
                       "a title and a type (string, integer, number, boolean, array)"})


class CustomFieldSchemaCreateSchema(CustomFieldSchemaVersionSchema):
    key = fields.String(required=True, validate=[validate.Length(1, 80), validate.Regexp(KEY)], metadata={
        "description": "lower-case letters, digits, underscore; an industry code makes it that industry's schema"})
