"""Permissions on every route, record scopes own/team/all, tokens, web login with CSRF."""
from datetime import timedelta

import pytest

from kehu.accounts import tokens
from kehu.extensions import db
from kehu.platform.time import utcnow


@pytest.fixture
def teams(make_user, api_client_as):
    """Two sales teams (济宁, 聊城) with one customer each, plus a manager of 济宁."""
    jining_sales = make_user("sales", team="济宁一组")
    jining_peer = make_user("sales", team="济宁一组")
    liaocheng_sales = make_user("sales", team="聊城组")
    manager = make_user("manager", team="济宁一组")
    jining = api_client_as(jining_sales).post("/api/v1/customers", json={"name": "任城区客户", "phone": "13805370001"}).json
    liaocheng = api_client_as(liaocheng_sales).post("/api/v1/customers", json={"name": "东昌府区客户"}).json
    peer = api_client_as(jining_peer).post("/api/v1/customers", json={"name": "同组客户"}).json
    return {"jining_sales": jining_sales, "liaocheng_sales": liaocheng_sales, "manager": manager,
            "jining": jining, "liaocheng": liaocheng, "peer": peer}


def test_sales_cannot_read_another_teams_customer_by_id(teams, api_client_as):
    client = api_client_as(teams["jining_sales"])
    other = teams["liaocheng"]["id"]
    for method, url in [("get", f"/api/v1/customers/{other}"), ("patch", f"/api/v1/customers/{other}"),
                        ("get", f"/api/v1/customers/{other}/interactions"),
                        ("post", f"/api/v1/customers/{other}/contacts")]:
        response = getattr(client, method)(url, json={"name": "x"} if method != "get" else None)
        assert response.status_code == 404, (method, url, response.status_code)
    assert [c["name"] for c in client.get("/api/v1/customers").json] == ["任城区客户"]  # own scope: not even the peer's


def test_manager_sees_the_whole_team_only(teams, api_client_as):
    names = {c["name"] for c in api_client_as(teams["manager"]).get("/api/v1/customers").json}
    assert names == {"任城区客户", "同组客户"}


def test_role_permissions_are_checked(teams, make_user, api_client_as):
    service = api_client_as(make_user("service", team="济宁一组"))
    assert service.post("/api/v1/customers", json={"name": "新客户"}).status_code == 403
    assert service.delete(f"/api/v1/customers/{teams['jining']['id']}").status_code == 403
    sales = api_client_as(teams["jining_sales"])
    assert sales.delete(f"/api/v1/customers/{teams['jining']['id']}").status_code == 403
    assert sales.get("/api/v1/audit").status_code == 403
    marketing = api_client_as(make_user("marketing"))
    listed = {c["name"]: c for c in marketing.get("/api/v1/customers").json}
    assert len(listed) == 3
    assert listed["任城区客户"]["phone"] == "138****0001"  # no customer.pii: masked


def test_sales_cannot_give_customers_to_other_teams(teams, api_client_as):
    client = api_client_as(teams["jining_sales"])
    moved = client.patch(f"/api/v1/customers/{teams['jining']['id']}",
                         json={"owner_id": teams["liaocheng_sales"].id})
    assert moved.status_code == 422 and "owner_id" in moved.json["errors"]["json"]


def test_unauthenticated_and_bad_tokens_get_401(app, make_user):
    client = app.test_client()
    assert client.get("/api/v1/customers").status_code == 401
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer kh_nope_nope"
    response = client.get("/api/v1/customers")
    assert response.status_code == 401 and response.content_type == "application/problem+json"


def test_expired_and_revoked_tokens_are_refused(app, make_user):
    user = make_user("sales")
    expired_row, expired = tokens.issue(user, "old", expires_at=utcnow() - timedelta(minutes=1))
    revoked_row, revoked = tokens.issue(user, "gone")
    revoked_row.revoked_at = utcnow()
    valid_row, valid = tokens.issue(user, "ok")
    db.session.commit()
    for token, status in [(expired, 401), (revoked, 401), (valid, 200)]:
        response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status
    assert valid_row.token_hash not in valid  # only the digest is stored


def test_web_login_with_csrf_and_wrong_password(app, make_user):
    from kehu_sdk.testing import TEST_PASSWORD
    make_user("sales", username="wangfang")
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.get("/").status_code == 302
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    no_csrf = client.post("/login", data={"username": "wangfang", "password": TEST_PASSWORD},
                          follow_redirects=True)
    assert "页面已过期" in no_csrf.text and client.get("/").status_code == 302  # not logged in
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    wrong = client.post("/login", data={"username": "wangfang", "password": "nope-nope", "csrf_token": token})
    assert "用户名或密码不正确" in wrong.text
    ok = client.post("/login?next=https://evil.example/", data={
        "username": "wangfang", "password": TEST_PASSWORD, "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"  # no open redirect
    assert client.get("/").status_code == 200


def test_browser_session_needs_csrf_for_api_writes(app, make_user, web_client_as):
    app.config["WTF_CSRF_ENABLED"] = True
    client = web_client_as(make_user("admin"))
    assert client.get("/api/v1/customers").status_code == 200
    refused = client.post("/api/v1/customers", json={"name": "跨站请求"})
    assert refused.status_code == 400 and refused.content_type == "application/problem+json"


def test_passwords_are_argon2(make_user):
    user = make_user("sales")
    assert user.password_hash.startswith("$argon2id$")


def test_admin_role_holds_permissions_declared_later_by_plugins(make_user):
    admin, sales = make_user("admin"), make_user("sales")
    assert admin.has_permission("erp.view") and admin.has_permission("some_plugin.anything")
    assert not sales.has_permission("erp.view")
