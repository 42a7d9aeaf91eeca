"""Creating a customer through the API reads each thing its rules need once (查重 included) and writes
its rows once
(issue 13, goal E: the write path's cost was its round trips and ORM loads). A statement added to
this path shows here before it shows in the benchmark."""
import re
from collections import Counter

import pytest
from sqlalchemy import event

from kehu.custom_fields.service import save_admin_schema
from kehu.extensions import db

SCHEMA = {"type": "object", "properties": {"area_mu": {"type": "number", "title": "面积（亩）", "minimum": 0}}}


@pytest.fixture
def statements(app):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


# re-read at most once a second by each process (PLUGIN_STATE_TTL); the test app's TTL is 0
EVERY_TTL = {"plugin_state", "webhook_endpoint"}


def _tables(seen) -> Counter:
    found = Counter()
    for statement in seen:
        verb = statement.split()[0].upper()
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
        table = table.group(1) if table else "?"
        if table not in EVERY_TTL:
            found[(verb, table)] += 1
    return found


def test_a_create_reads_token_owner_schema_and_tags_once_and_writes_three_rows(
        admin, make_user, make_tag, api_client_as, statements):
    save_admin_schema("orchard", "果园", SCHEMA, admin)
    make_tag("果园")
    owner = make_user("sales", team="济宁一组")
    client = api_client_as(admin)
    owner_id, team_id = owner.id, owner.team_id
    client.get("/api/v1/customers")  # the token's last-used time is written once per five minutes, not here
    statements.clear()

    response = client.post("/api/v1/customers", json={
        "name": "泗水县鲁润果蔬专业合作社", "phone": "13853712345", "industry": "orchard",
        "extra": {"area_mu": 320}, "tags": ["果园"], "owner_id": owner_id})
    ran = _tables(statements)

    assert response.status_code == 201, response.json
    assert response.json["phone"] == "+8613853712345"  # shown from what was written, not decrypted again
    assert response.json["team_id"] == team_id
    assert response.json["extra_schema"] == "orchard" and response.json["extra_schema_version"] == 1
    assert ran == {
        ("SELECT", "user_account"): 2,        # the token's user (joined to api_token), then the owner
        ("SELECT", "customer"): 1,            # 查重: the phone's, contacts' phones' and name's matches in one UNION
        ("SELECT", "custom_field_schema"): 1,  # the industry's active version, read once for key and rules
        ("SELECT", "tag"): 1,
        ("INSERT", "customer"): 1,
        ("INSERT", "customer_tag"): 1,
        ("INSERT", "audit_log"): 1,
    }, "\n".join(statements)


def test_the_owner_and_team_rules_still_hold_without_loading_whole_users(admin, make_user, api_client_as):
    owner = make_user("sales", team="济宁一组")
    inactive = make_user("sales", team="济宁一组")
    inactive.active = False
    db.session.commit()
    team_lead = make_user("manager", team="济南组")
    client = api_client_as(team_lead)

    outside = client.post("/api/v1/customers", json={"name": "兖州瑞丰建材商行", "owner_id": owner.id})
    assert outside.status_code == 422
    assert outside.json["errors"]["json"] == {"owner_id": ["不能把客户分配给权限范围以外的人"]}
    gone = api_client_as(admin).post("/api/v1/customers", json={"name": "兖州瑞丰建材商行", "owner_id": inactive.id})
    assert gone.json["errors"]["json"] == {"owner_id": ["负责人不存在"]}
    no_team = api_client_as(admin).post("/api/v1/customers", json={"name": "兖州瑞丰建材商行", "team_id": 99999})
    assert no_team.json["errors"]["json"] == {"team_id": ["团队不存在"]}
