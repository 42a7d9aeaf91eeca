"""API errors speak one language: the user's (issue 12, point 4): the title, the detail and every
field message, marshmallow's included."""
import re

import pytest

from kehu.extensions import db

CJK = re.compile(r"[\u3400-\u9fff]")
BAD_CUSTOMER = {"name": "x", "birthday": "x", "phone": "1", "unknown": 1, "consent_sms": 3, "tags": "a",
                "extra": [], "owner_id": "a"}


def _texts(body) -> list[str]:
    found = []
    for value in (body.values() if isinstance(body, dict) else body if isinstance(body, list) else [body]):
        if isinstance(value, (dict, list)):
            found += _texts(value)
        elif isinstance(value, str):
            found.append(value)
    return found


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_a_422_is_in_one_language(admin, api_client_as, locale):
    admin.locale = locale
    db.session.commit()
    answer = api_client_as(admin).post("/api/v1/customers", json=BAD_CUSTOMER)
    assert answer.status_code == 422
    texts = [answer.json["title"], answer.json["detail"], *_texts(answer.json["errors"])]
    texts = [t.split("：")[0].split(": ")[0] for t in texts]  # the value quoted after a colon is the user's own
    if locale == "en":
        assert [t for t in texts if CJK.search(t)] == []
        assert answer.json["errors"]["json"]["consent_sms"] == ["Must be true or false"]
    else:
        assert [t for t in texts if not CJK.search(t)] == []
        assert answer.json["title"] == "输入有误"


def test_stock_errors_are_said_in_the_users_language(admin, api_client_as):
    client = api_client_as(admin)
    missing = client.get("/api/v1/customers/987654")
    assert (missing.json["title"], missing.json["detail"]) == ("不存在", "客户不存在")
    assert client.get("/api/v1/no-such-thing").json["detail"] == "没有找到这个地址或记录。"
    assert client.put("/api/v1/tags").json["title"] == "不支持这种请求"
    assert api_client_as(admin).get("/api/v1/customers", headers={"Authorization": "Bearer nope"}).json["title"] == "需要登录"
