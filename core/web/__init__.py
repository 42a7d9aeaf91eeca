"""Server-rendered web UI: sign-in and the home page (the full UI builds on this)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from urllib.parse import urlsplit
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kehu.auth.passwords import check_password
from kehu.customer_query import CustomerFilter, criteria
from kehu.extensions import db, limiter, login_manager
from kehu.models import Customer, Interaction, User
from kehu.models.base import utcnow
from kehu.problems import from_http_exception

web = Blueprint("web", __name__)


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


login_manager.login_view = "web.login"
login_manager.login_message = _l("请先登录。")


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("记住我"))


def _safe_next(target):
    parts = urlsplit(target or "")
    return target if target and not parts.scheme and not parts.netloc and target.startswith("/") else None


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
            return redirect(_safe_next(request.args.get("next")) or url_for("web.home"))
        form.password.errors.append(_("用户名或密码不正确。"))
    return render_template("login.html", form=form)


@web.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("已退出登录。"))
    return redirect(url_for("web.login"))


@web.route("/")
@login_required
def home():
    visible = criteria(CustomerFilter(), current_user)
    total = db.session.scalar(select(func.count(Customer.id)).where(*visible))
    by_status = dict(db.session.execute(
        select(Customer.status, func.count(Customer.id)).where(*visible).group_by(Customer.status)).all())
    planned = db.session.scalar(select(func.count(Interaction.id)).where(
        Interaction.status == "planned", Interaction.user_id == current_user.id))
    return render_template("home.html", total=total, by_status=by_status, planned=planned)


@web.app_errorhandler(CSRFError)
def csrf_expired(error):
    """A stale or missing form token: say so on the form instead of a bare 400 page."""
    if request.path.startswith("/api/"):
        return from_http_exception(error)
    flash(_("页面已过期，请重新提交。"))
    return redirect(request.full_path if request.method != "GET" else url_for("web.home"))


def register_web(app):
    app.register_blueprint(web)
    app.context_processor(lambda: {"get_locale": get_locale})
