"""Default roles work out of the box with the plugins enabled, and stay editable (issue 12, point 7)."""
import pytest
from sqlalchemy import select

from kehu.accounts.models import Role
from kehu.accounts.service import update_role
from kehu.extensions import db


def role(name) -> Role:
    return db.session.scalar(select(Role).where(Role.name == name))


def test_enabling_sms_lets_marketing_run_campaigns_and_service_read_the_history(app, enable_plugins, client_as_role):
    marketing = client_as_role("marketing")
    assert marketing.get("/sms/").status_code == 404  # not enabled yet
    enable_plugins("sms")
    assert marketing.get("/sms/").status_code == 200
    assert {"sms.read", "sms.send", "sms.manage"} <= set(role("marketing").permissions)
    assert "sms.read" in role("service").permissions and "sms.send" not in role("service").permissions
    assert "sms.read" not in role("sales").permissions


def test_a_permission_an_admin_took_away_stays_away(app, enable_plugins, disable_plugins, admin):
    enable_plugins("sms")
    marketing = role("marketing")
    update_role(marketing, [p for p in marketing.permissions if p != "sms.manage"], marketing.scope, admin)
    disable_plugins("sms")
    enable_plugins("sms")
    assert "sms.manage" not in role("marketing").permissions and "sms.send" in role("marketing").permissions


def test_db_upgrade_grants_the_defaults_of_plugins_enabled_before(app, enable_plugins):
    from kehu.cli import cli
    enable_plugins("erp")
    from kehu.accounts.models import DefaultGrant
    db.session.query(DefaultGrant).delete()
    sales = role("sales")
    sales.permissions = [p for p in sales.permissions if p != "erp.view"]
    db.session.commit()
    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "role sales now has erp.view" in result.output and "erp.view" in role("sales").permissions


def test_a_manager_sees_the_teams_follow_ups_and_can_narrow_to_their_own(app, make_user, make_customer,
                                                                        make_interaction, web_client_as):
    from datetime import timedelta

    from kehu.platform.time import utcnow
    manager, seller, other = make_user("manager", team="济宁"), make_user("sales", team="济宁"), make_user("sales", team="聊城")
    due = utcnow() + timedelta(days=2)
    make_interaction(make_customer(owner=seller), user=seller, status="planned", due_at=due, subject="送样品")
    make_interaction(make_customer(owner=manager), user=manager, status="planned", due_at=due, subject="谈价格")
    make_interaction(make_customer(owner=other), user=other, status="planned", due_at=due, subject="聊城回访")
    client = web_client_as(manager)
    team = client.get("/follow-ups").text
    assert "送样品" in team and "谈价格" in team and "聊城回访" not in team
    mine = client.get("/follow-ups?mine=1").text
    assert "谈价格" in mine and "送样品" not in mine
    own = web_client_as(seller).get("/follow-ups").text
    assert "送样品" in own and "谈价格" not in own


@pytest.mark.parametrize("role_name, shown", [("sales", False), ("marketing", False), ("admin", True)])
def test_the_api_link_is_for_those_who_set_up_integrations(client_as_role, role_name, shown):
    page = client_as_role(role_name).get("/").text
    assert ('href="/api/docs"' in page) is shown
