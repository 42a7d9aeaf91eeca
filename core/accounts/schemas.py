from marshmallow import Schema, fields

from kehu.platform.schema_fields import Text
from kehu.platform.secrets import masked_ciphertext


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.Function(lambda u: u.role.name)
    scope = fields.String()
    team_id = fields.Integer(allow_none=True)
    permissions = fields.Function(lambda u: sorted(u.role.permissions))


class AuditChanges(fields.Dict):
    """field: [before, after]; stored secrets (encrypted) shown as the mask."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(masked_ciphertext(value), attr, obj, **kwargs)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    user_id = fields.Integer(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    changes = AuditChanges()


class AuditArgs(Schema):
    entity = Text()
    entity_id = Text()
