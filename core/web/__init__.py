"""The base layout of every page: menus, language, template filters shared by all domains, error pages.

Jinja + htmx + Bootstrap + ECharts, all served locally. Domains bring their own blueprints, templates
and filters; this package holds only what every page uses.
"""
from babel.numbers import format_compact_decimal
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from kehu.platform.problems import from_http_exception, wants_problem
from kehu.platform.time import china_time, utcnow
from kehu.web import labels

ERROR_TITLES = {403: _l("没有权限"), 404: _l("页面不存在"), 405: _l("不支持这种请求"), 429: _l("请求太频繁，请稍后再试")}


def _menus() -> dict[str, list[dict]]:
    """The signed-in user's menu entries by section ("main", "admin"): core's and plugins', all from
    the ``menu_items`` hook (core contributes its own through the built-in plugin)."""
    if not current_user.is_authenticated:
        return {"main": [], "admin": []}
    if "kehu_menus" not in g:  # once per request, however many templates render
        sections = {"main": [], "admin": []}
        for found in current_app.extensions["kehu_plugins"].hook("menu_items")(user=current_user):
            for item in found or []:
                sections.setdefault(item.get("section", "main"), []).append(item)
        g.kehu_menus = sections
    return g.kehu_menus


def _template_globals():
    return {"get_locale": get_locale, "nav_items": lambda: _menus()["main"],
            "admin_items": lambda: _menus()["admin"], "labels": labels,
            "is_english": lambda: get_locale().language == "en", "utcnow": utcnow}


def csrf_expired(error):
    """A stale or missing form token: say so on the form instead of a bare 400 page."""
    if request.path.startswith("/api/"):
        return from_http_exception(error)
    flash(_("页面已过期，请重新提交。"))
    if request.headers.get("HX-Request") == "true":
        return "", 400, {"HX-Refresh": "true"}  # reload the page: it gets a fresh token and shows the message
    return redirect(request.full_path if request.method != "GET" else url_for("dashboard_pages.home"))


def error_page(error):
    """Errors on pages in the user's language; the API and webhooks keep their problem documents."""
    if wants_problem():
        return from_http_exception(error)
    return render_template("error.html", title=ERROR_TITLES[error.code], code=error.code), error.code


def favicon():
    """Browsers ask for /favicon.ico whatever the page says; the same picture as the <link rel=icon>."""
    return current_app.send_static_file("favicon.svg"), 200, {"Cache-Control": "public, max-age=86400"}


def about(count: int) -> str:
    """A large number the way people say it, to two figures: 1,234,567 is "120万" (en "1.2M")."""
    rounded = int(float(f"{int(count):.2g}"))
    return format_compact_decimal(rounded, locale=get_locale(), fraction_digits=1)


def register_web(app):
    app.context_processor(_template_globals)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_template_filter(china_time, "localtime")
    app.add_template_filter(about, "about")
    app.add_template_filter(lambda text: Markup(text or ""), "plugin_html")
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
    app.register_error_handler(CSRFError, csrf_expired)
    for code in ERROR_TITLES:
        app.register_error_handler(code, error_page)
