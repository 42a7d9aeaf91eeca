"""Failed sign-ins pause one name from one address, not everyone behind a shared address; admins see
and lift the pauses (issue 11, point 5)."""
import re

import pytest

from kehu.accounts import lockout
from kehu_sdk.testing import TEST_PASSWORD

FACTORY_NAT = "58.57.12.30"  # one public address for a whole Jining factory
ELSEWHERE = "27.193.5.1"


def attempt(app, username, password, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_guessing_pauses_that_name_from_that_address_only(app, make_user):
    make_user("sales", username="wangfang")
    make_user("sales", username="colleague")
    for _ in range(lockout.PAIR_LIMIT):
        assert "用户名或密码不正确" in attempt(app, "wangfang", "guess-guess", FACTORY_NAT).text
    paused = attempt(app, "wangfang", TEST_PASSWORD, FACTORY_NAT)  # even the right password now
    assert paused.status_code == 429 and "登录失败次数过多" in paused.text
    assert attempt(app, "colleague", TEST_PASSWORD, FACTORY_NAT).status_code == 302  # behind the same NAT
    assert attempt(app, "wangfang", TEST_PASSWORD, ELSEWHERE).status_code == 302  # the owner, from home


def test_a_name_nobody_has_is_paused_the_same_way(app):
    answers = [attempt(app, "no-such-user", "guess-guess", FACTORY_NAT) for _ in range(lockout.PAIR_LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * lockout.PAIR_LIMIT + [429]


def test_a_good_password_forgets_that_address_failures(app, make_user):
    make_user("sales", username="lina")
    for _ in range(lockout.PAIR_LIMIT - 1):
        attempt(app, "lina", "typo-typo", FACTORY_NAT)
    assert attempt(app, "lina", TEST_PASSWORD, FACTORY_NAT).status_code == 302
    for _ in range(lockout.PAIR_LIMIT - 1):
        attempt(app, "lina", "typo-typo", FACTORY_NAT)
    assert attempt(app, "lina", TEST_PASSWORD, FACTORY_NAT).status_code == 302


def test_guessing_from_many_addresses_locks_the_account_and_admins_see_and_lift_it(app, make_user, admin,
                                                                                  web_client_as):
    user = make_user("sales", username="zhaolei")
    for number in range(lockout.ACCOUNT_LIMIT):
        attempt(app, "zhaolei", "guess-guess", f"10.8.{number // 4}.{number % 4 + 1}")
    assert attempt(app, "zhaolei", TEST_PASSWORD, ELSEWHERE).status_code == 429  # from anywhere
    page = web_client_as(admin).get("/admin/users")
    row = page.text.split('data-testid="user-zhaolei"')[1].split('data-testid="user-')[0]
    assert "登录已锁定至" in row and f"失败 {lockout.ACCOUNT_LIMIT} 次" in row

    client = web_client_as(admin)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/admin/users").text).group(1)
    lifted = client.post(f"/admin/users/{user.id}/unlock", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert lifted.status_code == 200 and "已解除登录锁定" in lifted.text and "登录已锁定至" not in lifted.text
    assert attempt(app, "zhaolei", TEST_PASSWORD, ELSEWHERE).status_code == 302


def test_admins_see_which_address_is_paused(app, make_user, admin, web_client_as):
    make_user("sales", username="sunmei")
    for _ in range(lockout.PAIR_LIMIT):
        attempt(app, "sunmei", "guess-guess", FACTORY_NAT)
    row = web_client_as(admin).get("/admin/users").text.split('data-testid="user-sunmei"')[1]
    assert f"来自 {FACTORY_NAT} 的登录暂停至" in row


@pytest.mark.parametrize("forwarded", ["1.2.3.4", "1.2.3.4, 5.6.7.8"])
def test_without_a_trusted_proxy_x_forwarded_for_changes_nothing(app, make_user, forwarded):
    """A guesser cannot escape the limit by inventing X-Forwarded-For (KEHU_TRUSTED_PROXIES is 0)."""
    make_user("sales", username="qianjin")
    for number in range(lockout.PAIR_LIMIT):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = FACTORY_NAT
        page = client.get("/login")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"username": "qianjin", "password": "guess", "csrf_token": token},
                    headers={"X-Forwarded-For": f"{forwarded}{number}"})
    assert attempt(app, "qianjin", TEST_PASSWORD, FACTORY_NAT).status_code == 429
