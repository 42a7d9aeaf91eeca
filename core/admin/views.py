"""Administration: plugins (enable, disable, settings) and users and roles."""
import re
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kehu.accounts import service
from kehu.accounts.models import Role, Team, User
from kehu.accounts.query import lockouts, permission_titles
from kehu.accounts.service import create_user
from kehu.extensions import db
from kehu.platform.audit import AuditLog, visible_entries
from kehu.platform.pagination import page_number, page_rows
from kehu.platform.permissions import require
from kehu.platform.secrets import masked_ciphertext
from kehu.platform.time import from_china
from kehu.plugins.manager import PluginError, SettingsInvalid
from kehu.web import labels
from kehu.web.schema_form import fields_for, read_form

pages = Blueprint("admin_pages", __name__, template_folder="templates")

MIN_PASSWORD = 8


def _manager():
    return current_app.extensions["kehu_plugins"]


def _plugin_row(name: str, error: str | None = None) -> dict:
    row = _manager().describe(name)
    row["has_settings"] = bool(row["settings_schema"].get("properties"))
    row["error"] = error
    return row


# plugins ---------------------------------------------------------------------------------
@pages.route("/admin/plugins")
@login_required
@require("plugin.manage")
def admin_plugins():
    manager = _manager()
    rows = [_plugin_row(name) for name in manager.installed]
    return render_template("admin/plugins.html", plugins=rows, broken=sorted(manager.load_errors.items()))


@pages.route("/admin/plugins/<name>/<any(enable, disable):action>", methods=["POST"])
@login_required
@require("plugin.manage")
def admin_plugin_switch(name, action):
    manager = _manager()
    if name not in manager.installed:
        abort(404)
    error = None
    try:
        getattr(manager, action)(name)
    except PluginError as exc:  # e.g. a required plugin is off, or migrations are pending
        db.session.rollback()
        error = (_("未能启用插件：%(reason)s", reason=exc) if action == "enable"
                 else _("未能停用插件：%(reason)s", reason=exc))
    return render_template("admin/_plugin_row.html", plugin=_plugin_row(name, error))


@pages.route("/admin/plugins/<name>/settings", methods=["GET", "POST"])
@login_required
@require("plugin.manage")
def admin_plugin_settings(name):
    manager = _manager()
    if name not in manager.installed:
        abort(404)
    described = manager.describe(name)
    schema = described["settings_schema"]
    values, errors, status = described["settings"], {}, 200
    if request.method == "POST":
        stored = manager.settings_of(name)
        submitted, errors = read_form(schema, request.form, "settings.", stored)
        if not errors:
            try:
                manager.save_settings(name, submitted)
            except SettingsInvalid as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                flash(_("已保存插件设置：%(title)s", title=described["title"]))
                return redirect(url_for("admin_pages.admin_plugin_settings", name=name))
        values, status = submitted, 422
    rows = fields_for(schema, values, errors, "settings.")
    other_errors = {k: v for k, v in errors.items() if k not in schema.get("properties", {})}
    return render_template("admin/plugin_settings.html", plugin=described, rows=rows,
                           other_errors=other_errors), status


# users and roles -------------------------------------------------------------------------
def _roles():
    return list(db.session.scalars(select(Role).order_by(Role.name)))


def _teams():
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def _render_users(errors=None, values=None, status=200):
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=users, roles=_roles(), teams=_teams(),
                           lockouts=lockouts(), errors=errors or {}, values=values or {}), status


def _user_row(user: User, *, error=None, saved=None, password_errors=None):
    return render_template("admin/_user_row.html", user=user, roles=_roles(), teams=_teams(), error=error,
                           saved=saved, password_errors=password_errors,
                           lockouts=lockouts([user.username]))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _team_from(form) -> tuple[Team | None, str | None]:
    """An existing team chosen by id, or a new team typed by name."""
    new_name = form.get("new_team", "").strip()
    if new_name:
        if len(new_name) > 80:
            return None, _("最多 %(max)s 个字符", max=80)
        return service.ensure_team(new_name), None
    team_id = form.get("team_id", "")
    return (db.session.get(Team, int(team_id)) if team_id.isdigit() else None), None


@pages.route("/admin/users", methods=["GET", "POST"])
@login_required
@require("user.manage")
def admin_users():
    if request.method == "GET":
        return _render_users()
    form = request.form
    values = form.to_dict()
    errors = {}
    username = form.get("username", "").strip()
    if not username or len(username) > 80:
        errors["username"] = [_("必填，最多 %(max)s 个字符", max=80)]
    elif db.session.scalar(select(User).where(User.username == username)):
        errors["username"] = [_("用户名已存在")]
    if len(form.get("password", "")) < MIN_PASSWORD:
        errors["password"] = [_("密码至少 %(count)s 位", count=MIN_PASSWORD)]
    role = db.session.get(Role, int(form["role_id"])) if form.get("role_id", "").isdigit() else None
    if role is None:
        errors["role_id"] = [_("请选择角色")]
    team, team_error = _team_from(form)
    if team_error:
        errors["new_team"] = [team_error]
    if errors:
        db.session.rollback()
        return _render_users(errors, values, 422)
    display_name = form.get("display_name", "").strip()[:80] or username
    create_user(username, form["password"], role.name, display_name, team)
    flash(_("已创建用户：%(name)s", name=username))
    return redirect(url_for("admin_pages.admin_users"))


@pages.route("/admin/users/<id:user_id>", methods=["POST"])
@login_required
@require("user.manage")
def admin_user_update(user_id):
    user = _user_or_404(user_id)
    form = request.form
    role = db.session.get(Role, int(form["role_id"])) if form.get("role_id", "").isdigit() else None
    team = db.session.get(Team, int(form["team_id"])) if form.get("team_id", "").isdigit() else None
    try:
        service.update_user(user, role=role, team=team, active="active" in form, acting=current_user)
    except service.AccountInvalid as exc:
        db.session.rollback()
        return _user_row(user, error=next(iter(exc.errors.values()))[0])
    return _user_row(user, saved=_("已保存。"))


@pages.route("/admin/users/<id:user_id>/password", methods=["POST"])
@login_required
@require("user.manage")
def admin_user_password(user_id):
    """Reset a forgotten password: every session of the user ends (their own admin's too, if it is theirs)."""
    user = _user_or_404(user_id)
    try:
        ended = service.reset_password(user, request.form.get("password", ""), temporary="temporary" in request.form)
    except service.AccountInvalid as exc:
        db.session.rollback()
        return _user_row(user, password_errors=exc.errors["password"]), 422
    return _user_row(user, saved=_("密码已重置，%(count)s 个登录已退出。", count=ended))


@pages.route("/admin/users/<id:user_id>/unlock", methods=["POST"])
@login_required
@require("user.manage")
def admin_user_unlock(user_id):
    user = _user_or_404(user_id)
    service.unlock(user)
    return _user_row(user, saved=_("已解除登录锁定。"))


def _render_roles(errors=None, values=None, status=200, role_errors=None):
    return render_template("admin/roles.html", roles=_roles(), permission_titles=permission_titles(),
                           scopes=labels.SCOPES, errors=errors or {}, values=values or {},
                           role_errors=role_errors or {}), status


def _role_input(form) -> tuple[dict, dict]:
    titles = permission_titles()
    permissions = [p for p in form.getlist("permissions") if p in titles]
    scope = form.get("scope")
    errors = {} if scope in labels.SCOPES else {"scope": [_("请选择列表中的一项")]}
    return {"permissions": sorted(permissions), "scope": scope}, errors


@pages.route("/admin/roles", methods=["GET", "POST"])
@login_required
@require("user.manage")
def admin_roles():
    if request.method == "GET":
        return _render_roles()
    data, errors = _role_input(request.form)
    name, title = request.form.get("name", "").strip(), request.form.get("title", "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        errors["name"] = [_("只能用小写字母、数字和下划线，并以字母开头（最多 40 个字符）")]
    elif db.session.scalar(select(Role).where(Role.name == name)):
        errors["name"] = [_("角色已存在")]
    if not title or len(title) > 80:
        errors["title"] = [_("必填，最多 %(max)s 个字符", max=80)]
    if errors:
        return _render_roles(errors, request.form.to_dict() | {"permissions": data["permissions"]}, 422)
    service.create_role(name, title, data["permissions"], data["scope"])
    flash(_("已创建角色：%(title)s", title=title))
    return redirect(url_for("admin_pages.admin_roles"))


@pages.route("/admin/roles/<id:role_id>", methods=["POST"])
@login_required
@require("user.manage")
def admin_role_update(role_id):
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    data, errors = _role_input(request.form)
    if not errors:
        try:
            service.update_role(role, data["permissions"], data["scope"], acting=current_user)
        except service.AccountInvalid as exc:
            errors = exc.errors
    return render_template("admin/_role_card.html", role=role, permission_titles=permission_titles(),
                           scopes=labels.SCOPES, role_errors=errors, saved=not errors)


# audit log ---------------------------------------------------------------------------------------
AUDIT_PAGE_SIZE = 50


@pages.route("/admin/audit")
@login_required
@require("audit.read")
def audit_log():
    """Who changed what, newest first, filtered by user, kind of record and China-time dates; the rows
    the reader may see (admins all; others those of records in their scope), secrets masked."""
    args, errors = request.args, {}
    query = visible_entries(current_user)
    user_id = args.get("user_id", "")
    if user_id.isdigit() and len(user_id) < 10:
        query = query.where(AuditLog.user_id == int(user_id))
    if args.get("entity"):
        query = query.where(AuditLog.entity == args["entity"][:60])
    for name, bound in (("since", "from"), ("until", "to")):
        text = args.get(name, "").strip()
        if not text:
            continue
        try:
            day = datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            errors[name] = [_("日期无效")]
            continue
        moment = from_china(day if bound == "from" else day + timedelta(days=1))
        query = query.where(AuditLog.at >= moment if bound == "from" else AuditLog.at < moment)
    page = page_number(args.get("page"))
    entries, total = page_rows(query, page, AUDIT_PAGE_SIZE) if not errors else ([], 0)
    entities = sorted(db.session.scalars(select(AuditLog.entity).distinct()))
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/audit.html", entries=entries, total=total, page=page,
                           pages=max(1, -(-total // AUDIT_PAGE_SIZE)), users=users, entities=entities,
                           args=args, errors=errors, masked=masked_ciphertext,
                           query_args=args.to_dict(flat=False)), 422 if errors else 200
