"""The fixtures plugin authors get from kehu_sdk.testing."""
import pytest
from flask import g


def test_anonymous_request_after_an_authenticated_one_is_refused(app, admin, api_client_as, web_client_as):
    assert api_client_as(admin).get("/api/v1/customers").status_code == 200
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/customers").status_code == 401
    assert web_client_as(admin).get("/api/v1/me").json["username"] == "admin"
    assert anonymous.get("/api/v1/me").status_code == 401


def test_each_request_sees_its_own_user(client_as_role):
    sales, manager = client_as_role("sales"), client_as_role("manager", team="济宁一组")
    assert sales.get("/api/v1/me").json["username"] == sales.user.username
    assert manager.get("/api/v1/me").json["username"] == manager.user.username
    assert sales.get("/api/v1/me").json["username"] == sales.user.username


def test_globals_the_test_sets_survive_requests(app):
    g.marker = "set by the test"
    app.test_client().get("/api/v1/me")
    assert g.marker == "set by the test"


def test_client_as_role_gives_the_role_its_permissions(client_as_role):
    marketing = client_as_role("marketing", api=True)
    assert marketing.user.role.name == "marketing"
    assert marketing.get("/api/v1/customers").status_code == 200
    assert marketing.post("/api/v1/customers", json={"name": "不该建成"}).status_code == 403
    sales = client_as_role("sales", api=True)
    assert sales.post("/api/v1/customers", json={"name": "梁山县某农场"}).status_code == 201


def test_plugins_are_disabled_unless_asked_for(app):
    assert not app.extensions["kehu_plugins"].is_enabled("sample")


@pytest.mark.kehu_plugins("sample_child")
def test_marker_enables_plugins_with_their_requirements(app, kehu_enabled_plugins):
    assert kehu_enabled_plugins == ["sample_child"]
    manager = app.extensions["kehu_plugins"]
    assert manager.is_enabled("sample") and manager.is_enabled("sample_child")
    assert app.test_client().get("/sample/ping").json == {"greeting": "你好"}


class TestOverriddenFixture:
    @pytest.fixture
    def kehu_enabled_plugins(self):
        return ["sample"]

    def test_override_enables(self, app):
        assert app.extensions["kehu_plugins"].is_enabled("sample")
