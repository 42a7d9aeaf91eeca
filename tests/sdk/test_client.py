"""kehu_sdk.client against a real HTTP server on loopback, and against the OpenAPI document."""
import re
import threading

import pytest
from werkzeug.serving import make_server

from kehu.accounts import tokens
from kehu.extensions import db
from kehu_sdk.client import API_PREFIX, ENDPOINTS, KehuApiError, KehuClient


@pytest.fixture
def server(app):
    """The test app served over real HTTP in a thread (each request gets its own app context)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def kehu(server, admin):
    _, token = tokens.issue(admin, "client-test")
    db.session.commit()
    client = KehuClient(server, token, timeout=10)
    yield client
    client.session.close()


def test_customers_round_trip_and_pages(kehu):
    created = [kehu.create_customer({"name": f"济宁客户{i:02d}", "status": "intent" if i % 2 else "lead",
                                     "region_code": "370811"}) for i in range(7)]
    page = kehu.list_customers(page_size=3, sort="name")
    assert (len(page.items), page.total, page.total_pages, page.has_next) == (3, 7, 3, True)
    assert [c["id"] for c in kehu.iter_customers(page_size=3)] == sorted(c["id"] for c in created)[::-1]
    intent = list(kehu.iter_customers(status=["intent"], region="3708", page_size=2))
    assert len(intent) == 3 and {c["status"] for c in intent} == {"intent"}
    assert [c["name"] for c in kehu.iter_customers(q="济宁客户03")] == ["济宁客户03"]

    first = created[0]["id"]
    assert kehu.get_customer(first)["name"] == "济宁客户00"
    assert kehu.update_customer(first, {"status": "customer"})["status"] == "customer"
    kehu.delete_customer(first)
    with pytest.raises(KehuApiError) as gone:
        kehu.get_customer(first)
    assert gone.value.status == 404 and gone.value.problem["status"] == 404


def test_errors_carry_the_problem_document(kehu):
    with pytest.raises(KehuApiError) as invalid:
        kehu.create_customer({"name": "电话不对", "phone": "12345"})
    assert invalid.value.status == 422
    assert "phone" in invalid.value.errors["json"]
    with pytest.raises(TypeError, match="colour"):
        kehu.list_customers(colour="red")  # refused before anything is sent


def test_a_wrong_token_is_refused(server):
    with pytest.raises(KehuApiError) as refused:
        KehuClient(server, "kh_nope_nope").me()
    assert refused.value.status == 401


def test_contacts_tags_interactions_and_plugins(kehu):
    customer = kehu.create_customer({"name": "聊城某养殖场"})
    contact = kehu.add_contact(customer["id"], {"name": "李场长", "phone": "13905351234"})
    assert [c["id"] for c in kehu.list_contacts(customer["id"])] == [contact["id"]]
    assert kehu.update_contact(contact["id"], {"title": "场长"})["title"] == "场长"
    assert kehu.get_contact(contact["id"])["name"] == "李场长"
    kehu.delete_contact(contact["id"])
    assert kehu.list_contacts(customer["id"]) == []

    tag = kehu.create_tag({"name": "重点客户"})
    assert kehu.update_tag(tag["id"], {"name": "重点"})["name"] == "重点"
    assert [t["name"] for t in kehu.list_tags()] == ["重点"]
    kehu.delete_tag(tag["id"])

    planned = kehu.log_interaction(customer["id"], {"kind": "call", "status": "planned",
                                                    "due_at": "2026-12-01T09:00:00+08:00", "subject": "回访"})
    assert [i["id"] for i in kehu.iter_interactions(status=["planned"], mine=True)] == [planned["id"]]
    done = kehu.update_interaction(planned["id"], {"status": "done"})
    assert done["occurred_at"]
    assert kehu.list_timeline(customer["id"]).total == 1
    assert kehu.get_interaction(planned["id"])["status"] == "done"
    kehu.delete_interaction(planned["id"])

    assert "sample" in {p["name"] for p in kehu.list_plugins()}
    assert kehu.enable_plugin("sample")["enabled"] is True
    assert kehu.save_plugin_settings("sample", {"greeting": "欢迎"})["settings"]["greeting"] == "欢迎"
    assert kehu.get_plugin("sample")["enabled"] is True
    assert kehu.disable_plugin("sample")["enabled"] is False
    assert kehu.me()["username"] == "admin"


def _operation(spec, endpoint):
    path = spec["paths"].get(API_PREFIX + endpoint.path)
    assert path is not None, f"{endpoint.path} is not in the OpenAPI document"
    operation = path.get(endpoint.method.lower())
    assert operation is not None, f"{endpoint.method} {endpoint.path} is not in the OpenAPI document"
    return [*path.get("parameters", []), *operation.get("parameters", [])]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_endpoint_of_the_client_matches_the_openapi_document(app, name):
    spec = app.test_client().get("/api/openapi.json").json
    endpoint = ENDPOINTS[name]
    parameters = _operation(spec, endpoint)
    in_path = {p["name"] for p in parameters if p["in"] == "path"}
    assert in_path == set(re.findall(r"{(\w+)}", endpoint.path))
    in_query = {p["name"] for p in parameters if p["in"] == "query"}
    # exact: a filter the server adds (or drops) must be added to (or dropped from) the client
    assert in_query == set(endpoint.query), f"{name}: client {sorted(endpoint.query)} vs spec {sorted(in_query)}"
