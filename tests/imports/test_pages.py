"""The import pages: upload with a form error for a bad file, the mapping corrected and remembered,
the report, the run and the undo."""
import io
import re

from sqlalchemy import func, select

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.imports.mapping import signature
from kehu.imports.models import ImportJob, ImportMapping

SHEET = ("公司,手机号码,区县,备注\n"
         "济宁鸿达机械制造有限公司,13853711111,任城区,老客户\n"
         "聊城东昌府区王记烧饼店,13863512222,东昌府区,\n")


def _token(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_upload_map_check_run_and_undo_in_the_browser_pages(admin, web_client_as):
    client = web_client_as(admin)
    page = client.get("/imports/")
    assert page.status_code == 200 and "导入客户" in page.text
    bad = client.post("/imports/", data={"csrf_token": _token(page), "mode": "skip", "owner_id": "",
                                         "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 9), "x.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "这不是表格文件：请上传 .xlsx、.xls 或 .csv" in bad.text

    answer = client.post("/imports/", data={"csrf_token": _token(page), "mode": "skip", "owner_id": "",
                                            "file": (io.BytesIO(SHEET.encode()), "名单.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    job = db.session.scalar(select(ImportJob))
    page = client.get(answer.headers["Location"])
    assert 'data-status="checked"' in page.text
    # 公司 is an employer column by its word, but here it holds the customers' names: the user says so
    assert job.mapping == ["company", "phone", "region_code", ""]
    assert "请指定哪一列是客户名称" not in page.text
    corrected = client.post(f"/imports/{job.id}/mapping", data={
        "csrf_token": _token(page), "column-0": "name", "column-1": "phone", "column-2": "region_code", "column-3": "tags"})
    assert corrected.status_code == 302
    db.session.refresh(job)
    assert job.mapping == ["name", "phone", "region_code", "tags"] and job.counts["create"] == 2
    assert db.session.get(ImportMapping, signature(job.headers)).targets == job.mapping  # offered next time

    page = client.get(f"/imports/{job.id}")
    assert page.text.count('data-action="create"') >= 2
    ran = client.post(f"/imports/{job.id}/commit", data={"csrf_token": _token(page)})
    assert ran.status_code == 302
    db.session.expire_all()  # the eager task wrote in its own session; the pages share this test's session
    page = client.get(f"/imports/{job.id}")
    assert 'data-status="done"' in page.text and "已写入 2 / 2" in page.text
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 2
    progress = client.get(f"/imports/{job.id}/progress", headers={"HX-Request": "true"})
    assert progress.headers.get("HX-Refresh") == "true"

    client.post(f"/imports/{job.id}/undo", data={"csrf_token": _token(page)})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))) == 0
    assert 'data-status="undone"' in client.get(f"/imports/{job.id}").text


def test_the_next_file_with_the_same_headers_gets_the_corrected_mapping(admin, upload):
    first = upload(admin, SHEET.encode()).json
    db.session.add(ImportMapping(signature=signature([c["header"] for c in first["columns"]]),
                                 targets=["name", "phone", "region_code", ""]))
    db.session.commit()
    second = upload(admin, SHEET.replace("聊城", "济南").encode()).json
    assert [c["target"] for c in second["columns"]] == ["name", "phone", "region_code", ""]
    assert "已沿用上次同样表头的文件所用的对应关系" in second["notes"]


def test_sales_without_the_permission_get_403(make_user, web_client_as, api_client_as):
    sales = make_user("sales")
    assert web_client_as(sales).get("/imports/").status_code == 403
    assert api_client_as(sales).get("/api/v1/imports").status_code == 403
