"""The pages: 导出 on the customer list (the list as filtered), the export page, progress and download."""
import html
import re
from urllib.parse import parse_qs, urlsplit

from kehu.exports import service
from kehu.exports.models import ExportJob
from kehu.extensions import db


def csrf_token(page: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def export_link(page: str) -> str:
    return html.unescape(re.search(r'href="([^"]+)"[^>]*data-testid="export-customers"', page).group(1))


def test_the_list_offers_the_export_of_what_it_shows(app, client_as_role, make_customer, read_xlsx, column):
    manager = client_as_role("manager", team="济宁")
    for name, region in (("任城鸿达", "370811"), ("金乡蒜业", "370828"), ("历下商贸", "370102")):
        make_customer(owner=manager.user, name=name, region_code=region, status="intent")
    page = manager.get("/customers?region_province=370000&region_middle=370800&status=intent&q=").text
    link = export_link(page)
    assert urlsplit(link).path == "/exports/new"
    assert parse_qs(urlsplit(link).query) == {"region": ["370800"], "status": ["intent"]}  # empty q left out
    new = manager.get(link).text
    assert "济宁市" in new and "意向客户" in new and "共 2 个客户" in new
    form = {"csrf_token": csrf_token(new), "region": "370800", "status": "intent", "format": "xlsx"}
    started = manager.post("/exports/new", data=form)
    assert started.status_code == 302
    job_page = manager.get(started.headers["Location"]).text
    assert 'data-testid="download-export"' in job_page and "hx-trigger" not in job_page  # done: no more polling
    download = re.search(r'href="([^"]+)" data-testid="download-export"', job_page).group(1)
    answer = manager.get(download)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store"
    assert sorted(column(read_xlsx(answer.data), "名称")) == ["任城鸿达", "金乡蒜业"]


def test_no_export_button_for_roles_that_may_not_export(app, client_as_role, make_customer):
    sales = client_as_role("sales")
    make_customer(owner=sales.user)
    assert 'data-testid="export-customers"' not in sales.get("/customers").text
    assert sales.get("/exports/new").status_code == 403


def test_a_running_export_polls_its_progress(app, client_as_role, monkeypatch):
    manager = client_as_role("manager", team="济宁")
    job = ExportJob(user_id=manager.user.id, format="xlsx", filter_args={"status": ["lead"]}, status="running",
                    rows_total=40_000, rows_done=10_000)
    db.session.add(job)
    db.session.commit()
    page = manager.get(f"/exports/{job.id}").text
    assert f'hx-get="/exports/{job.id}/progress"' in page and 'hx-trigger="every 2s"' in page
    assert "已写入 10000 / 40000 个客户" in page and "25%" in page and "线索" in page
    assert manager.get(f"/exports/{job.id}/download").status_code == 409


def test_an_expired_download_says_so_on_the_page(app, client_as_role, make_customer):
    manager = client_as_role("manager", team="济宁")
    make_customer(owner=manager.user)
    job = service.start_export(service.filter_from_args({}), "csv", manager.user)
    job.expires_at = job.finished_at
    db.session.commit()
    answer = manager.get(f"/exports/{job.id}/download")
    assert answer.status_code == 410 and "文件已过期，请重新导出。" in answer.text
    assert "已过期" in manager.get("/exports").text


def test_an_invalid_filter_in_the_address_is_shown_not_exported(app, client_as_role):
    manager = client_as_role("manager")
    page = manager.get("/exports/new?status=nope")
    assert page.status_code == 422 and 'data-testid="export-error"' in page.text
    assert 'data-testid="start-export" disabled' in page.text


def test_another_users_export_page_is_not_found(app, client_as_role, make_customer):
    owner, other = client_as_role("manager", team="济宁"), client_as_role("manager", team="济宁")
    make_customer(owner=owner.user)
    job = service.start_export(service.filter_from_args({}), "xlsx", owner.user)
    for url in (f"/exports/{job.id}", f"/exports/{job.id}/progress", f"/exports/{job.id}/download"):
        assert other.get(url).status_code == 404
