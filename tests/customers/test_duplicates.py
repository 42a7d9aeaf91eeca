"""查重 on create: the same phone (a contact's too), the same 统一社会信用代码 or a similar company name
is reported before saving, in the API and the form; a customer outside the user's scope is described,
not shown; the user may save anyway."""
import re

import pytest

from kehu.customers.duplicates import name_core
from kehu.customers.models import Customer
from kehu.customers.service import add_contact, create_customer
from kehu.extensions import db


@pytest.mark.parametrize("name, core", [
    ("兖州瑞丰建材商行", "瑞丰建材"), ("瑞丰建材（兖州）", "瑞丰建材"), ("山东济宁鸿达机械制造有限公司", "鸿达机械制造"),
    ("济宁市鸿达机械制造有限责任公司", "鸿达机械制造"), ("新华书店", "新华书"), ("济宁商行", "济宁"),
])
def test_the_core_of_a_business_name(app, name, core):
    assert name_core(name) == core


@pytest.fixture
def ruifeng(make_user):
    other = make_user("sales", team="济南组")
    customer = create_customer({"name": "兖州瑞丰建材商行", "phone": "13853712345", "uscc": "91370800MA3C5WXB3W"}, other)
    add_contact(customer, {"name": "王建国", "phone": "13953718888"})
    return customer


def test_the_api_reports_likely_duplicates_and_saves_when_told(admin, make_user, api_client_as, ruifeng):
    client = api_client_as(admin)
    by_phone = client.post("/api/v1/customers", json={"name": "瑞丰", "phone": "138 5371 2345"})
    assert by_phone.status_code == 409
    assert by_phone.json["duplicates"] == [{"reason": "phone", "score": 100, "customer_id": ruifeng.id,
                                            "description": f"已存在：兖州瑞丰建材商行（编号 {ruifeng.id}）"}]
    by_contact = client.post("/api/v1/customers", json={"name": "某店", "phone": "13953718888"}).json
    assert by_contact["duplicates"][0]["reason"] == "phone"
    by_uscc = client.post("/api/v1/customers", json={"name": "某公司", "uscc": "91370800ma3c5wxb3w"}).json
    assert by_uscc["duplicates"][0]["reason"] == "uscc"
    by_name = client.post("/api/v1/customers", json={"name": "瑞丰建材（兖州）有限公司"}).json
    assert by_name["duplicates"][0]["reason"] == "name" and by_name["duplicates"][0]["score"] == 100
    assert db.session.query(Customer).count() == 1

    saved = client.post("/api/v1/customers", json={"name": "瑞丰建材（兖州）有限公司", "allow_duplicate": True})
    assert saved.status_code == 201
    assert client.post("/api/v1/customers", json={"name": "曲阜孔府食品有限公司"}).status_code == 201
    assert client.post("/api/v1/customers", json={"name": "张伟", "kind": "person"}).status_code == 201
    assert client.post("/api/v1/customers", json={"name": "张伟", "kind": "person"}).status_code == 201  # people share names


def test_outside_the_scope_a_duplicate_is_described_not_shown(make_user, api_client_as, ruifeng):
    sales = make_user("sales", team="济宁一组")
    answer = api_client_as(sales).post("/api/v1/customers", json={"name": "瑞丰建材商行", "phone": "13853712345"})
    assert answer.status_code == 409
    assert answer.json["duplicates"] == [{"reason": "phone", "score": 100, "description": "已存在 · 兖****** · 另一团队"}]
    assert "13853712345" not in answer.text and "customer_id" not in answer.json["duplicates"][0]


def test_the_form_warns_and_saves_when_the_user_says_it_is_another_customer(admin, web_client_as, ruifeng):
    client = web_client_as(admin)
    page = client.get("/customers/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "kind": "company", "name": "瑞丰建材（兖州）", "status": "lead", "phone": ""}
    warned = client.post("/customers/new", data=form)
    assert warned.status_code == 409
    assert "可能已有这个客户" in warned.text and f"已存在：兖州瑞丰建材商行（编号 {ruifeng.id}）" in warned.text
    assert "名称相似" in warned.text and 'name="allow_duplicate"' in warned.text
    assert db.session.query(Customer).count() == 1
    saved = client.post("/customers/new", data={**form, "allow_duplicate": "1"})
    assert saved.status_code == 302 and db.session.query(Customer).count() == 2


def test_an_edit_is_not_held_up_by_its_own_record(admin, api_client_as, ruifeng):
    client = api_client_as(admin)
    assert client.patch(f"/api/v1/customers/{ruifeng.id}", json={"status": "intent"}).status_code == 200
    assert client.patch(f"/api/v1/customers/{ruifeng.id}", json={"allow_duplicate": True}).status_code == 422
