"""Timeline integrity (issue 11, point 9): system entries stay as written; people change their own
entries, team managers their team's; the audit log keeps every earlier version."""
import pytest

from kehu.extensions import db
from kehu.interactions.service import log_interaction
from kehu.platform.audit import AuditLog


@pytest.fixture
def timeline(make_user, make_customer, make_interaction):
    owner, colleague = make_user("sales", team="济宁"), make_user("sales", team="济宁")
    customer = make_customer(owner=owner)
    own = make_interaction(customer, owner, content="我的拜访")
    theirs = make_interaction(customer, colleague, content="同事的拜访")
    system = log_interaction(customer.id, "message", content="ERP 订单已同步", source_plugin="erp",
                             external_ref="SO-1")
    db.session.commit()
    return {"owner": owner, "own": own, "theirs": theirs, "system": system}


def test_system_entries_are_read_only_for_everyone(timeline, api_client_as, make_user):
    admin = api_client_as(make_user("admin"))
    path = f"/api/v1/interactions/{timeline['system'].id}"
    edit = admin.patch(path, json={"content": "改掉"})
    assert edit.status_code == 403 and "系统记录" in edit.json["detail"]
    assert admin.delete(path).status_code == 403
    assert db.session.get(type(timeline["system"]), timeline["system"].id).content == "ERP 订单已同步"


def test_people_change_their_own_entries_and_managers_their_teams(timeline, api_client_as, make_user):
    owner = api_client_as(timeline["owner"])
    assert owner.patch(f"/api/v1/interactions/{timeline['own'].id}", json={"content": "补充"}).status_code == 200
    refused = owner.patch(f"/api/v1/interactions/{timeline['theirs'].id}", json={"content": "改同事的"})
    assert refused.status_code == 403 and refused.json["detail"] == "只能修改自己记录的跟进"
    assert owner.delete(f"/api/v1/interactions/{timeline['theirs'].id}").status_code == 403
    manager = api_client_as(make_user("manager", team="济宁"))
    assert manager.patch(f"/api/v1/interactions/{timeline['theirs'].id}", json={"content": "经理补充"}).status_code == 200
    history = db.session.query(AuditLog).filter_by(entity="interaction", entity_id=str(timeline["own"].id),
                                                   action="update").one()
    assert history.changes["content"] == ["我的拜访", "补充"]
