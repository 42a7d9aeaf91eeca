"""ERP orders in people's days and words: an Odoo order's day is its China day (Odoo sends naive UTC
datetimes), and the timeline names its state, not the code (issue 12, point 2)."""
from datetime import date

from sqlalchemy import select

from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction
from kehu_plugins.erp.models import ErpSalesOrder
from kehu_plugins.erp.service.sync import execute_run, start_run


def test_an_evening_order_in_utc_is_the_next_day_in_china(app, odoo_erp, make_user, grant, web_client_as):
    partner = odoo_erp.add("res.partner", name="汶上芦花鸡养殖场", phone="13805371234", parent_id=False)
    # 2026-11-01 20:00 UTC is 2026-11-02 04:00 in China: the customer ordered on the 2nd
    odoo_erp.add("sale.order", name="S200", partner_id=[partner, "x"], date_order="2026-11-01 20:00:00",
                 amount_total=500, currency_id=[7, "CNY"], state="sale")
    assert execute_run(start_run("manual", ["customers", "orders"]).id).status == "success"
    order = db.session.scalar(select(ErpSalesOrder))
    assert order.order_date == date(2026, 11, 2)
    entry = db.session.scalar(select(Interaction).where(Interaction.kind == "erp_order"))
    assert entry.content == "金额 500.00 CNY，状态 已确认"  # not "状态 confirmed"

    viewer = grant(make_user("admin"), "erp.view")
    customer_id = db.session.scalar(select(Customer.id).where(Customer.name == "汶上芦花鸡养殖场"))
    page = web_client_as(viewer).get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "<td>S200</td><td>2026-11-02</td>" in page
