"""The audit log as a page (issue 12, point 10): filtered by user, kind of record and date, in the
reader's scope, secrets masked; and the small things: a favicon."""
from datetime import timedelta

from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.platform.audit import AuditLog, acting_as
from kehu.platform.time import china_now


def test_admins_filter_the_audit_log_by_user_entity_and_date(admin, make_user, web_client_as):
    seller = make_user("sales", username="wangli")
    with acting_as(seller.id, seller.username):
        create_customer({"name": "梁山水泊农庄"}, seller)
    with acting_as(admin.id, admin.username):
        create_customer({"name": "汶上芦花鸡场"}, admin)
    client = web_client_as(admin)
    everything = client.get("/admin/audit").text
    assert "梁山水泊农庄" in everything and "汶上芦花鸡场" in everything
    by_user = client.get(f"/admin/audit?user_id={seller.id}&entity=customer").text
    assert "梁山水泊农庄" in by_user and "汶上芦花鸡场" not in by_user
    tomorrow = (china_now() + timedelta(days=1)).date().isoformat()
    assert "梁山水泊农庄" not in client.get(f"/admin/audit?since={tomorrow}").text
    assert "梁山水泊农庄" in client.get(f"/admin/audit?until={china_now().date().isoformat()}").text
    bad = client.get("/admin/audit?since=2026-13-45")
    assert bad.status_code == 422 and "日期无效" in bad.text


def test_the_audit_page_keeps_the_readers_scope_and_masks_secrets(admin, make_user, web_client_as, enable_plugins, app):
    manager, outsider = make_user("manager", team="济宁"), make_user("sales", team="聊城")
    with acting_as(outsider.id, outsider.username):
        create_customer({"name": "聊城东昌府客户", "owner_id": outsider.id}, outsider)
    enable_plugins("sample")
    app.extensions["kehu_plugins"].save_settings("sample", {"api_key": "very-secret-key-9"})
    assert "聊城东昌府客户" not in web_client_as(manager).get("/admin/audit").text
    page = web_client_as(admin).get("/admin/audit?entity=plugin_state").text
    assert "very-secret-key-9" not in page and "fernet:" not in page and "********" in page
    assert web_client_as(make_user("sales")).get("/admin/audit").status_code == 403
    assert db.session.query(AuditLog).count() > 0


def test_there_is_a_favicon(app, admin, web_client_as):
    icon = app.test_client().get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon"' in web_client_as(admin).get("/").text
