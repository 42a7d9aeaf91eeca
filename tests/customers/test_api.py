"""Customers API: create, read, update, delete, filters, pagination, sorting, errors."""
import json

import pytest

from kehu.platform.time import china_now

NEXT_YEAR = china_now().year + 1  # follow-ups must be due within five years (issue 12, point 3)


@pytest.fixture
def client(admin, api_client_as):
    return api_client_as(admin)


def _create(client, **fields):
    response = client.post("/api/v1/customers", json=fields)
    assert response.status_code == 201, response.json
    return response.json


def test_phone_is_normalized_and_stored_encrypted(app, client):
    created = _create(client, name="张三", kind="person", phone="＋86 １３８-０５３７-１２３４")
    assert created["phone"] == "+8613805371234"
    from kehu.customers.models import Customer
    from kehu.extensions import db
    row = db.session.get(Customer, created["id"])
    assert "13805371234" not in row.phone_encrypted and row.phone_last4 == "1234"


def test_bad_input_gives_problem_details_with_field_errors(client):
    response = client.post("/api/v1/customers", json={"name": "", "phone": "12345", "region_code": "371200",
                                                      "status": "vip", "email": "not-an-email"})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    errors = response.json["errors"]["json"]
    assert set(errors) == {"name", "phone", "region_code", "status", "email"}
    assert "371200" in errors["region_code"][0]  # 莱芜市 no longer exists: not a county code


def test_malformed_json_and_unknown_routes_are_problems(client):
    broken = client.post("/api/v1/customers", data="{not json", content_type="application/json")
    assert broken.status_code in (400, 422) and broken.content_type == "application/problem+json"
    missing = client.get("/api/v1/customers/999999")
    assert missing.status_code == 404 and missing.json["title"] == "不存在"  # in the user's language (issue 12, point 4)
    assert client.get("/api/v1/nothing-here").content_type == "application/problem+json"


def test_update_and_soft_delete(client):
    created = _create(client, name="济南泉城餐饮管理有限公司", status="lead", tags=["新客户"])
    updated = client.patch(f"/api/v1/customers/{created['id']}", json={"status": "intent", "tags": ["老客户"]})
    assert updated.status_code == 200
    assert updated.json["status"] == "intent" and updated.json["tags"] == ["老客户"]
    assert client.delete(f"/api/v1/customers/{created['id']}").status_code == 204
    assert client.get(f"/api/v1/customers/{created['id']}").status_code == 404
    assert client.get("/api/v1/customers").json == []


def test_list_filters_combine(client, admin, make_user):
    other = make_user("sales")
    a = _create(client, name="张伟", kind="person", phone="13905370001", region_code="370811",
                industry="catering", status="customer", tags=["老客户", "重点关注"])
    _create(client, name="聊城东昌府区鸿达农业科技有限公司", phone="15006350002", region_code="371502",
            industry="agriculture", status="lead", tags=["重点关注"], owner_id=other.id)
    c = _create(client, name="曲阜孔孟酒店有限公司", company="孔孟集团", region_code="370881",
                industry="catering", status="intent", tags=["老客户"])

    def ids(**params):
        response = client.get("/api/v1/customers", query_string=params)
        assert response.status_code == 200, response.json
        return sorted(item["id"] for item in response.json)

    assert ids(q="zhangwei") == [a["id"]]            # pinyin
    assert ids(q="zw") == [a["id"]]                  # initials
    assert ids(q="139 0537 0001") == [a["id"]]       # full phone through the blind index
    assert ids(q="0001") == [a["id"]]                # last four digits
    assert ids(q="孔孟集团") == [c["id"]]             # company
    assert ids(region="3708") == sorted([a["id"], c["id"]])
    assert ids(region="370800") == sorted([a["id"], c["id"]])
    assert ids(region="37", industry="catering", status="intent") == [c["id"]]
    assert ids(tags=["老客户", "重点关注"]) == [a["id"]]
    assert len(ids(tags=["老客户", "重点关注"], tag_mode="any")) == 3
    assert ids(owner_id=other.id) == [ids(q="鸿达")[0]]
    assert ids(created_from="2000-01-01T00:00:00", created_to="2000-01-02T00:00:00") == []
    assert client.get("/api/v1/customers", query_string={"region": "99"}).status_code == 422
    assert client.get("/api/v1/customers", query_string={"sort": "phone"}).status_code == 422


def test_pagination_and_sort(client):
    for name in ["王芳", "李强", "赵磊", "陈静", "刘洋"]:
        _create(client, name=name, kind="person")
    first = client.get("/api/v1/customers", query_string={"sort": "name", "page_size": 2, "page": 1})
    pagination = json.loads(first.headers["X-Pagination"])
    assert pagination["total"] == 5 and pagination["total_pages"] == 3
    second = client.get("/api/v1/customers", query_string={"sort": "name", "page_size": 2, "page": 2})
    names = [c["name"] for c in first.json + second.json]
    assert names == ["陈静", "李强", "刘洋", "王芳"]  # by pinyin: chen, li qiang, liu, wang


def test_contacts(client):
    customer = _create(client, name="汶上县瑞丰纺织有限公司", region_code="370830")
    added = client.post(f"/api/v1/customers/{customer['id']}/contacts",
                        json={"name": "孙经理", "phone": "13605370003", "is_primary": True})
    assert added.status_code == 201 and added.json["phone"] == "+8613605370003"
    detail = client.get(f"/api/v1/customers/{customer['id']}").json
    assert [c["name"] for c in detail["contacts"]] == ["孙经理"]
    assert client.get("/api/v1/customers", query_string={"q": "13605370003"}).json[0]["id"] == customer["id"]
    contact_id = added.json["id"]
    assert client.patch(f"/api/v1/customers/contacts/{contact_id}", json={"title": "采购经理"}).json["title"] == "采购经理"
    assert client.delete(f"/api/v1/customers/contacts/{contact_id}").status_code == 204


def test_interaction_timeline_and_follow_ups(client):
    customer = _create(client, name="梁山县水泊物流有限公司", region_code="370832")
    url = f"/api/v1/customers/{customer['id']}/interactions"
    assert client.post(url, json={"kind": "call", "subject": "首次电话"}).status_code == 201
    missing_due = client.post(url, json={"kind": "visit", "status": "planned"})
    assert missing_due.status_code == 422 and "due_at" in missing_due.json["errors"]["json"]
    planned = client.post(url, json={"kind": "visit", "status": "planned", "subject": "上门拜访",
                                     "due_at": f"{NEXT_YEAR}-01-02T10:00:00"})
    assert planned.status_code == 201
    assert planned.json["due_at"].startswith(f"{NEXT_YEAR}-01-02T02:00:00")  # 10:00 Beijing time, stored as UTC
    assert client.post(url, json={"kind": "fax"}).status_code == 422
    timeline = client.get(url).json
    assert [i["subject"] for i in timeline] == ["上门拜访", "首次电话"]
    follow_ups = client.get("/api/v1/interactions", query_string={"status": "planned", "mine": "true"}).json
    assert [i["id"] for i in follow_ups] == [planned.json["id"]]
    done = client.patch(f"/api/v1/interactions/{planned.json['id']}", json={"status": "done", "satisfaction": 5})
    assert done.json["status"] == "done" and done.json["occurred_at"]


def test_tags(client):
    created = client.post("/api/v1/tags", json={"name": "高价值客户", "color": "#ff0000"})
    assert created.status_code == 201
    assert client.post("/api/v1/tags", json={"name": "高价值客户"}).status_code == 409
    _create(client, name="某客户", tags=["高价值客户"])
    assert client.get("/api/v1/tags").json[0]["customer_count"] == 1
