"""Tags: one service for every write (the API, and customer saves that type a new tag)."""
import pytest

from kehu.extensions import db
from kehu.tags.models import Tag


@pytest.fixture
def manager(client_as_role):
    return client_as_role("manager", api=True)  # holds tag.manage


def test_create_rename_delete_and_counts(manager, make_customer):
    created = manager.post("/api/v1/tags", json={"name": "重点客户", "color": "#aa0000"})
    assert created.status_code == 201 and created.json["customer_count"] == 0
    make_customer(owner=manager.user, tags=["重点客户"])
    assert manager.get("/api/v1/tags").json[0]["customer_count"] == 1
    other = manager.post("/api/v1/tags", json={"name": "老客户"}).json
    clash = manager.patch(f"/api/v1/tags/{other['id']}", json={"name": "重点客户"})
    assert clash.status_code == 409 and clash.json["detail"] == "标签已存在：重点客户"
    assert manager.patch(f"/api/v1/tags/{other['id']}", json={"name": "回头客"}).json["name"] == "回头客"
    assert manager.delete(f"/api/v1/tags/{other['id']}").status_code == 204
    assert [t.name for t in db.session.query(Tag)] == ["重点客户"]


def test_typing_a_new_tag_needs_tag_manage(client_as_role, manager):
    sales = client_as_role("sales", api=True)
    refused = sales.post("/api/v1/customers", json={"name": "梁山县合作社", "tags": ["新标签"]})
    assert refused.status_code == 422 and refused.json["errors"]["json"]["tags"] == ["标签不存在：新标签"]
    made = manager.post("/api/v1/customers", json={"name": "梁山县合作社", "tags": ["新标签"]})
    assert made.status_code == 201 and made.json["tags"] == ["新标签"]
    assert sales.post("/api/v1/tags", json={"name": "x"}).status_code == 403
