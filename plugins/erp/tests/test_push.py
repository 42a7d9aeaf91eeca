"""kehu → ERP: customer changes go through the outbox, are retried, and arrive exactly once."""
import json

from sqlalchemy import select, text

from kehu_sdk.customers import Customer, update_customer
from kehu_sdk.db import db
from kehu_plugins.erp.models import ErpCustomerLink, ErpSyncRun
from kehu_plugins.erp.service.sync import execute_run, start_run


def odoo_writes(fake):
    return [(path, body) for path, body in fake.calls if path.endswith(("/create", "/write")) and body != "failed"]


def as_dict(payload):
    return payload if isinstance(payload, dict) else json.loads(payload)  # PostgreSQL decodes JSON itself


def outbox_rows():
    """Core's outbox table, read with SQL to watch the relay (plugins import no core models)."""
    return db.session.execute(text("SELECT id, payload, relayed_at, last_error FROM outbox ORDER BY created_at")).all()


def test_new_customer_is_created_in_odoo_once(app, odoo_erp, make_user, api_client_as):
    client = api_client_as(make_user("sales"))

    response = client.post("/api/v1/customers", json={"name": "济南历下建材", "kind": "company",
                                                      "phone": "0531-8888 6666", "email": "lx@example.cn"})

    assert response.status_code == 201, response.get_json()
    customer_id = response.get_json()["id"]
    [(path, body)] = odoo_writes(odoo_erp)
    assert path == "/json/2/res.partner/create"
    assert body["vals_list"][0]["name"] == "济南历下建材"
    assert body["vals_list"][0]["phone"] == "+8653188886666"
    assert body["vals_list"][0]["ref"] == f"kehu-{customer_id}"
    partner_id = [r for r in odoo_erp.records["res.partner"]][0]
    link = db.session.scalar(select(ErpCustomerLink))
    assert (link.customer_id, link.external_id) == (customer_id, str(partner_id))


def relay_sweep(app):
    """What beat does every 30 s: send every outbox row not yet relayed."""
    return app.extensions["celery"].tasks["kehu.outbox.relay"].apply().get()


def test_update_survives_erp_outage_and_arrives_exactly_once(app, odoo_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="菏泽牡丹园", phone="13805371234")
    odoo_erp.calls.clear()
    odoo_erp.fail_next = 3  # the ERP answers 503 three times, then recovers

    update_customer(customer, {"address": "牡丹区人民路 1 号"}, user)

    assert odoo_writes(odoo_erp) == [] and odoo_erp.calls == [("/json/2/res.partner/write", "failed")]
    [pending] = [row for row in outbox_rows() if row.relayed_at is None]
    assert as_dict(pending.payload) == {"customer_id": customer.id} and "503" in pending.last_error
    for _ in range(4):  # two more failures, one success, then nothing left to send
        relay_sweep(app)

    [(path, body)] = odoo_writes(odoo_erp)
    assert body["vals"]["street"] == "牡丹区人民路 1 号"
    assert len([c for c in odoo_erp.calls if c[1] == "failed"]) == 3
    assert next(iter(odoo_erp.records["res.partner"].values()))["street"] == "牡丹区人民路 1 号"
    assert all(row.relayed_at is not None for row in outbox_rows())


def test_redelivered_outbox_row_is_pushed_once(app, odoo_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="聊城阿胶", phone=None)
    update_customer(customer, {"email": "ej@example.cn"}, user)
    row = outbox_rows()[-1]
    odoo_erp.calls.clear()

    app.extensions["celery"].tasks["kehu.erp.push_customer"].apply(args=[row.id, as_dict(row.payload)])

    assert odoo_writes(odoo_erp) == []


def test_lost_answer_on_create_does_not_duplicate_the_partner(app, odoo_erp, make_user, make_customer):
    """A create that reached Odoo but whose link was never stored is found again by its ref."""
    user = make_user("admin")
    customer = make_customer(user, name="枣庄石榴园", phone=None)
    db.session.execute(db.delete(ErpCustomerLink))  # as if the answer had been lost
    db.session.commit()

    update_customer(customer, {"email": "sl@example.cn"}, user)

    assert len(odoo_erp.records["res.partner"]) == 1
    assert next(iter(odoo_erp.records["res.partner"].values()))["email"] == "sl@example.cn"


def test_only_kehu_owned_fields_are_pushed_on_update(app, odoo_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="临沂蒙山茶", phone=None)
    odoo_erp.calls.clear()

    update_customer(customer, {"name": "蒙山茶叶合作社", "phone": "13905391234"}, user)

    [(path, body)] = odoo_writes(odoo_erp)
    assert path.endswith("/write") and "name" not in body["vals"]
    assert body["vals"]["phone"] == "+8613905391234"


def test_unrelated_change_is_not_pushed(app, odoo_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="威海海参", phone=None)
    odoo_erp.calls.clear()

    update_customer(customer, {"status": "intent"}, user)

    assert odoo_writes(odoo_erp) == []


def test_refused_push_is_logged_as_failed_run(app, fake_odoo, configure_erp, make_user, make_customer):
    configure_erp("odoo", fake_odoo.url, odoo_database="jining_farm", odoo_api_key="expired-key")

    make_customer(name="日照绿茶", phone=None)

    run = db.session.scalar(select(ErpSyncRun).where(ErpSyncRun.trigger == "push"))
    assert run.status == "failed" and "Invalid apikey" in run.errors[0]["message"]


def test_pulled_changes_are_not_pushed_back(app, odoo_erp):
    odoo_erp.add("res.partner", name="潍坊风筝厂", phone="13805361234", parent_id=False)

    execute_run(start_run("manual", ["customers"]).id)

    assert db.session.scalar(select(Customer.name)) == "潍坊风筝厂"
    assert odoo_writes(odoo_erp) == []


def test_disabled_plugin_pushes_nothing(app, odoo_erp, make_user, make_customer):
    app.extensions["kehu_plugins"].disable("erp")

    make_customer(name="烟台苹果", phone=None)

    assert odoo_writes(odoo_erp) == []
