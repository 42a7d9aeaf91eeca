"""Sync triggers (API, web button, CLI, schedule, webhook), the run log, permissions and the UI."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_plugins.erp.models import ErpSalesOrder, ErpSyncRun
from kehu_plugins.erp.service.webhook import handle_webhook

WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def viewer(make_user, grant):
    return grant(make_user("service", team="济宁"), "erp.view")


@pytest.fixture
def operator(make_user, grant):
    return grant(make_user("manager", team="济宁"), "erp.view", "erp.sync")


def seed(fake):
    partner = fake.add("res.partner", name="汶上芦花鸡养殖场", phone="13805371234", parent_id=False)
    fake.add("sale.order", name="S100", partner_id=[partner, "x"], date_order="2026-11-01 02:00:00",
             amount_total=500, currency_id=[7, "CNY"], state="sale")
    return partner


def test_api_sync_runs_and_is_listed(app, odoo_erp, operator, api_client_as):
    seed(odoo_erp)
    client = api_client_as(operator)

    response = client.post("/api/v1/erp/sync", json={"entities": ["customers", "orders"]})

    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "success" and body["trigger"] == "manual"  # eager tasks: already done
    assert body["counts"]["orders"]["created"] == 1 and "invoices" not in body["counts"]
    listed = client.get("/api/v1/erp/runs")
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1  # the one pagination envelope
    assert [run["id"] for run in listed.get_json()] == [body["id"]]
    assert client.get(f"/api/v1/erp/runs/{body['id']}").get_json()["counts"] == body["counts"]


def test_api_sync_validates_entities(app, odoo_erp, operator, api_client_as):
    response = api_client_as(operator).post("/api/v1/erp/sync", json={"entities": ["customers", "salaries"]})

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"json": {"entities": ["无效的同步对象"]}}
    assert response.get_json()["detail"] == "entities 只能包含：customers, orders, invoices, payments"
    assert db.session.scalar(select(db.func.count(ErpSyncRun.id))) == 0


def test_api_sync_without_a_body_syncs_everything(app, odoo_erp, operator, api_client_as):
    response = api_client_as(operator).post("/api/v1/erp/sync")

    assert response.status_code == 202, response.get_json()
    assert response.get_json()["entities"] == ["customers", "orders", "invoices", "payments"]


def test_api_run_list_pages(app, odoo_erp, operator, api_client_as):
    client = api_client_as(operator)
    for _ in range(3):
        client.post("/api/v1/erp/sync", json={"entities": ["customers"]})

    second = client.get("/api/v1/erp/runs?page=2&page_size=2")

    assert json.loads(second.headers["X-Pagination"]) == {"total": 3, "total_pages": 2, "first_page": 1,
                                                          "last_page": 2, "page": 2, "previous_page": 1}
    assert len(second.get_json()) == 1
    too_big = client.get("/api/v1/erp/runs?page_size=101")
    assert too_big.status_code == 422 and too_big.mimetype == "application/problem+json"


def test_permissions_are_checked(app, odoo_erp, viewer, make_user, api_client_as):
    assert api_client_as(viewer).post("/api/v1/erp/sync", json={}).status_code == 403
    assert api_client_as(make_user("marketing")).get("/api/v1/erp/runs").status_code == 403  # sales get erp.view by default
    assert app.test_client().get("/api/v1/erp/runs").status_code == 401
    assert api_client_as(viewer).get("/api/v1/erp/runs/999").status_code == 404


def test_customer_documents_respect_record_scope(app, odoo_erp, operator, make_user, grant, api_client_as):
    seed(odoo_erp)
    api_client_as(operator).post("/api/v1/erp/sync", json={})
    customer_id = db.session.scalar(select(Customer.id))
    outsider = grant(make_user("sales"), "erp.view")  # scope "own": not this customer's owner

    assert api_client_as(outsider).get(f"/api/v1/erp/customers/{customer_id}/documents").status_code == 404
    admin = grant(make_user("admin"), "erp.view")
    documents = api_client_as(admin).get(f"/api/v1/erp/customers/{customer_id}/documents").get_json()
    assert [o["number"] for o in documents["orders"]] == ["S100"]
    assert documents["order_count"] == 1 and documents["order_total"] == "500.00"


def test_disabled_plugin_routes_answer_404(app, odoo_erp, operator, api_client_as):
    app.extensions["kehu_plugins"].disable("erp")

    assert api_client_as(operator).get("/api/v1/erp/runs").status_code == 404


def test_web_sync_log_button_and_masked_settings(app, odoo_erp, operator, web_client_as):
    client = web_client_as(operator)

    page = client.get("/erp/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "立即同步" in html and "********" in html
    assert "6578616d706c65206a736f6e20617069206b6579" not in html  # the Odoo API key never reaches the page
    without_csrf = client.post("/erp/sync")
    assert without_csrf.status_code in (302, 400) and db.session.scalar(select(ErpSyncRun.id)) is None
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    seed(odoo_erp)

    response = client.post("/erp/sync", data={"csrf_token": token})

    assert response.status_code == 302
    run = db.session.scalar(select(ErpSyncRun))
    assert run.status == "success"
    detail = client.get(f"/erp/runs/{run.id}").get_data(as_text=True)
    assert "销售订单" in detail and "成功" in detail


def test_web_pages_need_permission(app, odoo_erp, make_user, web_client_as, viewer):
    assert web_client_as(make_user("marketing")).get("/erp/").status_code == 403  # no erp.view by default
    assert app.test_client().get("/erp/").status_code == 302  # to the login page
    client = web_client_as(viewer)
    page = client.get("/erp/").get_data(as_text=True)
    assert "立即同步" not in page  # a viewer sees the log but no button
    token = page.split('name="csrf_token" value="')[1].split('"')[0]  # the logout form's token
    assert client.post("/erp/sync", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(ErpSyncRun.id)) is None


def test_customer_panel_and_menu_item(app, odoo_erp, operator, make_user, grant, web_client_as):
    seed(odoo_erp)
    from kehu_plugins.erp.service.sync import execute_run, start_run
    execute_run(start_run("manual").id)
    customer = db.session.scalar(select(Customer))
    manager = app.extensions["kehu_plugins"]
    with app.test_request_context():
        panels = [p for found in manager.hook("customer_panels")(customer=customer, user=operator) for p in found]
        menu = [m for found in manager.hook("menu_items")(user=operator) for m in found]
        hidden = [p for found in manager.hook("customer_panels")(customer=customer, user=make_user("marketing"))
                  for p in found]
    [panel] = [p for p in panels if str(p["title"]) == "ERP 订单"]
    assert "S100" in panel["html"] and "500.00" in panel["html"]
    assert any(m["url"] == "/erp/" for m in menu)
    assert not [p for p in hidden if str(p["title"]) == "ERP 订单"]
    admin = grant(make_user("admin"), "erp.view")
    page = web_client_as(admin).get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "S100" in page and "ERP 同步" in page  # the panel on the customer page, the entry in the menu


def test_admin_settings_form_masks_secrets_and_is_linked(app, odoo_erp, make_user, grant, web_client_as):
    client = web_client_as(grant(make_user("admin"), "erp.view"))

    overview = client.get("/erp/").get_data(as_text=True)
    form = client.get("/admin/plugins/erp/settings")

    assert "/admin/plugins/erp/settings" in overview
    assert form.status_code == 200
    assert "6578616d706c65206a736f6e20617069206b6579" not in form.get_data(as_text=True)


def test_cli_sync_prints_counts(app, odoo_erp):
    seed(odoo_erp)

    result = app.test_cli_runner().invoke(args=["erp", "sync", "--entity", "customers"])

    assert result.exit_code == 0, result.output
    assert "customers  created=1 updated=0 skipped=0 failed=0" in result.output
    assert db.session.scalar(select(ErpSyncRun.trigger)) == "manual"


def test_cli_sync_fails_visibly_when_erp_refuses(app, fake_odoo, configure_erp):
    configure_erp("odoo", fake_odoo.url, odoo_database="x", odoo_api_key="bad")

    result = app.test_cli_runner().invoke(args=["erp", "sync"])

    assert result.exit_code == 1 and "failed" in result.output


def test_schedule_runs_when_due(app, odoo_erp):
    seed(odoo_erp)
    scheduled = app.extensions["celery"].tasks["kehu.erp.scheduled_sync"]

    assert scheduled.apply().get() == "success"
    assert scheduled.apply().get() is None  # 15 minutes have not passed
    last = db.session.scalar(select(ErpSyncRun))
    last.created_at = datetime.now(timezone.utc) - timedelta(minutes=16)
    db.session.commit()
    assert scheduled.apply().get() == "success"
    assert [r.trigger for r in db.session.scalars(select(ErpSyncRun))] == ["schedule", "schedule"]
    busy = ErpSyncRun(adapter="odoo", trigger="manual", status="running", started_at=datetime.now(timezone.utc))
    db.session.add(busy)
    for run in db.session.scalars(select(ErpSyncRun).where(ErpSyncRun.trigger == "schedule")):
        run.created_at -= timedelta(hours=1)
    db.session.commit()
    assert scheduled.apply().get() is None  # another run is going


def test_schedule_zero_turns_it_off_and_beat_entry_exists(app, odoo_erp):
    manager = app.extensions["kehu_plugins"]
    manager.save_settings("erp", {**manager.settings_of("erp"), "schedule_minutes": 0})

    assert app.extensions["celery"].tasks["kehu.erp.scheduled_sync"].apply().get() is None
    without_url = {k: v for k, v in manager.settings_of("erp").items() if k != "base_url"}
    manager.save_settings("erp", {**without_url, "schedule_minutes": 15})
    assert app.extensions["celery"].tasks["kehu.erp.scheduled_sync"].apply().get() is None  # not set up yet
    assert db.session.scalar(select(ErpSyncRun.id)) is None
    entries = {k: v for found in manager.hooks.hook.periodic_tasks() for k, v in (found or {}).items()}
    assert entries["kehu.erp.scheduled_sync"]["task"] == "kehu.erp.scheduled_sync"


def test_webhook_handler_pulls_the_named_records(app, odoo_erp):
    partner = seed(odoo_erp)
    other = odoo_erp.add("res.partner", name="不相关", parent_id=False)

    status = handle_webhook({"webhook_id": "msg_1", "type": "res.partner.updated",
                             "payload": {"model": "res.partner", "ids": [partner]}, "received_at": "now"})

    assert status == "success"
    assert db.session.scalars(select(Customer.name)).all() == ["汶上芦花鸡养殖场"]
    run = db.session.scalar(select(ErpSyncRun))
    assert (run.trigger, run.entities) == ("webhook", ["customers"])
    assert other


def test_webhook_handler_is_idempotent(app, odoo_erp):
    seed(odoo_erp)
    event = {"webhook_id": "msg_2", "type": "sale.order.created", "payload": {"data": {"entity": "orders"}}}

    handle_webhook(event)
    handle_webhook(event)

    assert db.session.scalar(select(db.func.count(ErpSalesOrder.id))) == 1


def test_webhook_end_to_end_through_core_endpoint(app, odoo_erp):
    manager = app.extensions["kehu_plugins"]
    manager.save_settings("erp", {**manager.settings_of("erp"), "webhook_secret": WEBHOOK_SECRET})
    seed(odoo_erp)
    body = json.dumps({"type": "sale.order.updated", "data": {"model": "sale.order", "ids": [2]}})
    now = datetime.now(timezone.utc)
    headers = {"webhook-id": "msg_e2e", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(WEBHOOK_SECRET).sign("msg_e2e", now, body),
               "Content-Type": "application/json"}

    refused = app.test_client().post("/webhooks/erp", data=body, headers={**headers, "webhook-signature": "v1,AAAA"})
    response = app.test_client().post("/webhooks/erp", data=body, headers=headers)

    assert refused.status_code in (400, 401)
    assert response.status_code == 202, response.get_data(as_text=True)
    order = db.session.scalar(select(ErpSalesOrder))
    assert order is not None and order.number == "S100"
    assert db.session.scalar(select(ErpSyncRun.trigger)) == "webhook"


def forget_connections(celery):
    """Celery caches its connection and producer pools; drop them so the next publish uses the new URL
    (what Celery itself does after a fork; the pools stay usable for whoever else holds them)."""
    celery._pool = None
    celery.amqp._producer_pool = None


def test_sync_request_with_broker_down_answers_503_and_logs_the_run(app, odoo_erp, operator, api_client_as):
    celery = app.extensions["celery"]
    saved = {k: celery.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    celery.conf.update(task_always_eager=False, broker_url="amqp://guest:guest@127.0.0.1:9//",  # nobody listens
                       task_publish_retry=False, broker_connection_timeout=1)
    forget_connections(celery)
    try:
        response = api_client_as(operator).post("/api/v1/erp/sync", json={})
    finally:
        celery.conf.update(saved)
        forget_connections(celery)

    assert response.status_code == 503, response.get_json()
    run = db.session.scalar(select(ErpSyncRun))
    assert run.status == "failed" and "队列不可用" in run.errors[0]["message"]
