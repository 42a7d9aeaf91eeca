"""Custom field schemas: the versioned JSON Schemas behind ``Customer.extra`` (see docs/custom-fields.md)."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from kehu.custom_fields.query import active_schemas, get_schema, versions_of
from kehu.custom_fields.schemas import (CustomFieldSchemaCreateSchema, CustomFieldSchemaSchema,
                                        CustomFieldSchemaVersionSchema)
from kehu.custom_fields.service import SchemaInvalid, save_admin_schema
from kehu.platform.permissions import require

blp = Blueprint("custom_fields", __name__, url_prefix="/custom-field-schemas",
                description="Custom customer fields: versioned JSON Schemas (industry packs and admins' own)")


def _saved(key, data):
    try:
        return save_admin_schema(key, data["title"], data["schema"], current_user)
    except SchemaInvalid as exc:
        abort(422, message="invalid custom field schema", messages={"json": exc.errors})


@blp.route("")
class CustomFieldSchemas(MethodView):
    @require("customer.read")
    @blp.response(200, CustomFieldSchemaSchema(many=True))
    def get(self):
        """The active version of every schema on offer, by key."""
        return active_schemas()

    @require("fields.manage")
    @blp.arguments(CustomFieldSchemaCreateSchema)
    @blp.response(201, CustomFieldSchemaSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a schema (version 1). A key that exists already takes a new version with PUT."""
        if versions_of(data["key"]):
            abort(409, message=f"custom field schema {data['key']!r} exists already: PUT a new version")
        return _saved(data["key"], data)


def _versions_or_404(key):
    versions = versions_of(key)
    if not versions:
        abort(404, message=_("没有这个字段方案"))
    return versions


@blp.route("/<key>")
class CustomFieldSchemaVersions(MethodView):
    @require("customer.read")
    @blp.response(200, CustomFieldSchemaSchema(many=True))
    def get(self, key):
        """Every version of the schema, newest first."""
        return _versions_or_404(key)

    @require("fields.manage")
    @blp.arguments(CustomFieldSchemaVersionSchema)
    @blp.response(200, CustomFieldSchemaSchema)
    def put(self, data, key):
        """Save a new version (n+1) and make it active; existing versions never change."""
        _versions_or_404(key)
        return _saved(key, data)


@blp.route("/<key>/<id:version>")
class CustomFieldSchemaVersion(MethodView):
    @require("customer.read")
    @blp.response(200, CustomFieldSchemaSchema)
    def get(self, key, version):
        """One version (records keep the version they were validated with)."""
        row = get_schema(key, version)
        if row is None:
            abort(404, message=_("没有这个字段方案版本"))
        return row
