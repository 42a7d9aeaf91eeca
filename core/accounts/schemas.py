from marshmallow import Schema, fields

from kehu.platform.schema_fields import Text


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.Function(lambda u: u.role.name)
    scope = fields.String()
    team_id = fields.Integer(allow_none=True)
    permissions = fields.Function(lambda u: sorted(u.role.permissions))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    user_id = fields.Integer(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    changes = fields.Dict()


class AuditArgs(Schema):
    entity = Text()
    entity_id = Text()
