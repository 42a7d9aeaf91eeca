from marshmallow import Schema, fields

from kehu.platform.schema_fields import Boolean, JsonObject


class PluginSchema(Schema):
    name = fields.String()
    title = fields.String()
    version = fields.String()
    requires = fields.List(fields.String())
    enabled = Boolean()
    settings_schema = fields.Dict()
    settings = fields.Dict()


class PluginSettingsSchema(Schema):
    settings = JsonObject(required=True)
