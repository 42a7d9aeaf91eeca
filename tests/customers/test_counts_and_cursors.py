"""Large lists: totals above the exact-count limit are estimates (and say so); keyset cursors walk
every row once, in order, without OFFSET."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import insert

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.platform import pagination
from kehu.platform.time import utcnow


@pytest.fixture
def twelve(app, admin):
    """Twelve customers, some with equal sort values (the id must break the tie)."""
    now = utcnow()
    rows = [Customer(name=f"客户{i:02d}", owner_id=admin.id, status=("lead", "intent")[i % 2],
                     created_at=now - timedelta(days=i // 3), updated_at=now - timedelta(hours=i % 4))
            for i in range(12)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name", "-name", "-updated_at", "status"])
def test_a_cursor_walks_the_same_rows_as_the_pages(twelve, admin, api_client_as, sort):
    client = api_client_as(admin)
    every = client.get(f"/api/v1/customers?page_size=100&sort={sort}").json
    walked, url = [], f"/api/v1/customers?page_size=5&sort={sort}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json
        walked += response.json
        cursor = response.headers.get("X-Next-Cursor")
        url = f"/api/v1/customers?page_size=5&sort={sort}&cursor={cursor}" if cursor else None
    assert [c["id"] for c in walked] == [c["id"] for c in every] and len(walked) == 12


def test_a_cursor_of_another_sort_or_no_cursor_at_all_is_refused(twelve, admin, api_client_as):
    client = api_client_as(admin)
    cursor = client.get("/api/v1/customers?page_size=5&sort=name").headers["X-Next-Cursor"]
    for bad in (cursor, "not-a-cursor", "W10", "eyJhIjoxfQ"):
        response = client.get(f"/api/v1/customers?page_size=5&cursor={bad}", headers={"Accept-Language": "zh"})
        assert response.status_code == 422 and response.content_type == "application/problem+json"
        assert "游标" in response.json["errors"]["query"]["cursor"][0]


def test_totals_above_the_limit_are_estimated_on_postgresql(twelve, admin, api_client_as, web_client_as,
                                                            monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(pagination, "TRUSTED_ESTIMATE", 8)
    response = api_client_as(admin).get("/api/v1/customers?page_size=5&status=lead&status=intent")
    total = json.loads(response.headers["X-Pagination"])["total"]
    page = web_client_as(admin).get("/customers?status=lead&status=intent").text
    assert response.headers["X-Total-Estimated"] == "true" and total > 5
    if db.engine.dialect.name == "postgresql":
        assert "约" in page or "超过 8 个客户" in page
    else:  # SQLite has no estimate: it counts on to TRUSTED_ESTIMATE, then says only that there are more
        assert total == 9 and "超过 8 个客户" in page
    assert len(response.json) == 5
    monkeypatch.setattr(pagination, "TRUSTED_ESTIMATE", 100)
    if db.engine.dialect.name == "sqlite":  # up to TRUSTED_ESTIMATE, SQLite counts exactly
        response = api_client_as(admin).get("/api/v1/customers?page_size=5&status=lead&status=intent")
        assert json.loads(response.headers["X-Pagination"])["total"] == 12
        assert response.headers["X-Total-Estimated"] == "false"


def test_an_unfiltered_list_knows_its_total_from_the_counts(twelve, admin, api_client_as, web_client_as,
                                                            make_user, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    response = api_client_as(admin).get("/api/v1/customers?page_size=5&sort=name")
    assert json.loads(response.headers["X-Pagination"])["total"] == 12
    assert response.headers["X-Total-Estimated"] == "false"
    assert "共 12 个客户" in web_client_as(admin).get("/customers").text
    sales = make_user("sales")  # scope own: none of the twelve
    assert json.loads(api_client_as(sales).get("/api/v1/customers").headers["X-Pagination"])["total"] == 0


def test_totals_up_to_the_limit_are_exact(twelve, admin, api_client_as):
    response = api_client_as(admin).get("/api/v1/customers?status=intent")
    assert json.loads(response.headers["X-Pagination"])["total"] == 6
    assert response.headers["X-Total-Estimated"] == "false"


def _bulk(names):
    from kehu.customers.search_tokens import tokens_of
    db.session.execute(insert(Customer), [
        {"name": name, "name_pinyin": "", "search_tokens": tokens_of(name), "created_at": utcnow(),
         "updated_at": utcnow(), "kind": "company", "status": "lead", "extra": {}, "consent_sms": False,
         "consent_email": False, "consent_phone": False} for name in names])
    db.session.commit()
    db.session.execute(db.text("ANALYZE customer"))


def test_the_estimate_is_the_planners_and_reads_in_round_figures(app, admin, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row estimate; it counts")
    _bulk(f"批量{i}" for i in range(3000))
    total = pagination.count_of(db.select(Customer).where(Customer.deleted_at.is_(None)))
    assert total.estimated and not total.at_least and 2000 <= total <= 4000
    monkeypatch.setattr(pagination, "TRUSTED_ESTIMATE", 100)  # so large that no count checks it
    assert pagination.count_of(db.select(Customer).where(Customer.deleted_at.is_(None))).estimated


def test_an_estimate_the_count_disproves_is_counted_on(app, admin, web_client_as, monkeypatch):
    """The planner takes search tokens for independent: 甲乙, 丙丁 and 丁戊 each in half the rows
    make an eighth to it, though all three always come together."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row estimate; it counts")
    _bulk([f"甲乙丙丁戊{i}" for i in range(3000)] + [f"其他客户{i}" for i in range(3000)])
    from kehu.customers.query import CustomerFilter, customer_select
    search = customer_select(CustomerFilter(q="甲乙丙丁戊"), admin)
    assert pagination._planner_rows(search.with_only_columns(Customer.id)) < 1001  # what the count disproves
    total = pagination.count_of(search)
    assert total == 3000 and not total.estimated  # counted on, up to TRUSTED_ESTIMATE
    monkeypatch.setattr(pagination, "TRUSTED_ESTIMATE", 2000)
    total = pagination.count_of(search)
    assert total.at_least and total == 2001
    assert "超过 2000 个客户" in web_client_as(admin).get("/customers?q=甲乙丙丁戊").text


def test_about_says_large_numbers_in_two_figures(app):
    from flask_babel import force_locale

    from kehu.web import about
    with app.test_request_context(), force_locale("zh"):
        assert [about(n) for n in (12_345, 1_234_567)] == ["1.2万", "120万"]
    with app.test_request_context(), force_locale("en"):
        assert about(1_234_567) == "1.2M"
