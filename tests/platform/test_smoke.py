def test_admin_creates_and_reads_customer(admin, api_client_as):
    client = api_client_as(admin)
    created = client.post("/api/v1/customers", json={"name": "济宁鸿达机械制造有限公司", "phone": "138 0537 1234",
                                                     "region_code": "370811", "tags": ["重点关注"]})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["phone"] == "+8613805371234"
    assert body["name_pinyin"].startswith("jining")
    assert body["region_name"] == "山东省济宁市任城区"
    got = client.get(f"/api/v1/customers/{body['id']}")
    assert got.json["tags"] == ["重点关注"]
