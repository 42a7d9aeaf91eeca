"""Admins add and edit custom field schemas in the web UI; each save is a new version."""
import json
import re

from kehu.custom_fields.query import get_schema, versions_of

STONE = {"type": "object", "properties": {
    "stone_type": {"type": "string", "title": "石材种类", "enum": ["青石", "花岗岩"]}}}


def csrf_token(client, path) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_admin_creates_a_schema_and_edits_it_into_version_two(admin, web_client_as):
    client = web_client_as(admin)
    token = csrf_token(client, "/admin/fields")
    created = client.post("/admin/fields", data={"csrf_token": token, "key": "stone", "title": "石材加工",
                                                 "schema": json.dumps(STONE, ensure_ascii=False)})
    assert created.status_code == 302 and created.location.endswith("/admin/fields/stone")
    assert get_schema("stone").version == 1

    page = client.get("/admin/fields/stone")
    assert page.status_code == 200 and "石材种类" in page.text
    edited = dict(STONE, properties=dict(STONE["properties"], quarry={"type": "string", "title": "矿区"}))
    saved = client.post("/admin/fields/stone", data={"csrf_token": token, "title": "石材加工",
                                                     "schema": json.dumps(edited, ensure_ascii=False)})
    assert saved.status_code == 302
    assert [v.version for v in versions_of("stone")] == [2, 1]
    assert "quarry" in get_schema("stone").schema["properties"]
    assert "quarry" not in get_schema("stone", 1).schema["properties"]  # old records keep reading v1
    assert "stone" in client.get("/admin/fields").text


def test_bad_schema_gets_form_errors_not_a_new_version(admin, web_client_as):
    client = web_client_as(admin)
    token = csrf_token(client, "/admin/fields")
    client.post("/admin/fields", data={"csrf_token": token, "key": "stone", "title": "石材",
                                       "schema": json.dumps(STONE)})
    broken = client.post("/admin/fields/stone", data={"csrf_token": token, "title": "石材",
                                                      "schema": '{"type": "object",\n "properties": {'})
    assert broken.status_code == 422 and "第 2 行" in broken.text
    untitled = client.post("/admin/fields/stone", data={"csrf_token": token, "title": "石材", "schema": json.dumps(
        {"type": "object", "properties": {"x": {"type": "string"}}})})
    assert untitled.status_code == 422 and "is-invalid" in untitled.text
    duplicate = client.post("/admin/fields", data={"csrf_token": token, "key": "stone", "title": "又一个",
                                                   "schema": json.dumps(STONE)})
    assert duplicate.status_code == 422
    assert [v.version for v in versions_of("stone")] == [1]


def test_only_field_managers_may_save(make_user, web_client_as, admin):
    admin_client = web_client_as(admin)
    token = csrf_token(admin_client, "/admin/fields")
    admin_client.post("/admin/fields", data={"csrf_token": token, "key": "stone", "title": "石材",
                                             "schema": json.dumps(STONE)})
    sales = web_client_as(make_user("sales"))
    assert sales.get("/admin/fields/stone").status_code == 200  # readable
    token = csrf_token(sales, "/admin/fields/stone")
    refused = sales.post("/admin/fields/stone", data={"csrf_token": token, "title": "x", "schema": json.dumps(STONE)})
    assert refused.status_code == 403
    assert [v.version for v in versions_of("stone")] == [1]
