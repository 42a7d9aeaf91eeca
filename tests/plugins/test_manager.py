"""Plugin manager: discovery, order, run-time enable/disable, settings, migrations, CLI."""
import subprocess
import sys
import time

import pytest
from sqlalchemy import inspect as sa_inspect

from kehu.app import create_app
from kehu.extensions import db
from kehu.plugins import migrations as plugin_migrations
from kehu.plugins.ordering import DependencyError, dependency_order


def test_installed_plugins_are_discovered_in_dependency_order(app):
    manager = app.extensions["kehu_plugins"]
    names = list(manager.installed)
    assert {"sample", "sample_child"} <= set(names)
    assert names.index("sample") < names.index("sample_child")


def test_dependency_order_is_deterministic_and_rejects_cycles():
    assert dependency_order({"b": (), "a": (), "c": ("b",), "aa": ("c",)}) == ["a", "b", "c", "aa"]
    with pytest.raises(DependencyError, match="cycle"):
        dependency_order({"x": ("y",), "y": ("x",)})
    with pytest.raises(DependencyError, match="missing"):
        dependency_order({"x": ("nope",)})


def test_disabled_plugin_routes_answer_404_and_hooks_are_skipped(app, admin, api_client_as, enable_plugins):
    client = api_client_as(admin)
    assert client.get("/sample/ping").status_code == 404
    # validate_customer of the disabled plugin does not veto
    assert client.post("/api/v1/customers", json={"name": "禁止测试一"}).status_code == 201
    assert client.post("/api/v1/customers/1/interactions", json={"kind": "sample_visit"}).status_code in (404, 422)

    enable_plugins("sample")
    assert client.get("/sample/ping").json == {"greeting": "你好"}
    vetoed = client.post("/api/v1/customers", json={"name": "禁止测试二"})
    assert vetoed.status_code == 422
    assert vetoed.json["errors"]["json"]["name"] == ["名称不能包含“禁止”"]
    customer = client.post("/api/v1/customers", json={"name": "允许的客户"}).json
    logged = client.post(f"/api/v1/customers/{customer['id']}/interactions", json={"kind": "sample_visit"})
    assert logged.status_code == 201, logged.json


def test_requirements_are_enforced_on_enable_and_disable(admin, api_client_as):
    client = api_client_as(admin)
    refused = client.post("/api/v1/plugins/sample_child/enable")
    assert refused.status_code == 409
    assert "sample" in refused.json["detail"]
    assert client.post("/api/v1/plugins/sample/enable").json["enabled"] is True
    assert client.post("/api/v1/plugins/sample_child/enable").json["enabled"] is True
    refused = client.post("/api/v1/plugins/sample/disable")
    assert refused.status_code == 409 and "sample_child" in refused.json["detail"]
    assert client.post("/api/v1/plugins/sample_child/disable").json["enabled"] is False
    assert client.post("/api/v1/plugins/sample/disable").json["enabled"] is False


def test_settings_are_validated_by_the_plugin_schema_and_secrets_masked(admin, api_client_as):
    client = api_client_as(admin)
    bad = client.put("/api/v1/plugins/sample/settings", json={"settings": {"max_notes": 0, "colour": "red"}})
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    errors = bad.json["errors"]["json"]["settings"]
    assert "max_notes" in errors and "_schema" in errors  # additionalProperties names the unknown key
    saved = client.put("/api/v1/plugins/sample/settings",
                       json={"settings": {"greeting": "欢迎", "api_key": "s3cret"}})
    assert saved.status_code == 200
    assert saved.json["settings"] == {"greeting": "欢迎", "max_notes": 10, "forbidden_word": "禁止",
                                      "api_key": "********"}
    # sending the mask back keeps the stored secret
    client.put("/api/v1/plugins/sample/settings", json={"settings": {"greeting": "早上好", "api_key": "********"}})
    manager = client.application.extensions["kehu_plugins"]
    assert manager.settings_of("sample")["api_key"] == "s3cret"
    assert manager.settings_of("sample")["greeting"] == "早上好"


def test_plugin_admin_needs_permission(make_user, api_client_as):
    sales = api_client_as(make_user("sales"))
    assert sales.get("/api/v1/plugins").status_code == 403
    assert sales.post("/api/v1/plugins/sample/enable").status_code == 403


def test_enable_refuses_until_plugin_migrations_are_at_head(app, admin, api_client_as):
    plugin = app.extensions["kehu_plugins"].get("sample")
    assert "sample_note" in sa_inspect(db.engine).get_table_names()
    assert plugin_migrations.current_heads(plugin) == {"sample_0001"}
    plugin_migrations.downgrade(plugin, "base")
    try:
        assert "sample_note" not in sa_inspect(db.engine).get_table_names()
        refused = api_client_as(admin).post("/api/v1/plugins/sample/enable")
        assert refused.status_code == 409
        assert "kehu db upgrade" in refused.json["detail"]
    finally:
        plugin_migrations.upgrade(plugin)
    assert api_client_as(admin).post("/api/v1/plugins/sample/enable").status_code == 200


def test_plugin_signal_receivers_run_only_while_enabled(admin, api_client_as, enable_plugins):
    from kehu_sample.plugin import received
    received.clear()
    client = api_client_as(admin)
    client.post("/api/v1/customers", json={"name": "甲"})
    assert received == []
    enable_plugins("sample")
    created = client.post("/api/v1/customers", json={"name": "乙"}).json
    assert received == [created["id"]]


def test_state_change_by_another_process_is_seen_within_two_seconds(app, kehu_database_url, tmp_path):
    """A second app polling with the production TTL notices a CLI change made in another process."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": kehu_database_url, "SECRET_KEY": "x",
                        "PLUGIN_STATE_TTL": 1.0}, instance_path=str(tmp_path))
    client = other.test_client()
    assert client.get("/sample/ping").status_code == 404
    env = {"KEHU_DATABASE_URL": kehu_database_url, "KEHU_INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": ":".join(sys.path)}
    subprocess.run([sys.executable, "-m", "kehu.cli", "plugins", "enable", "sample"], env=env, check=True,
                   capture_output=True)
    changed_at = time.monotonic()
    while client.get("/sample/ping").status_code != 200:
        assert time.monotonic() - changed_at < 2.0, "enable not seen within 2 s"
        time.sleep(0.05)
    with other.app_context():
        db.engine.dispose()


def test_cli_lists_enables_and_configures(app, kehu_database_url, tmp_path):
    env = {"KEHU_DATABASE_URL": kehu_database_url, "KEHU_INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": ":".join(sys.path)}

    def kehu(*args):
        return subprocess.run([sys.executable, "-m", "kehu.cli", *args], env=env, capture_output=True, text=True)

    listed = kehu("plugins", "list")
    assert listed.returncode == 0
    assert any(line.split()[:3] == ["sample", "1.0.0", "disabled"] for line in listed.stdout.splitlines())
    bad = kehu("plugins", "settings", "sample", "--set", "max_notes=500")
    assert bad.returncode != 0 and "max_notes" in bad.stderr
    good = kehu("plugins", "settings", "sample", "--set", "max_notes=20", "--set", "greeting=您好")
    assert good.returncode == 0 and '"max_notes": 20' in good.stdout
    assert kehu("plugins", "enable", "sample").returncode == 0
    assert kehu("sample-hello").stdout.strip() == "您好"
    unknown = kehu("plugins", "enable", "nope")
    assert unknown.returncode != 0 and "no plugin named" in unknown.stderr
