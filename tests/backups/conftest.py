"""Backups are tested on the test database of the run (SQLite, or PostgreSQL with KEHU_TEST_DATABASE_URL):
filled with rows in every table of every plugin, backed up, restored into an empty database of the same
kind, and read by a fresh app that knows only the restored files."""
import os
from collections import namedtuple
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.pool import NullPool

from kehu.app import create_app
from kehu.customers.phones import normalize
from kehu.extensions import db
from kehu_sdk.testing import throwaway_database

PASSPHRASE = "蜂蜜 honey 济宁 2026 backup"
PASSPHRASE_VAR = "KEHU_TEST_BACKUP_PASSPHRASE"
PLUGINS = ("erp", "sms", "sample")  # the installed plugins with tables (test files enable them)
Passphrase = namedtuple("Passphrase", "text options")
PHONE = "13905371234"
CONTACT_PHONE = "05377212345"
PLUGIN_SECRET = "sample-api-key-for-backups-0537"


def _table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
    finally:
        engine.dispose()


@pytest.fixture
def count_rows():
    """``count_rows(url)`` -> rows per table, by SQLAlchemy's inspector (not by the code under test)."""
    return _table_counts


@pytest.fixture
def passphrase(monkeypatch):
    """The passphrase (``.text``) in an environment variable, and the options that name it (``.options``)."""
    monkeypatch.setenv(PASSPHRASE_VAR, PASSPHRASE)
    return Passphrase(PASSPHRASE, ["--passphrase-env", PASSPHRASE_VAR])


@pytest.fixture
def backup_cli():
    """``backup_cli(app, "create", ...)`` -> the result of ``kehu backup create ...`` in that app."""
    from kehu.cli import cli

    def run(app, *args, **kwargs):
        with app.app_context():  # the command runs in the app at hand; inside a test that is the test app
            return app.test_cli_runner().invoke(cli, ["backup", *args], **kwargs)

    return run


@pytest.fixture
def empty_database_url(kehu_database_url, tmp_path):
    """A new, empty database of the kind the run tests (a PostgreSQL one is dropped afterwards)."""
    server = os.environ.get("KEHU_TEST_DATABASE_URL")
    if not server:
        (tmp_path / "empty-database").mkdir()
        yield f"sqlite:///{tmp_path / 'empty-database' / 'kehu.sqlite'}"
        return
    url, drop = throwaway_database(server, prefix="kehu_restore")
    yield url
    drop()


@pytest.fixture
def fresh_app(kehu_app, tmp_path):
    """``fresh_app(database_url, **config)`` -> an app like a new server's: its own instance folder and a PII
    key file there (generated at its start), nothing shared with the test app but the settings of tests."""
    made = []

    def make(database_url, name="fresh", **config):
        instance = tmp_path / name
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": f"{name}-secret",
            "KEHU_PII_KEY": None, "KEHU_PII_KEY_FILE": str(instance / "keys" / "pii_key"),
            "KEHU_PASSWORD_PROFILE": "CHEAPEST", "PLUGIN_STATE_TTL": 0.0, "RATELIMIT_ENABLED": False,
            "CELERY": {"task_always_eager": True, "task_eager_propagates": True, "broker_url": "memory://",
                       "result_backend": None},
            **config}, instance_path=str(instance))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()
    kehu_app.extensions["celery"].set_default()  # create_app made each new app's Celery the default


def _plugin_rows(customer_id: int) -> dict[str, dict]:
    """A row for every table of the plugins (inserted as SQL: their services need providers)."""
    return {
        "erp_connection": {"adapter": "kingdee", "cursors": {"customer": "2026-12-01T00:00:00Z"}},
        "erp_customer_link": {"adapter": "kingdee", "external_id": "C-0537", "customer_id": customer_id,
                              "tax_id": "91370800MA3C0537X1"},
        "erp_sales_order": {"adapter": "kingdee", "external_id": "SO-1", "number": "SO-1", "amount": Decimal("1280.50"),
                            "state": "confirmed", "customer_id": customer_id, "order_date": date(2026, 11, 30)},
        "erp_invoice": {"adapter": "kingdee", "external_id": "INV-1", "number": "INV-1", "amount": Decimal("1280.50"),
                        "customer_id": customer_id, "invoice_date": date(2026, 12, 1), "amount_due": Decimal("80.50")},
        "erp_payment": {"adapter": "kingdee", "external_id": "PAY-1", "amount": Decimal("1200"),
                        "customer_id": customer_id, "payment_date": date(2026, 12, 1)},
        "erp_sync_run": {"adapter": "kingdee", "trigger": "manual", "entities": ["customer"], "status": "done",
                         "counts": {"customer": 1}, "errors": []},
        "sms_template": {"name": "到货通知", "kind": "notification", "body": "您好，{content}"},
        "sms_campaign": {"name": "十二月回访", "status": "done", "target": {}, "created_by_id": 1, "total": 1},
        "sms_message": {"customer_id": customer_id, "status": "delivered", "phone_last4": "1234",
                        "content": "您好，蜂蜜到了"},
        "sms_suppression": {"phone_index": "f" * 64, "phone_last4": "9999", "reason": "reply"},
        "sms_inbound": {"provider": "aliyun", "external_id": "up-1", "phone_index": "e" * 64, "content": "TD",
                        "opt_out": True},
        "sms_rate_slot": {"provider": "aliyun", "next_free_at": 1764547200.0},
        "sample_note": {"customer_id": customer_id, "text": "带着样品去拜访"},
    }


@pytest.fixture
def filled_database(app, make_customer, make_contact, make_interaction, make_tag, save_plugin_settings, make_user):
    """The test database with rows in every plugin's tables and core's main ones; returns what to look for."""
    tag = make_tag("老客户")
    customer = make_customer(name="王建国", phone=PHONE, tags=[tag.name])
    make_contact(customer, name="李秀英", phone=CONTACT_PHONE)
    make_interaction(customer, kind="visit", subject="送样品")
    make_customer(name="济宁蜂业有限公司", kind="company", phone=None)
    save_plugin_settings("sample", {"greeting": "您好", "api_key": PLUGIN_SECRET})
    rows = _plugin_rows(customer.id)
    parents = {"sms_campaign": ("template_id", "sms_template"), "sms_message": ("campaign_id", "sms_campaign")}
    made = {}
    for name, row in rows.items():  # in the order of their foreign keys; ids from the sequences
        if name in parents:
            column, parent = parents[name]
            row = {**row, column: made[parent]}
        made[name] = db.session.execute(insert(db.metadata.tables[name]).values(row)).inserted_primary_key[0]
    db.session.commit()
    plugin_tables = [t.name for t in db.metadata.sorted_tables if t.name.split("_")[0] in PLUGINS]
    assert sorted(plugin_tables) == sorted(rows), "a plugin table has no rows in this test: add some above"
    return {"customer_id": customer.id, "phone": normalize(PHONE), "contact_phone": normalize(CONTACT_PHONE),
            "plugin_secret": PLUGIN_SECRET}
