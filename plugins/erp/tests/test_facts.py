"""Customer facts from ERP purchase history: "bought more than 3 times in the last 90 days"."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_sdk.time import china_now
from kehu_plugins.erp.models import ErpSalesOrder
from kehu_plugins.erp.service.facts import FactInvalid, last_order_date, order_amount, order_count

TODAY = china_now().date()


@pytest.fixture
def shoppers(app, enable_plugins, make_customer):
    """Four customers with different histories (orders written as a pull would write them)."""
    enable_plugins("erp")
    app.extensions["kehu_plugins"].save_settings("erp", {"push_customers": False})
    history = {
        "常客": [(5, "1000", "confirmed"), (20, "500", "confirmed"), (40, "800", "confirmed"), (80, "200", "confirmed")],
        "老客": [(100, "9000", "confirmed"), (200, "9000", "confirmed"), (300, "9000", "confirmed"),
               (400, "9000", "confirmed")],
        "取消": [(1, "50", "cancelled"), (2, "50", "cancelled"), (3, "50", "draft"), (4, "50", "confirmed")],
        "新客": [],
    }
    ids = {}
    serial = 0
    for name, orders in history.items():
        customer = make_customer(name=name, phone=None)
        ids[name] = customer.id
        for days_ago, amount, state in orders:
            serial += 1
            db.session.add(ErpSalesOrder(adapter="odoo", external_id=str(serial), customer_id=customer.id,
                                         number=f"S{serial}", order_date=TODAY - timedelta(days=days_ago),
                                         amount=Decimal(amount), state=state))
    db.session.commit()
    return ids


def names(criterion):
    return sorted(db.session.scalars(select(Customer.name).where(criterion)))


def test_order_count_in_period(shoppers):
    assert names(order_count("gt", 3, 90)) == ["常客"]
    assert names(order_count("gte", 4, None)) == ["常客", "老客"]
    assert names(order_count("eq", 0, 90)) == ["新客", "老客"]
    assert names(order_count("lt", 1, None)) == ["新客"]


def test_order_amount_in_period(shoppers):
    assert names(order_amount("gte", "2500", 90)) == ["常客"]
    assert names(order_amount("gt", 30000, None)) == ["老客"]
    assert names(order_amount("lte", 50, 30)) == ["取消", "新客", "老客"]  # only confirmed orders count


def test_last_order_date(shoppers):
    assert names(last_order_date("gte", (TODAY - timedelta(days=10)).isoformat())) == ["取消", "常客"]
    assert names(last_order_date("lt", TODAY - timedelta(days=90))) == ["老客"]


@pytest.mark.parametrize("call", [lambda: order_count("between", 1), lambda: order_count("gt", "many"),
                                  lambda: order_amount("gt", "lots"), lambda: last_order_date("gt", "yesterday"),
                                  lambda: order_count("gt", 1, 0)])
def test_bad_fact_arguments_are_refused(app, call):
    with pytest.raises(FactInvalid):
        call()


def test_filter_through_customers_api(shoppers, make_user, api_client_as):
    client = api_client_as(make_user("admin"))

    response = client.get("/api/v1/customers", query_string={"fact": "erp_order_count:gt:3:90"})

    assert response.status_code == 200, response.get_json()
    assert [c["id"] for c in response.get_json()] == [shoppers["常客"]]
    combined = client.get("/api/v1/customers", query_string=[("fact", "erp_order_amount:gte:1000"),
                                                             ("fact", "erp_last_order_date:lt:" + str(TODAY))])
    assert sorted(c["name"] for c in combined.get_json()) == ["常客", "老客"]  # 取消 bought for 50 only


def test_unknown_operator_is_a_problem_not_a_500(shoppers, make_user, api_client_as):
    response = api_client_as(make_user("admin")).get("/api/v1/customers?fact=erp_order_count:about:3")

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_facts_vanish_when_plugin_disabled(shoppers, app, make_user, api_client_as):
    app.extensions["kehu_plugins"].disable("erp")

    response = api_client_as(make_user("admin")).get("/api/v1/customers?fact=erp_order_count:gt:3")

    assert response.status_code == 422
