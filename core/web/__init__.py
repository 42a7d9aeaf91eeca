"""Server-rendered web UI (Jinja + htmx + Bootstrap + ECharts, all served locally)."""
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from kehu import phones, regions
from kehu.auth.permissions import DEFAULT_ROLES
from kehu.web import labels
from kehu.web.blueprint import web

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def _localtime(moment, fmt="%Y-%m-%d %H:%M"):
    """Times are stored in UTC and shown in China time (kehu's users are in China)."""
    return moment.astimezone(CHINA_TZ).strftime(fmt) if moment else ""


def _phone(e164):
    """The number in full for users with ``customer.pii``, masked for everybody else."""
    if e164 and not current_user.has_permission("customer.pii"):
        return phones.mask(e164)
    return e164.removeprefix("+86") if e164 else ""  # domestic numbers are read without +86


def _role_title(role):
    """Default roles in the user's language; roles admins made keep their own title."""
    default = DEFAULT_ROLES.get(role.name)
    return str(default[0]) if default else role.title


def _nav_items():
    """Main menu for the signed-in user: core pages they may open, then plugin entries."""
    if not current_user.is_authenticated:
        return []
    items = [{"title": _l("工作台"), "url": url_for("web.home"), "endpoint": "web.home"}]
    if current_user.has_permission("customer.read"):
        items.append({"title": _l("客户"), "url": url_for("web.customer_list"), "endpoint": "web.customer_list"})
    if current_user.has_permission("interaction.read"):
        items.append({"title": _l("待办跟进"), "url": url_for("web.follow_ups"), "endpoint": "web.follow_ups"})
    for found in current_app.extensions["kehu_plugins"].hook("menu_items")(user=current_user):
        items.extend(found or [])
    return items


def _admin_items():
    items = []
    if current_user.is_authenticated and current_user.has_permission("plugin.manage"):
        items.append({"title": _l("插件"), "url": url_for("web.admin_plugins")})
    if current_user.is_authenticated and current_user.has_permission("user.manage"):
        items.append({"title": _l("用户"), "url": url_for("web.admin_users")})
        items.append({"title": _l("角色"), "url": url_for("web.admin_roles")})
    if current_user.is_authenticated and current_user.has_permission("fields.manage"):
        items.append({"title": _l("自定义字段"), "url": url_for("web.admin_fields")})
    if current_user.is_authenticated and current_user.has_permission("webhooks.manage"):
        items.append({"title": "Webhook", "url": url_for("webhook_pages.endpoints")})
    return items


def _template_globals():
    return {"get_locale": get_locale, "nav_items": _nav_items, "admin_items": _admin_items,
            "labels": labels, "is_english": lambda: get_locale().language == "en"}


def register_web(app):
    from kehu.web.custom_fields import schema_title
    # the view modules add their routes to the blueprint when imported
    from kehu.web import admin, admin_fields, auth_views, customers, dashboard  # noqa: F401
    app.register_blueprint(web)
    app.context_processor(_template_globals)
    app.add_template_filter(_localtime, "localtime")
    app.add_template_filter(_phone, "phone")
    app.add_template_filter(_role_title, "role_title")
    app.add_template_filter(schema_title, "schema_title")
    app.add_template_filter(lambda code: regions.full_name(code) or code or "", "region")
    app.add_template_filter(lambda text: Markup(text or ""), "plugin_html")
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
