"""Signing in and out, and choosing the language."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_url, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kehu.app import LOCALES
from kehu.auth.passwords import check_password
from kehu.extensions import db, limiter, login_manager
from kehu.models import User
from kehu.models.base import utcnow
from kehu.problems import from_http_exception, wants_problem
from kehu.web.blueprint import web

LOCALE_COOKIE = "kehu_locale"


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


login_manager.login_view = "web.login"
login_manager.login_message = _l("请先登录。")


@login_manager.unauthorized_handler
def sign_in_first():
    """Pages go to the sign-in form; an htmx request (session expired) makes the whole page go there."""
    if request.path.startswith("/api/"):
        abort(401)
    target = login_url("web.login", request.headers.get("HX-Current-URL") or request.url)
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": target}
    flash(str(login_manager.login_message))
    return redirect(target)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("记住我"))


def safe_next(target):
    """``target`` when it is a path on this site, else None (no open redirects)."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@web.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.active and check_password(user, form.password.data):
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
        form.password.errors.append(_("用户名或密码不正确。"))
    return render_template("login.html", form=form)


@web.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("已退出登录。"))
    return redirect(url_for("web.login"))


@web.route("/locale", methods=["POST"])
def choose_locale():
    """Remember the chosen language: in a cookie, and on the account when signed in."""
    chosen = request.form.get("locale")
    target = safe_next(request.form.get("next")) or url_for("web.home")
    response = redirect(target)
    if chosen not in LOCALES:
        return response
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=3600 * 24 * 365, samesite="Lax", httponly=True)
    return response


@web.app_errorhandler(CSRFError)
def csrf_expired(error):
    """A stale or missing form token: say so on the form instead of a bare 400 page."""
    if request.path.startswith("/api/"):
        return from_http_exception(error)
    flash(_("页面已过期，请重新提交。"))
    if request.headers.get("HX-Request") == "true":
        return "", 400, {"HX-Refresh": "true"}  # reload the page: it gets a fresh token and shows the message
    return redirect(request.full_path if request.method != "GET" else url_for("web.home"))


ERROR_TITLES = {403: _l("没有权限"), 404: _l("页面不存在"), 405: _l("不支持这种请求")}


@web.app_errorhandler(403)
@web.app_errorhandler(404)
@web.app_errorhandler(405)
def error_page(error):
    """Errors on pages in the user's language; the API and webhooks keep their problem documents."""
    if wants_problem():
        return from_http_exception(error)
    return render_template("error.html", title=ERROR_TITLES[error.code], code=error.code), error.code
