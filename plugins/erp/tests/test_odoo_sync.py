"""Odoo JSON-2: pull customers, orders, invoices, payments; push customers; conflict rule; no echo."""
from decimal import Decimal

from sqlalchemy import select

from kehu_sdk.customers import Customer, update_customer
from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction
from kehu_plugins.erp.models import ErpConnection, ErpCustomerLink, ErpInvoice, ErpPayment, ErpSalesOrder, ErpSyncRun
from kehu_plugins.erp.service.sync import execute_run, start_run


def sync(*entities, trigger="manual"):
    return execute_run(start_run(trigger, entities or None).id)


def seed_partner_with_documents(fake):
    partner = fake.add("res.partner", name="济宁鲁丰农场", phone="0537-2345678", email="lufeng@example.cn",
                       street="任城区建设路 8 号", city="济宁", vat="91370800MA3C5XXXX1", parent_id=False)
    fake.add("sale.order", name="S00012", partner_id=[partner, "济宁鲁丰农场"], date_order="2026-10-20 08:00:00",
             amount_total=12800.5, currency_id=[7, "CNY"], state="sale")
    fake.add("sale.order", name="S00013", partner_id=[partner, "济宁鲁丰农场"], date_order="2026-10-22 08:00:00",
             amount_total=300, currency_id=[7, "CNY"], state="draft")
    fake.add("account.move", name="INV/2026/0007", partner_id=[partner, "济宁鲁丰农场"], invoice_date="2026-10-21",
             amount_total=12800.5, amount_residual=2800.5, currency_id=[7, "CNY"], state="posted",
             move_type="out_invoice")
    fake.add("account.move", name="BILL/2026/0001", partner_id=[partner, "济宁鲁丰农场"], invoice_date="2026-10-21",
             amount_total=99, amount_residual=0, currency_id=[7, "CNY"], state="posted", move_type="in_invoice")
    fake.add("account.payment", name="PBNK1/2026/0003", partner_id=[partner, "济宁鲁丰农场"], date="2026-10-25",
             amount=10000, currency_id=[7, "CNY"], state="paid", payment_type="inbound", partner_type="customer")
    return partner


def test_pull_creates_customer_with_orders_invoices_payments(app, odoo_erp):
    partner = seed_partner_with_documents(odoo_erp)

    run = sync()

    assert run.status == "success", run.errors
    assert run.counts["customers"] == {"created": 1, "updated": 0, "skipped": 0, "failed": 0}
    assert run.counts["orders"]["created"] == 2
    assert run.counts["invoices"]["created"] == 1  # the vendor bill is not a customer invoice
    assert run.counts["payments"]["created"] == 1
    customer = db.session.scalar(select(Customer).where(Customer.name == "济宁鲁丰农场"))
    assert customer.phone == "+865372345678" and customer.source == "erp"
    link = db.session.scalar(select(ErpCustomerLink))
    assert (link.customer_id, link.external_id, link.tax_id) == (customer.id, str(partner), "91370800MA3C5XXXX1")
    orders = db.session.scalars(select(ErpSalesOrder).order_by(ErpSalesOrder.number)).all()
    assert [(o.number, o.amount, o.state, o.customer_id) for o in orders] == [
        ("S00012", Decimal("12800.50"), "confirmed", customer.id), ("S00013", Decimal("300.00"), "draft", customer.id)]
    invoice = db.session.scalar(select(ErpInvoice))
    assert (invoice.amount, invoice.amount_due) == (Decimal("12800.50"), Decimal("2800.50"))
    assert db.session.scalar(select(ErpPayment.amount)) == Decimal("10000.00")
    timeline = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert sorted(i.subject for i in timeline) == ["ERP 销售订单 S00012", "ERP 销售订单 S00013"]
    assert all(i.kind == "erp_order" and i.source_plugin == "erp" for i in timeline)
    # every JSON-2 call carried named arguments only, and the customer was never pushed back (no echo)
    assert all(path.endswith("/search_read") for path, _ in odoo_erp.calls)


def test_second_run_fetches_only_changes_and_is_idempotent(app, odoo_erp):
    seed_partner_with_documents(odoo_erp)
    sync()
    cursor = db.session.get(ErpConnection, "odoo").cursors["orders"]
    odoo_erp.calls.clear()

    run = sync()

    assert run.counts["orders"] == {"created": 0, "updated": 0, "skipped": 1, "failed": 0}  # only the newest (>=)
    order_queries = [body for path, body in odoo_erp.calls if path == "/json/2/sale.order/search_read"]
    assert ["write_date", ">=", cursor.replace("T", " ")[:19]] in order_queries[0]["domain"]
    assert db.session.scalar(select(db.func.count(Interaction.id))) == 2  # no duplicate timeline entries


def test_conflict_rule_erp_owns_name_kehu_owns_phone(app, odoo_erp, make_user):
    partner = odoo_erp.add("res.partner", name="聊城东昌食品有限公司", phone="13805371234", email=False,
                           parent_id=False)
    sync("customers")
    customer = db.session.scalar(select(Customer))
    staff = make_user("admin")
    update_customer(customer, {"phone": "13906351111", "name": "东昌食品（错别字）"}, staff)
    odoo_erp.update("res.partner", partner, name="聊城东昌食品股份有限公司", phone="13805370000",
                    email="dc@example.cn")

    sync("customers")

    db.session.refresh(customer)
    assert customer.name == "聊城东昌食品股份有限公司"   # ERP owns the legal name
    assert customer.phone == "+8613906351111"         # kehu owns the phone
    assert customer.email == "dc@example.cn"          # empty in kehu: filled from the ERP


def test_pull_matches_existing_customer_by_phone(app, odoo_erp, make_user, make_customer):
    app.extensions["kehu_plugins"].save_settings("erp", {**app.extensions["kehu_plugins"].settings_of("erp"),
                                                         "push_customers": False})
    existing = make_customer(name="张伟", kind="person", phone="138 0537 1234")
    assert odoo_erp.records["res.partner"] == {}  # not pushed
    odoo_erp.add("res.partner", name="张伟（个体）", phone="+86 13805371234", parent_id=False)

    run = sync("customers")

    assert run.counts["customers"]["updated"] == 1
    assert db.session.scalar(select(db.func.count(Customer.id))) == 1
    assert db.session.scalar(select(ErpCustomerLink.customer_id)) == existing.id


def test_document_of_unknown_partner_fetches_that_partner(app, odoo_erp):
    partner = odoo_erp.add("res.partner", name="泰安茶园", parent_id=False)
    sync("customers")
    late = odoo_erp.add("res.partner", name="新泰养殖场", parent_id=False)
    odoo_erp.add("sale.order", name="S1", partner_id=[late, "新泰养殖场"], date_order="2026-11-02 01:00:00",
                 amount_total=10, currency_id=[7, "CNY"], state="sale")

    run = sync("orders")

    assert run.status == "success", run.errors
    order = db.session.scalar(select(ErpSalesOrder))
    assert order.customer_id == db.session.scalar(select(Customer.id).where(Customer.name == "新泰养殖场"))
    assert partner != late


def test_bad_record_is_logged_and_fetched_again(app, odoo_erp):
    partner = odoo_erp.add("res.partner", name="", parent_id=False)  # no name: kehu refuses it
    good = odoo_erp.add("res.partner", name="德州面粉厂", parent_id=False)

    run = sync("customers")

    assert run.status == "partial"
    assert run.counts["customers"] == {"created": 1, "updated": 0, "skipped": 0, "failed": 1}
    assert run.errors == [{"entity": "customers", "external_id": str(partner), "message": "ERP 客户没有名称"}]
    odoo_erp.update("res.partner", partner, name="禹城粮站")
    run = sync("customers")
    assert run.status == "success"
    assert run.counts["customers"]["created"] == 1
    assert good


def test_wrong_api_key_fails_the_run_with_a_readable_error(app, fake_odoo, configure_erp):
    configure_erp("odoo", fake_odoo.url, odoo_database="jining_farm", odoo_api_key="wrong")

    run = sync()

    assert run.status == "failed"
    assert "Invalid apikey" in run.errors[0]["message"]
    assert db.session.get(ErpConnection, "odoo") is None  # no cursor moved
    assert db.session.get(ErpSyncRun, run.id).finished_at is not None


def test_invalid_phone_from_erp_is_dropped_with_a_note(app, odoo_erp):
    partner = odoo_erp.add("res.partner", name="梁山水浒酒家", phone="12345", parent_id=False)

    run = sync("customers")

    assert run.status == "partial" and run.counts["customers"]["created"] == 1
    assert run.errors == [{"entity": "customers", "external_id": str(partner),
                           "message": "电话号码无效，已忽略：12345"}]
    assert db.session.scalar(select(Customer.phone_index)) is None


def test_new_orders_announce_erp_order_synced(app, odoo_erp):
    from kehu_plugins.erp.service.pull import erp_order_synced
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    erp_order_synced.connect(receiver, sender=app, weak=False)
    try:
        seed_partner_with_documents(odoo_erp)
        sync()
        sync()
    finally:
        erp_order_synced.disconnect(receiver, sender=app)

    assert sorted(s["amount"] for s in seen) == [Decimal("300.00"), Decimal("12800.50")]  # once per order


def test_customer_deleted_in_kehu_is_not_brought_back(app, odoo_erp):
    from kehu_sdk.customers import delete_customer
    partner = odoo_erp.add("res.partner", name="嘉祥石雕厂", parent_id=False)
    sync("customers")
    delete_customer(db.session.scalar(select(Customer)))
    odoo_erp.update("res.partner", partner, name="嘉祥石雕有限公司")

    run = sync("customers")

    assert run.counts["customers"]["skipped"] == 1
    assert db.session.scalar(select(Customer.name)) == "嘉祥石雕厂"


def test_order_of_a_contact_person_goes_to_the_company(app, odoo_erp):
    company = odoo_erp.add("res.partner", name="兖州煤机配件厂", parent_id=False)
    contact = odoo_erp.add("res.partner", name="王经理", parent_id=company)
    odoo_erp.add("sale.order", name="S77", partner_id=[contact, "兖州煤机配件厂, 王经理"],
                 date_order="2026-11-03 01:00:00", amount_total=70, currency_id=[7, "CNY"], state="sale")

    run = sync()

    assert run.status == "success", run.errors
    assert db.session.scalars(select(Customer.name)).all() == ["兖州煤机配件厂"]  # the contact is no customer
    assert db.session.scalar(select(ErpSalesOrder.customer_id)) == db.session.scalar(select(Customer.id))


def test_documents_are_committed_in_batches_and_a_refused_one_holds_the_cursor(app, odoo_erp):
    partner = odoo_erp.add("res.partner", name="微山湖渔业", parent_id=False)
    for n in range(250):
        odoo_erp.add("sale.order", name=f"S{n}", partner_id=[9999 if n == 120 else partner, "x"],
                     date_order="2026-10-20 08:00:00", amount_total=1, currency_id=[7, "CNY"], state="sale")
    refused_at = next(r for r in odoo_erp.records["sale.order"].values() if r["name"] == "S120")["write_date"]

    run = sync()

    assert run.counts["orders"] == {"created": 249, "updated": 0, "skipped": 0, "failed": 1}
    assert run.errors == [{"entity": "orders", "external_id": str(partner + 121),
                           "message": "ERP 中找不到客户 9999"}]
    assert db.session.scalar(select(db.func.count(ErpSalesOrder.id))) == 249
    assert db.session.get(ErpConnection, "odoo").cursors["orders"][:19] == refused_at.replace(" ", "T")


def test_phone_match_is_kehus_one_rule_passing_over_linked_customers(app, odoo_erp, make_customer, make_contact):
    manager = app.extensions["kehu_plugins"]
    manager.save_settings("erp", {**manager.settings_of("erp"), "push_customers": False})
    older = make_customer(name="金乡大蒜一厂", phone="13805371234")
    newer = make_customer(name="金乡大蒜二厂", phone="13805371234")
    by_contact = make_customer(name="鱼台米业", phone=None)
    make_contact(by_contact, name="李会计", phone="13905371111")
    odoo_erp.add("res.partner", name="金乡大蒜一厂", phone="13805371234", parent_id=False)
    odoo_erp.add("res.partner", name="金乡大蒜二厂", phone="13805371234", parent_id=False)
    odoo_erp.add("res.partner", name="鱼台米业", phone="13905371111", parent_id=False)

    run = sync("customers")

    assert run.counts["customers"] == {"created": 0, "updated": 3, "skipped": 0, "failed": 0}
    links = dict(db.session.execute(select(ErpCustomerLink.external_id, ErpCustomerLink.customer_id)).all())
    # the oldest customer with the number first; the next partner passes over it, being linked already
    assert sorted(links.values()) == sorted([older.id, newer.id, by_contact.id])
    assert links[min(links)] == older.id
