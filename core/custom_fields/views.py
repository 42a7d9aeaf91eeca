"""Administration of custom field schemas: list, create a key, edit (adds a version) in the field form or as JSON."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kehu.custom_fields import form_editor
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
        elif (row := _save_json(key, errors)) is not None:
            flash(_("已创建字段模式 %(key)s（版本 %(version)d）", key=row.key, version=row.version))
            return redirect(url_for("custom_field_pages.admin_field_schema", key=row.key))
    values.setdefault("schema", json.dumps(NEW_SCHEMA, ensure_ascii=False, indent=2))
    return render_template("custom_fields/fields.html", schemas=active_schemas(), errors=errors, values=values,
                           can_manage=current_user.has_permission("fields.manage")), 422 if errors else 200


def _base_version() -> int | None:
    raw = request.form.get("base_version", "")
    return int(raw) if raw.isdigit() else None


def _save_json(key: str, errors: dict):
    schema = _read_schema(errors)
    if schema is None:
        return None
    try:
        return save_admin_schema(key, request.form.get("title", ""), schema, current_user,
                                 base_version=_base_version())
    except SchemaInvalid as exc:
        errors.update(_flat(exc.errors))
        return None


def _save_form(key: str, editor: form_editor.Editor):
    """The form editor's rows as a new version through the same service call as the JSON box."""
    schema = form_editor.schema_of(editor)
    if schema is None:
        return None
    try:
        return save_admin_schema(key, editor.title, schema, current_user, base_version=editor.base_version)
    except SchemaInvalid as exc:
        form_editor.place_errors(editor, exc.errors)
        return None


@pages.route("/admin/fields/<key>", methods=["GET", "POST"])
@login_required
@require("customer.read")
def admin_field_schema(key):
    versions = versions_of(key)
    if not versions:
        abort(404)
    active = get_schema(key) or versions[0]
    # the JSON box posts "schema" (as it did before the field form existed); the field form never does
    tab = "json" if request.values.get("editor") == "json" or "schema" in request.form else "form"
    errors = {}
    values = {"title": active.title, "schema": json.dumps(active.schema, ensure_ascii=False, indent=2),
              "base_version": versions[0].version}
    editor = form_editor.editor_of(active, versions[0].version)

    def page(status):
        return render_template("custom_fields/field_schema.html", key=key, active=active, versions=versions,
                               errors=errors, values=values, tab=tab, editor=editor, kinds=form_editor.KINDS,
                               blank_row=form_editor.FieldRow(uid="__uid__"),
                               can_manage=current_user.has_permission("fields.manage")), status

    if request.method == "GET":
        return page(200)
    if not current_user.has_permission("fields.manage"):
        abort(403)
    if tab == "json":
        values = request.form.to_dict()
        row = _save_json(key, errors)
    else:
        base_version = _base_version() or versions[0].version
        editor = form_editor.read_form(request.form, get_schema(key, base_version) or active, base_version)
        if request.form.get("op"):  # add, move, remove without script: show the changed rows, save nothing
            form_editor.apply(editor, request.form["op"])
            return page(200)
        row = _save_form(key, editor)
    if row is None:
        return page(422)
    flash(_("已保存为版本 %(version)d；按旧版本保存的客户仍按旧版本显示", version=row.version))
    return redirect(url_for("custom_field_pages.admin_field_schema", key=key, **({"editor": "json"} if tab == "json" else {})))
