"""Export jobs: inline or through Celery, keyset batches, expiry, whose they are, the audit, bad input."""
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from kehu.exports import rows as export_rows, service
from kehu.exports.formats import ExportFormat
from kehu.exports.models import ExportJob
from kehu.extensions import db
from kehu.platform.audit import AuditLog
from kehu.platform.time import utcnow
from kehu.plugins.hookspecs import hookimpl


def test_a_large_export_runs_in_the_celery_task_with_progress(app, admin, make_customer, export, column,
                                                              monkeypatch):
    sent = []
    real_dispatch = service.dispatch
    monkeypatch.setattr(service, "dispatch", lambda name, *args: sent.append(name) or real_dispatch(name, *args))
    monkeypatch.setitem(app.config, "KEHU_EXPORT_INLINE_ROWS", 3)
    monkeypatch.setattr(export_rows, "BATCH_SIZE", 2)  # several keyset batches, a progress report after each
    reported = []
    real_progressed = service._progressed
    monkeypatch.setattr(service, "_progressed", lambda job, done: reported.append(done) or real_progressed(job, done))
    names = [f"客户{n}" for n in range(7)]
    for name in names:
        make_customer(owner=admin, name=name)
    job, rows = export(admin, {"sort": "created_at"})
    assert sent == [service.RUN_TASK]  # the test app runs tasks eagerly: the task made the file before the answer
    assert (job["rows_total"], job["rows_done"], job["row_count"]) == (7, 7, 7)
    assert reported == [2, 2, 2, 1]
    assert column(rows, "名称") == names  # each once, in the list's order, across batch boundaries


def test_a_small_export_is_made_in_the_request(app, admin, make_customer, monkeypatch, api_client_as):
    monkeypatch.setattr(service, "dispatch", lambda *args: pytest.fail("a small export needs no task"))
    make_customer(owner=admin)
    job = api_client_as(admin).post("/api/v1/exports", json={}).json
    assert job["status"] == "done" and job["format"] == "xlsx" and job["download_url"] == f"/api/v1/exports/{job['id']}/file"


def test_the_queries_do_not_grow_with_the_customers(app, admin, make_customer, make_contact, make_tag):
    """A SELECT per batch and one each for its tags and contacts, whatever the number of customers."""
    make_tag("重点关注")

    def statements_for(count):
        for _ in range(count):
            customer = make_customer(owner=admin, tags=["重点关注"])
            make_contact(customer, phone="13853701234")
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731  (conn, cursor, statement, …)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            job = service.start_export(service.filter_from_args({}), "csv", admin)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert job.status == "done"
        return [s for s in seen if s.lstrip().upper().startswith("SELECT")]

    few, many = statements_for(3), statements_for(30)
    assert len(many) == len(few), "\n".join(many)


def test_an_expired_file_answers_410_and_the_sweep_deletes_it(app, admin, make_customer, api_client_as):
    make_customer(owner=admin)
    client = api_client_as(admin)
    job = client.post("/api/v1/exports", json={"format": "csv"}).json
    row = db.session.get(ExportJob, job["id"])
    path = Path(app.config["KEHU_EXPORT_DIR"]) / row.file_path
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert row.expires_at - row.finished_at == timedelta(hours=24)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    gone = client.get(job["download_url"])
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/exports/{job['id']}").json["download_url"] is None
    assert service.sweep() == 1
    assert not path.exists()
    row = db.session.get(ExportJob, job["id"], populate_existing=True)
    assert (row.status, row.file_path) == ("expired", None)
    assert client.get(f"/api/v1/exports/{job['id']}/file").status_code == 410


def test_the_sweep_fails_a_run_whose_worker_died(app, admin):
    job = ExportJob(user_id=admin.id, format="xlsx", filter_args={}, status="running", rows_done=1000)
    db.session.add(job)
    db.session.commit()
    job.updated_at = utcnow() - timedelta(hours=1)  # no progress report for an hour
    db.session.commit()
    service.sweep()
    job = db.session.get(ExportJob, job.id, populate_existing=True)
    assert job.status == "failed" and "重新导出" in job.error


def test_the_task_of_a_finished_job_does_nothing(app, admin, make_customer):
    make_customer(owner=admin)
    job = service.start_export(service.filter_from_args({}), "xlsx", admin)
    made = job.file_path
    service.run_export(job.id)  # a redelivered task
    assert db.session.get(ExportJob, job.id, populate_existing=True).file_path == made
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "export").offset(1)) is None


def test_another_users_export_is_not_found(app, admin, make_user, make_customer, api_client_as):
    make_customer(owner=admin)
    job = api_client_as(admin).post("/api/v1/exports", json={}).json
    other = api_client_as(make_user("admin", username="another_admin"))  # not even an admin gets it
    for url in (f"/api/v1/exports/{job['id']}", f"/api/v1/exports/{job['id']}/file"):
        answer = other.get(url)
        assert answer.status_code == 404 and answer.json["detail"] == "导出不存在"
    assert other.get("/api/v1/exports").json == []
    assert [j["id"] for j in api_client_as(admin).get("/api/v1/exports").json] == [job["id"]]


def test_each_export_is_audited_and_a_searched_phone_is_not(app, make_user, make_customer, api_client_as,
                                                         web_client_as):
    manager, boss = make_user("manager", team="济宁"), make_user("admin", username="boss")
    make_customer(owner=manager, name="汶上客户", phone="13853701234")
    client = api_client_as(manager)
    job = client.post("/api/v1/exports", json={"format": "csv",
                                               "filter": {"q": "138 5370 1234", "status": ["lead"]}}).json
    assert job["row_count"] == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "export_job"))
    assert (entry.action, entry.entity_id, entry.user_id, entry.actor) == ("export", str(job["id"]), manager.id,
                                                                           manager.username)
    assert entry.changes == {"format": "csv", "filter": "q=*** **** 1234&status=lead", "row_count": 1}
    page = web_client_as(boss).get("/admin/audit?entity=export_job").text
    assert "客户导出" in page and "q=*** **** 1234&amp;status=lead" in page and "1234" in page
    assert "13853701234" not in page and "5370" not in page
    team_reader = api_client_as(make_user("manager", team="济宁")).get("/api/v1/audit?entity=export_job").json
    assert [e["entity_id"] for e in team_reader] == [str(job["id"])]
    outsider = api_client_as(make_user("manager", team="聊城")).get("/api/v1/audit?entity=export_job").json
    assert outsider == []


def test_only_roles_that_may_export_can(app, client_as_role, make_customer):
    sales = client_as_role("sales", api=True)
    make_customer(owner=sales.user)
    assert sales.post("/api/v1/exports", json={}).status_code == 403
    assert sales.get("/api/v1/exports/formats").status_code == 403
    assert client_as_role("manager", api=True).get("/api/v1/exports/formats").status_code == 200


def test_a_new_installation_lets_admins_and_managers_export(app):
    from kehu.accounts.models import Role
    roles = {r.name: r.permissions for r in db.session.scalars(select(Role))}
    assert "customer.export" in roles["admin"] and "customer.export" in roles["manager"]
    assert not any("customer.export" in roles[name] for name in ("sales", "service", "marketing"))


@pytest.mark.parametrize("locale, title, message, field", [
    ("zh_Hans_CN", "输入有误", "请选择列表中的一项", "没有这个自定义字段：nope"),
    ("en", "Invalid input", "Choose an item from the list", "No such custom field: nope"),
])
def test_an_invalid_filter_is_a_422_in_the_users_language(admin, api_client_as, locale, title, message, field):
    admin.locale = locale
    db.session.commit()
    answer = api_client_as(admin).post("/api/v1/exports", json={"filter": {"status": ["nope"], "extra.nope": "1"}})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.json["title"] == title
    assert answer.json["errors"]["json"]["filter"] == {"status": {"0": [message]}, "extra.nope": [field]}


def test_unknown_filters_formats_and_fields_are_refused(admin, api_client_as):
    client = api_client_as(admin)
    unknown = client.post("/api/v1/exports", json={"filter": {"colour": "red"}})
    assert unknown.status_code == 422 and unknown.json["errors"]["json"]["filter"] == ["未知的筛选条件：colour"]
    no_format = client.post("/api/v1/exports", json={"format": "pdf"})
    assert no_format.json["errors"]["json"]["format"] == ["没有这种导出格式：pdf"]
    assert db.session.scalar(select(ExportJob.id)) is None


def test_three_exports_under_way_are_the_most(app, admin, api_client_as):
    for _ in range(3):
        db.session.add(ExportJob(user_id=admin.id, format="xlsx", filter_args={}, status="queued"))
    db.session.commit()
    answer = api_client_as(admin).post("/api/v1/exports", json={})
    assert answer.status_code == 429 and "3 个导出正在进行" in answer.json["detail"]


def test_a_deactivated_user_gets_no_file(app, admin, make_user, make_customer, monkeypatch):
    monkeypatch.setitem(app.config, "KEHU_EXPORT_INLINE_ROWS", 0)
    monkeypatch.setattr(service, "dispatch", lambda *args: None)  # queued; the worker runs it later
    leaver = make_user("manager", team="济宁")
    make_customer(owner=leaver)
    job = service.start_export(service.filter_from_args({}), "xlsx", leaver)
    assert job.status == "queued"
    leaver.active = False
    db.session.commit()
    files = set(os.listdir(service.export_folder()))
    service.run_export(job.id)
    job = db.session.get(ExportJob, job.id, populate_existing=True)
    assert job.status == "failed" and job.file_path is None and "停用" in job.error
    assert set(os.listdir(service.export_folder())) == files


class BrokenWriterPlugin:
    """A plugin format whose writer dies half-way through the file."""

    @hookimpl
    def export_formats(self):
        def write(titles, rows, stream):
            stream.write(b"half a file")
            next(rows)
            raise OSError("disk full")

        return [ExportFormat("broken", "坏格式", "bin", "application/octet-stream", write)]


def test_a_failed_write_leaves_no_file_and_says_so(app, admin, make_customer, api_client_as):
    hooks = app.extensions["kehu_plugins"].hooks
    hooks.register(BrokenWriterPlugin(), name="broken_writer")
    try:
        make_customer(owner=admin)
        files = set(os.listdir(service.export_folder()))
        client = api_client_as(admin)
        job = client.post("/api/v1/exports", json={"format": "broken"}).json
    finally:
        hooks.unregister(name="broken_writer")
    assert (job["status"], job["download_url"]) == ("failed", None)
    assert job["error"] == "导出失败，请稍后重试；一再失败请联系管理员。"  # no internals
    assert set(os.listdir(service.export_folder())) == files
    assert client.get(f"/api/v1/exports/{job['id']}/file").status_code == 409
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.entity == "export_job")) is None
