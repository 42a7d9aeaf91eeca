"""Sessions live on the server: logout, password changes and admin resets end them; cookies are
Lax, HttpOnly, Secure over HTTPS; every response carries the security headers (issue 11, point 4)."""
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kehu.accounts.models import User, UserSession
from kehu.cli import cli
from kehu.extensions import db
from kehu.platform.time import utcnow
from kehu_sdk.testing import TEST_PASSWORD

NEW_PASSWORD = "a-new-password-2026"


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)


def sign_in(client, username, password=TEST_PASSWORD, remember=False, **request_options):
    token = csrf_of(client.get("/login", **request_options))
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **request_options)


def copy_cookies(source, target, only=None):
    for cookie in source._cookies.values():
        if only is None or cookie.key in only:
            target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_logout_ends_the_session_and_remember_me_on_the_server(app, make_user):
    make_user("sales", username="zhangwei")
    browser = app.test_client()
    assert sign_in(browser, "zhangwei", remember=True).status_code == 302
    cookies = {c.key: c for c in browser._cookies.values()}
    assert {"session", "remember_token"} <= set(cookies)
    copied, remembered_only = app.test_client(), app.test_client()
    copy_cookies(browser, copied)
    copy_cookies(browser, remembered_only, only={"remember_token"})
    assert signed_in(copied) and signed_in(remembered_only)  # both cookies work before logout

    page = browser.get("/")
    browser.post("/logout", data={"csrf_token": csrf_of(page)})
    assert not signed_in(browser)
    assert not signed_in(copied)  # the stolen copy of the session cookie
    assert not signed_in(remembered_only)
    assert copied.get("/api/v1/customers").status_code == 401
    assert db.session.scalar(select(UserSession.revoked_at)) is not None


def test_cookies_are_lax_httponly_and_remember_me_lasts_thirty_days(app, make_user):
    make_user("sales", username="lina")
    response = sign_in(app.test_client(), "lina", remember=True)
    set_cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in set_cookies if c.startswith("remember_token="))
    session = next(c for c in set_cookies if c.startswith("session="))
    for cookie in (remember, session):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain http
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert timedelta(days=29, hours=23) < expires - utcnow() <= timedelta(days=30)
    row = db.session.scalar(select(UserSession))
    assert row.remember and timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)


def test_cookies_are_secure_over_https(app, make_user):
    make_user("sales", username="liuyang")
    client = app.test_client()
    response = sign_in(client, "liuyang", remember=True, base_url="https://crm.example.cn",
                       headers={"Referer": "https://crm.example.cn/login"})  # Flask-WTF checks it over HTTPS
    assert response.headers["Location"] == "/"
    set_cookies = response.headers.getlist("Set-Cookie")
    assert set_cookies and all("; Secure" in cookie for cookie in set_cookies)


def test_a_cookie_holding_a_bare_user_id_signs_nobody_in(app, make_user):
    """Cookies from before server-side sessions (and forged ones) held the user id."""
    user = make_user("admin")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not signed_in(client)


def test_an_idle_session_expires_and_a_disabled_user_is_signed_out(app, make_user, web_client_as):
    user = make_user("sales")
    client = web_client_as(user)
    assert signed_in(client)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    row.expires_at = row.last_seen_at - timedelta(seconds=1)
    db.session.commit()
    assert not signed_in(client)
    other = web_client_as(user)
    user.active = False
    db.session.commit()
    assert not signed_in(other)


def test_changing_the_password_ends_the_other_sessions(app, make_user):
    make_user("sales", username="wangqiang")
    phone, desktop = app.test_client(), app.test_client()
    sign_in(phone, "wangqiang")
    sign_in(desktop, "wangqiang")
    form = desktop.get("/account/password")
    assert form.status_code == 200
    wrong = desktop.post("/account/password", data={"csrf_token": csrf_of(form), "current_password": "wrong-one",
                                                     "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    short = desktop.post("/account/password", data={"csrf_token": csrf_of(form), "current_password": TEST_PASSWORD,
                                                     "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422 and "密码至少 8 位" in short.text
    assert signed_in(phone)
    done = desktop.post("/account/password", data={"csrf_token": csrf_of(form), "current_password": TEST_PASSWORD,
                                                    "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert signed_in(desktop) and not signed_in(phone)
    fresh = app.test_client()
    assert sign_in(fresh, "wangqiang").status_code == 200  # the old password no longer works
    assert sign_in(fresh, "wangqiang", NEW_PASSWORD).status_code == 302


def test_an_admin_reset_signs_the_user_out_and_makes_them_choose_a_password(app, make_user, web_client_as,
                                                                           api_client_as):
    admin = make_user("admin")
    user = make_user("sales", username="zhaomin")
    their_browser = app.test_client()
    sign_in(their_browser, "zhaomin")
    their_api = api_client_as(user)
    admin_client = web_client_as(admin)
    admin_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_of(admin_client.get("/admin/users"))
    refused = admin_client.post(f"/admin/users/{user.id}/password", data={"password": "short", "temporary": "on"})
    assert refused.status_code == 422 and "密码至少 8 位" in refused.text and signed_in(their_browser)

    reset = admin_client.post(f"/admin/users/{user.id}/password", data={"password": "temporary-2026", "temporary": "on"})
    assert reset.status_code == 200 and "1 个登录已退出" in reset.text and "下次登录须修改密码" in reset.text
    assert not signed_in(their_browser)
    assert their_api.get("/api/v1/customers").status_code == 200  # integrations keep their tokens

    assert sign_in(their_browser, "zhaomin", "temporary-2026").headers["Location"] == "/account/password"
    assert their_browser.get("/customers").headers["Location"] == "/account/password"
    form = their_browser.get("/account/password")
    their_browser.post("/account/password", data={"csrf_token": csrf_of(form), "current_password": "temporary-2026",
                                                   "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert their_browser.get("/customers").status_code == 200
    assert not db.session.get(User, user.id).password_change_required


def test_cli_resets_a_password(app, make_user):
    user = make_user("sales", username="sunli")
    browser = app.test_client()
    sign_in(browser, "sunli")
    runner = app.test_cli_runner()
    result = runner.invoke(cli, args=["users", "set-password", "sunli"], input="cli-password-1\ncli-password-1\n")
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output and not signed_in(browser)
    assert runner.invoke(cli, args=["users", "set-password", "nobody"], input="cli-password-1\ncli-password-1\n").exit_code == 1
    short = runner.invoke(cli, args=["users", "set-password", "sunli"], input="short\nshort\n")
    assert short.exit_code == 1 and "8" in short.output
    db.session.expire_all()
    assert db.session.get(User, user.id).password_change_required
    assert sign_in(app.test_client(), "sunli", "cli-password-1").status_code == 302


@pytest.mark.parametrize("path", ["/login", "/api/v1/customers", "/static/kehu.css", "/no-such-page",
                                  "/api/openapi.json"])
def test_every_response_carries_the_security_headers(app, path):
    response = app.test_client().get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_only_the_api_docs_page_allows_inline_script(app, admin, web_client_as):
    response = web_client_as(admin).get("/api/docs")
    assert response.status_code == 200 and "'unsafe-inline'" in response.headers["Content-Security-Policy"]


TEMPLATE_ROOTS = [Path(__file__).parents[2] / folder for folder in ("core", "plugins", "examples")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|['\"]js:|hx-on[:-]", re.IGNORECASE)


def test_no_template_has_inline_script():
    """The CSP allows scripts from files only: behaviour goes in static/kehu.js with data- attributes."""
    found = [f"{path}: {match.group(0)}" for root in TEMPLATE_ROOTS for path in root.rglob("*.html")
             if "node_modules" not in path.parts for match in INLINE_SCRIPT.finditer(path.read_text())]
    assert found == []


@pytest.fixture(scope="module")
def proxied_app(app_like_the_tests):
    """The app as the documented nginx set-up runs it: one trusted proxy in front."""
    return app_like_the_tests("proxied", KEHU_TRUSTED_PROXIES=1)


def test_behind_the_proxy_cookies_follow_the_forwarded_scheme(app, make_user, proxied_app):
    make_user("sales", username="qianjin")
    client = proxied_app.test_client()
    forwarded = {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
                             "X-Forwarded-Host": "crm.example.cn", "Referer": "https://crm.example.cn/login"}}
    with proxied_app.app_context():
        response = sign_in(client, "qianjin", remember=True, **forwarded)
    assert response.headers["Location"] == "/"
    assert all("; Secure" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    assert db.session.scalar(select(UserSession.address)) == "203.0.113.9"

