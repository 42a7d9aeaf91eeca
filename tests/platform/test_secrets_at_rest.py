"""Secrets and PII at rest (issue 11, point 8): plugin secrets encrypted in plugin_state.settings,
database and broker files 0600, the PII key's place, access logs without query values."""
import json
import logging
import stat

import pytest
from sqlalchemy import select, text

from kehu.app import create_app
from kehu.extensions import db
from kehu.platform.access_log import redact_target
from kehu.platform.audit import AuditLog
from kehu.platform.secrets import ENCRYPTED_PREFIX

SECRET = "s3cr3t-aliyun-key-0537"


def stored_settings(name: str) -> dict:
    value = db.session.execute(text("SELECT settings FROM plugin_state WHERE name = :n"), {"n": name}).scalar()
    return value if isinstance(value, dict) else json.loads(value)


def test_plugin_secrets_are_encrypted_in_the_database_and_the_audit(app, enable_plugins, admin, api_client_as):
    manager = app.extensions["kehu_plugins"]
    enable_plugins("sample")
    manager.save_settings("sample", {"greeting": "您好", "api_key": SECRET})
    raw = stored_settings("sample")
    assert raw["greeting"] == "您好" and raw["api_key"].startswith(ENCRYPTED_PREFIX)
    assert SECRET not in json.dumps(raw)
    assert manager.settings_of("sample")["api_key"] == SECRET  # what the plugin reads
    assert all(SECRET not in json.dumps(entry.changes, ensure_ascii=False) for entry in db.session.query(AuditLog))

    audit = api_client_as(admin).get("/api/v1/audit", query_string={"entity": "plugin_state"}).get_json()
    saved = [e["changes"]["settings"][1] for e in audit if "api_key" in (e["changes"].get("settings") or [0, {}])[1]]
    assert saved == [{"greeting": "您好", "api_key": "********"}]  # shown masked, never as ciphertext
    assert "fernet:" not in json.dumps(audit)

    ciphertext = raw["api_key"]
    manager.save_settings("sample", {"greeting": "欢迎", "api_key": "********"})  # the masked form, unchanged
    assert stored_settings("sample")["api_key"] == ciphertext  # not re-encrypted: no churn in the audit
    manager.save_settings("sample", {"greeting": "欢迎", "api_key": "another-key-123"})
    assert stored_settings("sample")["api_key"] != ciphertext
    assert manager.settings_of("sample")["api_key"] == "another-key-123"


def test_db_upgrade_encrypts_secrets_stored_in_the_clear(app, enable_plugins):
    from kehu.cli import cli
    enable_plugins("sample")
    db.session.execute(text("UPDATE plugin_state SET settings = :s WHERE name = 'sample'"),
                       {"s": json.dumps({"api_key": SECRET})})
    # what saving it wrote into the audit before secrets were encrypted
    db.session.add(AuditLog(actor="admin", action="update", entity="plugin_state", entity_id="sample",
                            changes={"settings": [{}, {"api_key": SECRET, "greeting": "您好"}]}))
    db.session.commit()
    app.extensions["kehu_plugins"].state.refresh(force=True)
    assert app.extensions["kehu_plugins"].settings_of("sample")["api_key"] == SECRET  # still read
    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "secret settings of 1 plugin(s) encrypted" in result.output
    assert stored_settings("sample")["api_key"].startswith(ENCRYPTED_PREFIX)
    old_entry = db.session.scalars(select(AuditLog).where(AuditLog.actor == "admin")).one()
    db.session.refresh(old_entry)
    assert old_entry.changes["settings"] == [{}, {"api_key": "********", "greeting": "您好"}]


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_broker_and_key_files_are_private_and_the_key_beside_the_database_is_warned(tmp_path, caplog):
    instance = tmp_path / "instance"
    with caplog.at_level(logging.WARNING, logger="kehu.app"):
        create_app({"SECRET_KEY": "x"}, instance_path=str(instance))
    for name in ("kehu.sqlite", "celery-broker.sqlite", "pii_key"):
        assert _mode(instance / name) == 0o600, name
    assert any("sits beside the database" in r.getMessage() for r in caplog.records)

    caplog.clear()
    keys = tmp_path / "keys"
    with caplog.at_level(logging.WARNING, logger="kehu.app"):
        app = create_app({"SECRET_KEY": "x", "KEHU_PII_KEY_FILE": str(keys / "pii_key")}, instance_path=str(instance))
    assert _mode(keys / "pii_key") == 0o600 and app.config["KEHU_PII_KEY"] == (keys / "pii_key").read_text().strip()
    assert not any("sits beside the database" in r.getMessage() for r in caplog.records)


def test_an_existing_database_file_is_made_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "kehu.sqlite").touch(mode=0o644)
    (instance / "kehu.sqlite").chmod(0o644)
    create_app({"SECRET_KEY": "x", "KEHU_PII_KEY": "y"}, instance_path=str(instance))
    assert _mode(instance / "kehu.sqlite") == 0o600


@pytest.mark.parametrize("target, shown", [
    ("/customers?q=13853701234&page=2", "/customers?q=…&page=…"),
    ("/customers?q=%E6%B5%8E%E5%AE%81", "/customers?q=…"),
    ("/customers", "/customers"),
    ("/x?", "/x?…"),
])
def test_access_log_lines_keep_the_path_and_drop_query_values(target, shown):
    assert redact_target(target) == shown
