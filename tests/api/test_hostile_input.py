"""Input that used to answer 500 (issue 11, point 6): each is a 4xx problem document now, or a 404 page."""
import pytest
from werkzeug.routing import IntegerConverter

from kehu.extensions import db

HUGE = "99999999999999999999"  # beyond INTEGER and BIGINT


@pytest.fixture
def admin_api(admin, api_client_as):
    return api_client_as(admin)


def test_every_route_bounds_its_ids(app):
    unbounded = [rule.rule for rule in app.url_map.iter_rules()
                 for converter in rule._converters.values()
                 if isinstance(converter, IntegerConverter) and converter.max is None]
    assert unbounded == []


@pytest.mark.kehu_plugins("sms", "erp")
@pytest.mark.parametrize("path", [f"/api/v1/sms/templates/{HUGE}", f"/api/v1/erp/runs/{HUGE}",
                                  f"/api/v1/customers/{HUGE}", f"/api/v1/interactions/{HUGE}"])
def test_huge_ids_in_the_api_are_not_found(admin_api, path):
    answer = admin_api.get(path)
    assert answer.status_code == 404 and answer.content_type == "application/problem+json"


@pytest.mark.kehu_plugins("sms", "erp")
@pytest.mark.parametrize("path", [f"/sms/campaigns/{HUGE}", f"/sms/templates/{HUGE}", f"/erp/runs/{HUGE}",
                                  f"/admin/webhooks/deliveries/{HUGE}", f"/customers/{HUGE}"])
def test_huge_ids_on_pages_are_a_404_page(admin, web_client_as, path):
    answer = web_client_as(admin).get(path)
    assert answer.status_code == 404 and "text/html" in answer.content_type


@pytest.mark.kehu_plugins("sms")
@pytest.mark.parametrize("path, body", [
    ("/api/v1/customers", {"name": "\ud800"}),
    ("/api/v1/tags", {"name": "\udfff标签"}),
    ("/api/v1/sms/templates", {"name": "\ud800", "body": "你好"}),
])
def test_lone_surrogates_are_refused_as_text(admin_api, path, body):
    answer = admin_api.post(path, json=body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "代理字符" in str(answer.json["errors"])


def test_contacts_and_interactions_refuse_lone_surrogates(admin_api, make_customer):
    customer = make_customer()
    contact = admin_api.post(f"/api/v1/customers/{customer.id}/contacts", json={"name": "\ud83d"})
    note = admin_api.post(f"/api/v1/customers/{customer.id}/interactions", json={"kind": "note", "content": "\ud800"})
    assert (contact.status_code, note.status_code) == (422, 422)
    db.session.refresh(customer)
    assert customer.contacts == []


def test_deeply_nested_json_is_a_400(admin_api):
    answer = admin_api.post("/api/v1/customers", data="[" * 100_000, content_type="application/json")
    assert answer.status_code == 400 and answer.content_type == "application/problem+json"


def test_a_405_says_which_methods_are_allowed(admin_api):
    answer = admin_api.put("/api/v1/tags")
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_patch_without_a_body_is_a_422(admin_api, make_customer):
    customer = make_customer()
    answer = admin_api.patch(f"/api/v1/customers/{customer.id}")
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"


@pytest.mark.kehu_plugins("erp")
def test_malformed_json_never_starts_a_sync(admin_api):
    from kehu_plugins.erp.models import ErpSyncRun
    answer = admin_api.post("/api/v1/erp/sync", data="{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.content_type == "application/problem+json"
    assert db.session.query(ErpSyncRun).count() == 0
