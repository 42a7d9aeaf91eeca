"""An import through the API, as a new user's first day goes: a messy Chinese sheet, the dry run's
line-numbered report, the run, the customers found, the undo."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.platform.audit import AuditLog

MESSY = (
    "客户导入表（2026 年 11 月）\n"
    "单位名称,联系人,手机,地址,所属区县,行业,状态,标签\n"
    "兖州瑞丰建材商行,王建国,+86 138-5371-2345,山东省济宁市兖州区建设路 12 号,,零售,意向客户,老客户|重点\n"
    " 曲阜孔府食品有限公司 ,李秀英,１３９５３７１８８８８,,济宁市曲阜市,餐饮,成交,新客户\n"
    ",张伟,13853700001,,,,,\n"
    "汶上县鲁润农资店,,0537-721 2345,汶上县红星路238号,,农业,线索,\n"
    "泗水县某商店,赵六,12345,,,,潜在,\n"
    "兖州瑞丰建材商行（重复）,王建国,13853712345,,,,线索,\n"
)


def _job(client, job_id):
    return client.get(f"/api/v1/imports/{job_id}").json


def _rows(client, job_id, **params):
    return client.get(f"/api/v1/imports/{job_id}/rows", query_string={"page_size": 100, **params}).json


def test_a_messy_sheet_is_checked_run_and_undone(admin, api_client_as, upload):
    client = api_client_as(admin)
    answer = upload(admin, MESSY.encode("gbk"), "客户.csv", client=client)
    assert answer.status_code == 202, answer.json
    job = _job(client, answer.json["id"])  # eager Celery in tests: the dry run has run

    assert job["status"] == "checked", job
    assert job["encoding"] == "gb18030" and job["header_line"] == 2
    assert [c["target"] for c in job["columns"]] == ["name", "contact.name", "phone", "address", "region_code",
                                                      "industry", "status", "tags"]
    assert job["counts"] == {"create": 3, "update": 0, "skip": 1, "error": 1}
    report = {r["line"]: r for r in _rows(client, job["id"])}
    assert report[3]["action"] == "create"
    assert report[4]["last_line"] == 5, report  # 张伟 on the next line is a second contact of 曲阜孔府
    assert report[7]["action"] == "error" and report[7]["messages"] == ["电话：不是有效的电话号码：12345"]
    assert report[8]["action"] == "skip" and "第 3 行" in report[8]["messages"][0]
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0  # a dry run writes nothing

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/imports/{job['id']}/errors.xlsx").data))
    sheet = workbook.active
    assert [c.value for c in sheet[1]][-1] == "错误原因"
    assert [c.value for c in sheet[2]][0] == "泗水县某商店" and "12345" in sheet.cell(2, 9).value

    ran = client.post(f"/api/v1/imports/{job['id']}/commit")
    assert ran.status_code == 202
    job = _job(client, job["id"])
    assert job["status"] == "done" and job["done_rows"] == 3  # of the rows to write
    customers = {c.name: c for c in db.session.scalars(select(Customer))}
    assert set(customers) == {"兖州瑞丰建材商行", "曲阜孔府食品有限公司", "汶上县鲁润农资店"}
    ruifeng = customers["兖州瑞丰建材商行"]
    assert ruifeng.phone == "+8613853712345" and ruifeng.region_code == "370812"  # the county from the address
    assert ruifeng.status == "intent" and ruifeng.industry == "retail"
    assert [t.name for t in ruifeng.tags] == ["老客户", "重点"]
    assert [c.name for c in ruifeng.contacts] == ["王建国"]
    kongfu = customers["曲阜孔府食品有限公司"]
    assert kongfu.phone == "+8613953718888" and kongfu.region_code == "370881" and kongfu.status == "customer"
    assert [c.name for c in kongfu.contacts] == ["李秀英", "张伟"]
    assert customers["汶上县鲁润农资店"].phone == "+865377212345"
    created_logs = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "customer", AuditLog.action == "create"))
    assert created_logs == 3

    undone = client.post(f"/api/v1/imports/{job['id']}/undo")
    assert undone.status_code == 202
    assert _job(client, job["id"])["status"] == "undone"
    assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))) == 0
    deleted_logs = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "customer", AuditLog.action == "delete"))
    assert deleted_logs == 3


def test_the_upload_and_the_phones_it_holds_are_encrypted_at_rest(app, admin, upload):
    from pathlib import Path
    from kehu.imports.models import ImportJob, ImportRow
    upload(admin, MESSY.encode("utf-8"))
    job = db.session.scalar(select(ImportJob))
    stored = (Path(app.instance_path) / "imports" / job.stored_as).read_bytes()
    assert "兖州瑞丰".encode() not in stored and b"13853712345" not in stored
    values = " ".join(str(v) for (v,) in db.session.execute(select(ImportRow.values)))
    assert "13853712345" not in values and "13953718888" not in values and "兖州瑞丰建材商行" in values


def test_old_uploads_are_deleted_and_then_the_error_workbook_says_so(app, admin, api_client_as, upload):
    from datetime import timedelta
    from pathlib import Path
    from sqlalchemy import update
    from kehu.imports.models import ImportJob
    from kehu.imports.service import forget_old_uploads
    from kehu.platform.time import utcnow
    client = api_client_as(admin)
    fresh = upload(admin, MESSY.encode(), client=client).json
    old = upload(admin, MESSY.encode(), client=client).json
    db.session.execute(update(ImportJob).where(ImportJob.id == old["id"]).values(updated_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert forget_old_uploads() == 1
    stored = {j.id: (Path(app.instance_path) / "imports" / j.stored_as).exists() for j in db.session.scalars(select(ImportJob))}
    assert stored == {fresh["id"]: True, old["id"]: False}
    gone = client.get(f"/api/v1/imports/{old['id']}/errors.xlsx")
    assert gone.status_code == 410 and "已过保留期" in gone.json["detail"]
