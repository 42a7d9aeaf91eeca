"""Exports as the API and the pages read and write them."""
from flask import url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from kehu.customers.query import EXTRA_PREFIX, FILTER_ARGS, CustomerFilter, FilterInvalid, filter_from_args
from kehu.exports.formats import available_formats
from kehu.exports.models import STATUSES
from kehu.exports.query import is_expired
from kehu.platform.schema_fields import JsonObject, Text


class CustomerFilterArgs(JsonObject):
    """The customer list's filter as a JSON object, the arguments ``GET /api/v1/customers`` takes;
    loads as the ``CustomerFilter`` the list would run."""

    def _deserialize(self, value, attr, data, **kwargs):
        args = super()._deserialize(value, attr, data, **kwargs)
        unknown = sorted(k for k in args if k not in FILTER_ARGS and not k.startswith(EXTRA_PREFIX))
        if unknown:
            raise ValidationError(_("未知的筛选条件：%(keys)s", keys=", ".join(unknown)))
        try:
            return filter_from_args(args)
        except FilterInvalid as exc:
            raise ValidationError(exc.errors) from None


def _known_format(name):
    if name not in available_formats():
        raise ValidationError(_("没有这种导出格式：%(name)s", name=name))


class ExportRequestSchema(Schema):
    format = Text(load_default="xlsx", validate=[validate.Length(1, 40), _known_format],
                  metadata={"description": "`xlsx`, `csv` or a plugin's format (GET /exports/formats)"})
    filter = CustomerFilterArgs(keys=Text(), load_default=CustomerFilter, metadata={
        "description": "the customer list's filter, as GET /customers takes it: q, status, kind, tags, tag_mode, "
                       "region, industry, owner_id, team_id, created_from, created_to, sort, fact, "
                       "extra.<field>[__op]; lists for repeatable arguments"})


def _download_url(job):
    if job.status != "done" or is_expired(job):
        return None
    return url_for("exports.ExportFile", job_id=job.id)


class ExportJobSchema(Schema):
    id = fields.Integer()
    format = fields.String()
    status = fields.String(metadata={"description": " → ".join(STATUSES[:3]) + "; or failed; expired once the "
                                                     "file is deleted (KEHU_EXPORT_TTL_HOURS after it was made)"})
    filter = fields.Dict(attribute="filter_args", metadata={"description": "the filter as the list's arguments"})
    rows_total = fields.Integer(allow_none=True, metadata={"description": "customers the filter found"})
    rows_done = fields.Integer(metadata={"description": "customers written so far"})
    row_count = fields.Integer(allow_none=True, metadata={"description": "customers in the file, once it is made"})
    file_name = fields.String(allow_none=True)
    download_url = fields.Function(_download_url, allow_none=True,
                                   metadata={"description": "while the file is there (until expires_at)"})
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)


class ExportFormatSchema(Schema):
    name = fields.String()
    title = fields.String()
    extension = fields.String()
    mimetype = fields.String()
