"""Signing in and out, and choosing the language."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_url, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kehu.accounts import lockout, service, sessions, tokens
from kehu.accounts.models import User
from kehu.accounts.passwords import check_password
from kehu.accounts.permissions import DEFAULT_ROLES
from kehu.config import LOCALES
from kehu.extensions import csrf, db, login_manager
from kehu.platform.time import china_time, utcnow

pages = Blueprint("account_pages", __name__, template_folder="templates")

LOCALE_COOKIE = "kehu_locale"


@pages.app_template_filter("role_title")
def role_title(role):
    """Default roles in the user's language; roles admins made keep their own title."""
    default = DEFAULT_ROLES.get(role.name)
    return str(default[0]) if default else role.title


@login_manager.user_loader
def load_user(session_key):
    """Session and remember-me cookies hold a server-side session's key (kehu.accounts.sessions)."""
    return sessions.user_for(session_key)


login_manager.login_view = "account_pages.login"
login_manager.login_message = _l("请先登录。")


@login_manager.unauthorized_handler
def sign_in_first():
    """Pages go to the sign-in form; an htmx request (session expired) makes the whole page go there."""
    if request.path.startswith("/api/"):
        abort(401)
    target = login_url("account_pages.login", request.headers.get("HX-Current-URL") or request.url)
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


@pages.route("/login", methods=["GET", "POST"])
def login():
    """Sign in. Failures are counted per name and client address (kehu.accounts.lockout), behind a
    proxy the real client's (KEHU_TRUSTED_PROXIES); a paused name is not even checked."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username, address = form.username.data.strip(), request.remote_addr or ""
        paused = lockout.paused_until(username, address)
        user = None if paused else db.session.scalar(select(User).where(User.username == username))
        if paused:
            form.password.errors.append(_("登录失败次数过多，请于 %(time)s 后再试，或请管理员解除锁定。",
                                          time=china_time(paused, "%H:%M")))
            status = 429
        elif user is not None and user.active and check_password(user, form.password.data):
            user.last_login_at = utcnow()
            lockout.clear(username, address)
            sessions.start(user, remember=form.remember.data)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            if user.password_change_required:
                flash(_("管理员重置了你的密码，请先设置新密码。"))
                return redirect(url_for("account_pages.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard_pages.home"))
        else:
            db.session.rollback()
            lockout.record_failure(username, address)
            form.password.errors.append(_("用户名或密码不正确。"))
    return render_template("accounts/login.html", form=form), status


@pages.route("/logout", methods=["POST"])
def logout():
    """Ends this browser's session on the server too: a copy of its cookies signs nobody in afterwards."""
    if current_user.is_authenticated:
        sessions.revoke(current_user.session_key)
        db.session.commit()
    logout_user()
    flash(_("已退出登录。"))
    return redirect(url_for("account_pages.login"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)])
    confirm_password = PasswordField(_l("再次输入新密码"), validators=[DataRequired(), Length(max=200)])


@pages.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            ended = service.change_password(current_user, form.current_password.data, form.new_password.data,
                                            form.confirm_password.data)
        except service.AccountInvalid as exc:
            db.session.rollback()
            for name, messages in exc.errors.items():
                getattr(form, name).errors.extend(messages)
            status = 422
        else:
            flash(_("密码已修改；其他设备上的 %(count)s 个登录已退出。", count=ended) if ended else _("密码已修改。"))
            return redirect(url_for("dashboard_pages.home"))
    elif form.errors:
        status = 422
    return render_template("accounts/password.html", form=form), status


# Pages a user whose password an admin reset may still open before choosing a new one.
OPEN_BEFORE_PASSWORD_CHANGE = {"account_pages.change_password", "account_pages.logout", "account_pages.choose_locale",
                               "static"}


def require_password_change():
    """After an admin's reset, every page leads to the password form until the user chose their own
    (Bearer tokens are unaffected: they are integrations, not the person)."""
    if (request.path.startswith("/api/") or g.get("kehu_token_auth") or not current_user.is_authenticated
            or not current_user.password_change_required or request.endpoint in OPEN_BEFORE_PASSWORD_CHANGE):
        return None
    if request.headers.get("HX-Request") == "true":
        return "", 403, {"HX-Redirect": url_for("account_pages.change_password")}
    return redirect(url_for("account_pages.change_password"))


@pages.route("/locale", methods=["POST"])
def choose_locale():
    """Remember the chosen language: in a cookie, and on the account when signed in."""
    chosen = request.form.get("locale")
    target = safe_next(request.form.get("next")) or url_for("dashboard_pages.home")
    response = redirect(target)
    if chosen not in LOCALES:
        return response
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=3600 * 24 * 365, samesite="Lax", httponly=True)
    return response


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def authenticate_api_request():
    """API: a Bearer token alone speaks for a request that carries one (an invalid one is a 401, never a
    fall-back to the session cookie beside it); otherwise the browser session, with a CSRF token on
    unsafe methods."""
    if not request.path.startswith("/api/"):
        return
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = tokens.user_for(credentials.strip())
        if user is None:
            abort(401)
        g._login_user = user  # flask-login's current user for this request only: the session is not touched
        g.kehu_token_auth = True
        return
    if current_user.is_authenticated and request.method in UNSAFE:
        csrf.protect()
