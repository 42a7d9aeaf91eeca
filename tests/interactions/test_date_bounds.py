"""Absurd dates are refused with the same clear message in the API and the forms, in both languages;
an old planned follow-up is flagged overdue (issue 12, point 3)."""
import re
from datetime import timedelta

import pytest

from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import china_now, utcnow


def with_csrf(client):
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").text).group(1)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.mark.parametrize("birthday", ["1800-01-01", "0001-01-01", "2999-12-31"])
def test_absurd_birthdays_are_refused_by_the_api(admin, api_client_as, birthday):
    answer = api_client_as(admin).post("/api/v1/customers", json={"name": "鱼台稻香米业", "birthday": birthday})
    assert answer.status_code == 422
    assert answer.json["errors"]["json"]["birthday"] == ["生日须在 1900-01-01 至今天之间"]


def test_a_real_birthday_and_today_pass(admin, api_client_as):
    client = api_client_as(admin)
    for birthday in ("1958-03-12", china_now().date().isoformat()):
        assert client.post("/api/v1/customers", json={"name": f"客户{birthday}", "birthday": birthday}).status_code == 201


def test_the_form_says_the_same_in_english(admin, web_client_as, app):
    admin.locale = "en"
    db.session.commit()
    page = with_csrf(web_client_as(admin)).post("/customers/new", data={"name": "Yutai Rice", "birthday": "2999-12-31"})
    assert page.status_code == 422 and "A birthday lies between 1900-01-01 and today" in page.text


@pytest.mark.parametrize("due_at", ["1999-01-01T09:00:00", "9999-12-31T09:00:00"])
def test_absurd_follow_ups_are_refused_by_the_api_and_the_quick_form(admin, api_client_as, web_client_as,
                                                                    make_customer, due_at):
    customer = make_customer()
    answer = api_client_as(admin).post(f"/api/v1/customers/{customer.id}/interactions",
                                       json={"kind": "call", "status": "planned", "due_at": due_at})
    assert answer.status_code == 422 and "跟进时间须在" in answer.json["errors"]["json"]["due_at"][0]
    page = with_csrf(web_client_as(admin)).post(f"/customers/{customer.id}/interactions",
                                     data={"kind": "call", "follow_up_at": due_at[:16]}, headers={"HX-Request": "true"})
    assert page.status_code == 422 and "跟进时间须在" in page.text
    assert db.session.query(Interaction).count() == 0


def test_a_done_entry_cannot_have_happened_tomorrow(admin, api_client_as, make_customer):
    customer = make_customer()
    tomorrow = (china_now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    answer = api_client_as(admin).post(f"/api/v1/customers/{customer.id}/interactions",
                                       json={"kind": "visit", "occurred_at": tomorrow})
    assert answer.status_code == 422 and answer.json["errors"]["json"]["occurred_at"] == ["发生时间不能晚于现在"]


def test_an_old_planned_follow_up_is_flagged_overdue(admin, web_client_as, make_customer, make_interaction):
    customer = make_customer(owner=admin)
    make_interaction(customer, user=admin, status="planned", due_at=utcnow().replace(year=1999), subject="回访")
    make_interaction(customer, user=admin, status="planned", due_at=utcnow() + timedelta(days=3), subject="报价")
    client = web_client_as(admin)
    follow_ups = client.get("/follow-ups").text
    assert follow_ups.count('data-testid="overdue"') == 1
    assert client.get(f"/customers/{customer.id}").text.count('data-testid="overdue"') == 1
