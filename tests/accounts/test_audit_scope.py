"""The audit log applies the scope of the records it describes (issue 11, point 2): a team manager reads
the history of the team's customers only, and of nothing else; admins read everything."""
import pytest

from kehu.customers.service import delete_customer
from kehu.tags.service import create_tag


@pytest.fixture
def two_teams(make_user, make_customer, make_contact, make_interaction):
    jining, liaocheng = make_user("sales", team="济宁"), make_user("sales", team="聊城")
    ours = make_customer(owner=jining, name="济宁鸿达机械", address="任城区")
    theirs = make_customer(owner=liaocheng, name="聊城东阿阿胶", address="东阿县")
    make_contact(theirs, name="对方联系人", phone="13905351234")
    make_interaction(theirs, liaocheng, content="对方的拜访记录")
    make_interaction(ours, jining, content="我们的拜访记录")
    create_tag({"name": "内部标签"})
    return {"ours": ours, "theirs": theirs}


def _entries(client, **query):
    answer = client.get("/api/v1/audit", query_string={"page_size": 100, **query})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_team_manager_reads_only_the_teams_records(client_as_role, two_teams):
    manager = client_as_role("manager", team="济宁", api=True)
    entries = _entries(manager)
    assert {(e["entity"], e["entity_id"]) for e in entries} == {
        ("customer", str(two_teams["ours"].id)),
        *{("interaction", e["entity_id"]) for e in entries if e["entity"] == "interaction"}}
    assert len([e for e in entries if e["entity"] == "interaction"]) == 1
    text = str(entries)
    assert "聊城东阿阿胶" not in text and "东阿县" not in text and "1234" not in text and "内部标签" not in text
    assert _entries(manager, entity="customer", entity_id=str(two_teams["theirs"].id)) == []


def test_admins_read_everything_and_sales_nothing(client_as_role, two_teams):
    admin = client_as_role("admin", api=True)
    entities = {e["entity"] for e in _entries(admin)}
    assert {"customer", "contact", "interaction", "tag", "user_account"} <= entities
    assert client_as_role("sales", api=True).get("/api/v1/audit").status_code == 403


def test_deleted_customers_keep_their_history_for_their_team(client_as_role, two_teams):
    manager = client_as_role("manager", team="济宁", api=True)
    delete_customer(two_teams["ours"])
    actions = [e["action"] for e in _entries(manager, entity="customer")]
    assert actions[0] == "delete" and "create" in actions


def test_the_audit_never_holds_a_full_phone_number(client_as_role, two_teams):
    text = str(_entries(client_as_role("admin", api=True)))
    assert "13905351234" not in text and "1390535" not in text
