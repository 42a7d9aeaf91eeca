"""What an import does with customers that exist already (skip, update, create), whose they are, and
how the undo puts an updated customer back."""
from sqlalchemy import func, select

from kehu.custom_fields.service import save_admin_schema
from kehu.customers.models import Customer
from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.platform.audit import AuditLog

HEADER = "单位名称,手机,统一社会信用代码,客户编号,状态,行业\n"


def _run(client, job_id):
    assert client.post(f"/api/v1/imports/{job_id}/commit").status_code == 202
    db.session.expire_all()  # the eager tasks wrote in their own sessions
    return client.get(f"/api/v1/imports/{job_id}").json


def _report(client, job_id):
    return {r["line"]: r for r in client.get(f"/api/v1/imports/{job_id}/rows").json}


def test_upsert_updates_the_match_and_undo_restores_it(admin, api_client_as, upload):
    existing = create_customer({"name": "兖州瑞丰建材商行", "phone": "13853712345", "status": "lead",
                                "industry": "retail", "external_id": "C-001"}, admin)
    client = api_client_as(admin)
    sheet = HEADER + ("兖州瑞丰建材（新名）,138 5371 2345,,,成交客户,零售\n"
                      "济宁鸿达机械制造有限公司,13853711111,91370800MA3C5WXB3W,C-002,线索,制造业\n"
                      "鸿达机械（同一信用代码）,13853722222,91370800MA3C5WXB3W,,线索,制造业\n")
    job = upload(admin, sheet.encode(), client=client, mode="upsert").json
    report = _report(client, job["id"])
    assert report[2]["action"] == "update" and f"编号 {existing.id}" in report[2]["messages"][0]
    assert report[3]["action"] == "create", report[3]
    assert report[4]["action"] == "skip" and report[4]["messages"] == ["与第 3 行重复（统一社会信用代码 相同）"]

    assert _run(client, job["id"])["status"] == "done"
    updated = db.session.get(Customer, existing.id)
    assert (updated.name, updated.status, updated.external_id) == ("兖州瑞丰建材（新名）", "customer", "C-001")
    assert db.session.scalar(select(Customer.uscc).where(Customer.name == "济宁鸿达机械制造有限公司")) == "91370800MA3C5WXB3W"

    assert client.post(f"/api/v1/imports/{job['id']}/undo").status_code == 202
    db.session.expire_all()
    restored = db.session.get(Customer, existing.id)
    assert (restored.name, restored.status, restored.deleted_at) == ("兖州瑞丰建材商行", "lead", None)
    assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))) == 1
    changes = [log.changes for log in db.session.scalars(select(AuditLog).where(
        AuditLog.entity == "customer", AuditLog.entity_id == str(existing.id), AuditLog.action == "update")
        .order_by(AuditLog.id))]
    assert changes[-1]["name"] == ["兖州瑞丰建材（新名）", "兖州瑞丰建材商行"]  # the undo is audited like any edit


def test_a_match_outside_the_importers_scope_is_masked_and_never_updated(make_user, api_client_as, upload):
    other = make_user("sales", team="济南组")
    create_customer({"name": "张秀英", "kind": "person", "phone": "13953718888"}, other)
    manager = make_user("manager", team="济宁一组")
    client = api_client_as(manager)
    sheet = "姓名,手机,类型\n张秀英,13953718888,个人\n"
    skipped = _report(client, upload(manager, sheet.encode(), client=client, mode="skip").json["id"])[2]
    assert skipped["action"] == "skip" and skipped["messages"] == ["跳过：已存在 · 张** · 另一团队"]
    refused = _report(client, upload(manager, sheet.encode(), client=client, mode="upsert").json["id"])[2]
    assert refused["action"] == "error"
    assert refused["messages"] == ["不能更新：已存在 · 张** · 另一团队，不在你的权限范围内"]
    kept = _report(client, upload(manager, sheet.encode(), client=client, mode="create").json["id"])[2]
    assert kept["action"] == "create" and kept["messages"] == ["可能重复，仍将新建：已存在 · 张** · 另一团队"]
    assert "13953718888" not in str(skipped) + str(refused) + str(kept)


def test_custom_fields_by_title_are_checked_by_the_industry_schema(admin, api_client_as, upload):
    save_admin_schema("orchard", "果园", {"type": "object", "properties": {
        "area_mu": {"type": "number", "title": "种植面积（亩）", "minimum": 0},
        "crop": {"type": "string", "title": "主要作物", "enum": ["apple", "pear"], "x-enumNames": ["苹果", "梨"]}}}, admin)
    client = api_client_as(admin)
    sheet = ("单位名称,行业,种植面积（亩）,主要作物\n"
             "泗水县鲁润果蔬专业合作社,orchard,\"1,320亩\",苹果\n"
             "梁山县某果园,orchard,-5,梨\n"
             "汶上县某果园,orchard,300,桃\n")
    job = upload(admin, sheet.encode(), client=client).json
    report = _report(client, job["id"])
    assert report[2]["action"] == "create"
    assert report[3]["action"] == "error" and report[3]["messages"][0].startswith("种植面积（亩）：")
    assert report[4]["messages"] == ["主要作物：请选择列表中的一项：桃"]
    _run(client, job["id"])
    customer = db.session.scalar(select(Customer).where(Customer.name == "泗水县鲁润果蔬专业合作社"))
    assert customer.extra == {"area_mu": 1320, "crop": "apple"} and customer.extra_schema == "orchard"


def test_an_owner_column_and_an_owner_to_import_into(admin, make_user, api_client_as, upload):
    wang = make_user("sales", team="济宁一组", username="wangjg")
    client = api_client_as(admin)
    job = upload(admin, "单位名称,负责人\n甲公司,wangjg\n乙公司,不存在的人\n".encode(), client=client).json
    report = _report(client, job["id"])
    assert report[2]["action"] == "create" and report[3]["messages"] == ["负责人：没有这个负责人：不存在的人"]
    _run(client, job["id"])
    assert db.session.scalar(select(Customer.owner_id).where(Customer.name == "甲公司")) == wang.id

    into = upload(admin, "单位名称\n丙公司\n".encode(), client=client, owner_id=wang.id).json
    _run(client, into["id"])
    assert db.session.scalar(select(Customer.team_id).where(Customer.name == "丙公司")) == wang.team_id


def test_bad_options_and_requests_are_problems_in_the_users_language(admin, make_user, api_client_as, upload):
    client = api_client_as(admin)
    wrong_mode = upload(admin, b"a,b\n1,2\n", client=client, mode="merge")
    assert wrong_mode.status_code == 422 and "mode" in wrong_mode.json["errors"]["form"]
    outsider = make_user("sales", team="聊城组")
    manager = make_user("manager", team="济宁一组")
    outside = upload(manager, b"name\nx\n", owner_id=outsider.id)
    assert outside.status_code == 422
    assert outside.json["errors"]["json"] == {"owner_id": ["不能把客户分配给权限范围以外的人"]}
    no_file = client.post("/api/v1/imports", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422
    only_headers = upload(admin, "单位名称,手机\n".encode(), client=client)
    assert only_headers.json["errors"]["files"]["file"] == ["文件里只有表头，没有数据行"]
    job = upload(admin, "单位名称\n甲\n".encode(), client=client).json
    assert client.post(f"/api/v1/imports/{job['id']}/undo").json["errors"]["json"] == {
        "status": ["只有完成的导入才能撤销"]}
    bad_map = client.patch(f"/api/v1/imports/{job['id']}", json={"mapping": ["phone", "phone"]})
    assert bad_map.status_code == 422
    assert bad_map.json["errors"]["json"]["mapping"] == ["对应关系须为每一列给出一项（共 1 列）"]
    assert client.get("/api/v1/imports/999999").status_code == 404
    english = client.post("/api/v1/imports", data={}, content_type="multipart/form-data",
                          headers={"Accept-Language": "en"})
    assert english.status_code == 422


def test_another_users_import_is_not_found(admin, make_user, api_client_as, upload):
    job = upload(admin, "单位名称\n甲\n".encode()).json
    manager = make_user("manager", team="济宁一组")
    assert api_client_as(manager).get(f"/api/v1/imports/{job['id']}").status_code == 404
