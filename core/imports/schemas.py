"""Imports as the API reads and writes them."""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from kehu.imports.models import ACTIONS, MATCH_KEYS, MODES
from kehu.imports.service import columns_of
from kehu.platform.schema_fields import Boolean, RowId


class UploadFileSchema(Schema):
    file = Upload(required=True, metadata={"description": ".xlsx, .xls or .csv (UTF-8, UTF-8 with BOM, GBK/GB18030)"})


class ImportOptionsSchema(Schema):
    mode = fields.String(validate=validate.OneOf(MODES), metadata={
        "description": "create: create every valid row (matches are flagged); upsert: update the customer a row "
                       "matches; skip (default): skip rows that match a customer"})
    match_on = fields.List(fields.String(validate=validate.OneOf(MATCH_KEYS)),
                           metadata={"description": "what makes a match: phone (blind index), uscc, external_id"})
    owner_id = RowId(allow_none=True, metadata={"description": "import into this owner"})
    team_id = RowId(allow_none=True, metadata={"description": "import into this team"})


class UploadOptionsSchema(Schema):
    """The options beside the file in the multipart form (match_on comma-separated)."""
    mode = fields.String(validate=validate.OneOf(MODES))
    match_on = fields.String()
    owner_id = RowId(allow_none=True)
    team_id = RowId(allow_none=True)


class RemapSchema(ImportOptionsSchema):
    mapping = fields.List(fields.String(validate=validate.Length(max=120)), metadata={
        "description": "a target per column, in the order of `headers`: a customer field (name, phone…), "
                       "contact.<field>, contacts.<n>.<field>, extra.<custom field>, or \"\" to leave it out"})
    remember = Boolean(load_default=True, metadata={"description": "offer this mapping for the next file with these headers"})


class ColumnSchema(Schema):
    header = fields.String()
    target = fields.String()
    title = fields.String()


class TargetSchema(Schema):
    target = fields.String()
    title = fields.String()


class ImportJobSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    kind = fields.String()
    encoding = fields.String(allow_none=True)
    delimiter = fields.String(allow_none=True)
    header_line = fields.Integer()
    columns = fields.Method("_columns")
    mode = fields.String()
    match_on = fields.List(fields.String())
    owner_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "checking, checked, running, done, failed, undoing, undone"})
    total_rows = fields.Integer(metadata={"description": "customers found in the file (a customer's contact rows count once)"})
    done_rows = fields.Integer(metadata={"description": "rows written so far, of counts.create + counts.update"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "customers per action: create, update, skip, error"})
    notes = fields.List(fields.String())
    error = fields.String(allow_none=True)
    created_by_id = fields.Integer()
    created_at = fields.DateTime()
    checked_at = fields.DateTime(allow_none=True)
    committed_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    undone_at = fields.DateTime(allow_none=True)

    def _columns(self, job):
        return ColumnSchema(many=True).dump(columns_of(job))


class ImportRowSchema(Schema):
    line = fields.Integer(metadata={"description": "the line in the file (its first, for a customer on several lines)"})
    last_line = fields.Integer()
    action = fields.String(metadata={"description": "create, update, skip or error"})
    name = fields.Function(lambda row: (row.values or {}).get("name"))
    messages = fields.List(fields.String())
    customer_id = fields.Integer(allow_none=True)
    done = fields.Boolean()


class ImportRowArgs(Schema):
    action = fields.String(validate=validate.OneOf(ACTIONS))
