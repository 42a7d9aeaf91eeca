"""A request that carries a Bearer header is authenticated by that token alone, never by the session cookie
beside it (issue 11: an invalid token used to fall through to the cookie session, skipping CSRF)."""
from kehu.accounts import tokens
from kehu.customers.models import Customer
from kehu.extensions import db


def test_an_invalid_token_does_not_fall_back_to_the_cookie(make_user, web_client_as):
    browser = web_client_as(make_user("sales"))
    forged = browser.post("/api/v1/customers", json={"name": "伪造请求"}, headers={"Authorization": "Bearer kh_x_y"})
    assert forged.status_code == 401 and forged.content_type == "application/problem+json"
    assert browser.post("/api/v1/customers", json={"name": "伪造请求"}).status_code == 400  # no CSRF token
    assert db.session.query(Customer).count() == 0


def test_a_valid_token_speaks_for_its_user_and_leaves_the_session_alone(make_user, web_client_as):
    mine, theirs = make_user("sales"), make_user("sales")
    _, token = tokens.issue(theirs, "integration")
    db.session.commit()
    browser = web_client_as(mine)
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["username"] == theirs.username
    assert browser.get("/api/v1/me").json["username"] == mine.username  # the cookie still names its own user
    made = browser.post("/api/v1/customers", json={"name": "令牌创建"}, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201 and made.json["owner_id"] == theirs.id
