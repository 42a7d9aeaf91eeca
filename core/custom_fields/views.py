"""Administration of custom field schemas: list, create a key, edit (adds a version)."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kehu.custom_fields.query import active_schemas, get_schema, schema_title, versions_of
from kehu.custom_fields.service import SchemaInvalid, save_admin_schema
from kehu.platform.permissions import require

pages = Blueprint("custom_field_pages", __name__, template_folder="templates")
pages.add_app_template_filter(schema_title, "schema_title")

NEW_SCHEMA = {"type": "object", "properties": {}, "additionalProperties": False}


def _read_schema(errors: dict):
    """The schema from the JSON text box, or None with a line-numbered error."""
    text = request.form.get("schema", "")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        errors["schema"] = [_("不是有效的 JSON：第 %(line)d 行第 %(column)d 列，%(reason)s",
                              line=exc.lineno, column=exc.colno, reason=exc.msg)]
        return None
    return schema


def _flat(errors: dict) -> dict[str, list[str]]:
    """SchemaInvalid nests messages by place in the schema; the page lists them under the box."""
    flat = {}
    for field, messages in errors.items():
        if isinstance(messages, dict):
            flat.setdefault("schema", []).extend(f"{place}: {'; '.join(m)}" for place, m in messages.items())
        else:
            flat.setdefault(field, []).extend(messages)
    return flat


def _save(key: str, errors: dict):
    schema = _read_schema(errors)
    if schema is None:
        return None
    try:
        return save_admin_schema(key, request.form.get("title", ""), schema, current_user)
    except SchemaInvalid as exc:
        errors.update(_flat(exc.errors))
        return None


@pages.route("/admin/fields", methods=["GET", "POST"])
@login_required
@require("customer.read")
def admin_fields():
    errors, values = {}, {}
    if request.method == "POST":
        if not current_user.has_permission("fields.manage"):
            abort(403)
        values = request.form.to_dict()
        key = values.get("key", "").strip()
        if versions_of(key):
            errors["key"] = [_("这个键已经存在，请在它的页面上修改")]
        elif (row := _save(key, errors)) is not None:
            flash(_("已创建字段模式 %(key)s（版本 %(version)d）", key=row.key, version=row.version))
            return redirect(url_for("custom_field_pages.admin_field_schema", key=row.key))
    values.setdefault("schema", json.dumps(NEW_SCHEMA, ensure_ascii=False, indent=2))
    return render_template("custom_fields/fields.html", schemas=active_schemas(), errors=errors, values=values,
                           can_manage=current_user.has_permission("fields.manage")), 422 if errors else 200


@pages.route("/admin/fields/<key>", methods=["GET", "POST"])
@login_required
@require("customer.read")
def admin_field_schema(key):
    versions = versions_of(key)
    if not versions:
        abort(404)
    active = get_schema(key) or versions[0]
    errors = {}
    values = {"title": active.title, "schema": json.dumps(active.schema, ensure_ascii=False, indent=2)}
    if request.method == "POST":
        if not current_user.has_permission("fields.manage"):
            abort(403)
        values = request.form.to_dict()
        if (row := _save(key, errors)) is not None:
            flash(_("已保存为版本 %(version)d；按旧版本保存的客户仍按旧版本显示", version=row.version))
            return redirect(url_for("custom_field_pages.admin_field_schema", key=key))
    return render_template("custom_fields/field_schema.html", key=key, active=active, versions=versions,
                           errors=errors, values=values,
                           can_manage=current_user.has_permission("fields.manage")), 422 if errors else 200
