"""The dashboard counts only what the user may see, and its months are China-time months."""
from datetime import datetime, timezone

from kehu.customers.models import Customer
from kehu.dashboard import query
from kehu.extensions import db
from kehu.platform.time import china_month


def test_figures_follow_the_users_scope(make_user, make_customer, web_client_as):
    mine, theirs = make_user("sales"), make_user("sales")
    make_customer(owner=mine, status="intent", region_code="370811")
    make_customer(owner=theirs, status="customer")
    data = web_client_as(mine).get("/dashboard/data").json
    assert {s["code"]: s["count"] for s in data["funnel"]["stages"]}["intent"] == 1
    assert sum(s["count"] for s in data["funnel"]["stages"]) == 1
    assert data["counties"] == [{"code": "370811", "name": "济宁市任城区", "count": 1}]
    assert query.total_customers(theirs) == 1


def test_a_customer_made_at_new_year_counts_in_chinas_january(make_user, make_customer):
    admin = make_user("admin")
    customer = make_customer(owner=admin)
    customer.created_at = datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc)  # 2026-01-01 00:30 in Jining
    db.session.commit()
    month = china_month(Customer.created_at, db.session.get_bind().dialect.name)
    assert db.session.scalar(db.select(month).where(Customer.id == customer.id)) == "2026-01"
    assert query.counts(admin, "month") == {"2026-01": 1}  # what the triggers computed
