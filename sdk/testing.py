"""pytest plugin (entry point ``pytest11: kehu``): fixtures for testing kehu and its plugins.

Fixtures: ``kehu_app`` (migrated app on an isolated database, tasks eager),
``db_session``, ``make_user(role, team=None)``, ``api_client_as(user)`` (Bearer token),
``web_client_as(user)`` (logged-in browser session), ``enable_plugins(*names)``.
Set KEHU_TEST_DATABASE_URL to run the same tests on PostgreSQL: each test session makes
its own database there and drops it at the end.
"""
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kehu.app import create_app
from kehu.auth import tokens
from kehu.extensions import db
from kehu.plugins import migrations as plugin_migrations
from kehu.setup_data import create_user, ensure_default_roles, ensure_team

TEST_PASSWORD = "correct-horse-battery"


def _server_database(url: str):
    """Create a throw-away database on the server behind ``url``; returns (url, drop)."""
    base = make_url(url)
    name = f"kehu_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def kehu_database_url(tmp_path_factory):
    server = os.environ.get("KEHU_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kehu.sqlite'}"
        return
    url, drop = _server_database(server)
    yield url
    drop()


@pytest.fixture(scope="session")
def kehu_plugin_classes():
    """Override to register plugin classes that are not installed as entry points."""
    return ()


@pytest.fixture(scope="session")
def kehu_app(kehu_database_url, kehu_plugin_classes, tmp_path_factory):
    from flask_migrate import upgrade
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": kehu_database_url,
        "SECRET_KEY": "test-secret",
        "KEHU_PII_KEY": "test-pii-key",
        "RATELIMIT_ENABLED": False,
        "KEHU_PASSWORD_PROFILE": "CHEAPEST",
        "PLUGIN_STATE_TTL": 0.0,
        "CELERY": {"task_always_eager": True, "task_eager_propagates": True,
                   "broker_url": "memory://", "result_backend": None},
    }, instance_path=str(tmp_path_factory.mktemp("instance")), plugin_classes=kehu_plugin_classes)
    with app.app_context():
        upgrade()
        for plugin in app.extensions["kehu_plugins"].installed.values():
            plugin_migrations.upgrade(plugin)
        ensure_default_roles()
    yield app
    with app.app_context():
        db.engine.dispose()


def _truncate_all():
    keep = {"role"}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def app(kehu_app):
    """The test app inside an app context; every table is emptied after the test."""
    with kehu_app.app_context():
        kehu_app.extensions["kehu_plugins"].state.refresh(force=True)
        yield kehu_app
        db.session.remove()
        _truncate_all()
        ensure_default_roles()
        kehu_app.extensions["kehu_plugins"].state.refresh(force=True)


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(role="sales", team=None, username=None):
        team_obj = ensure_team(team) if team else None
        return create_user(username or f"{role}{next(counter)}", TEST_PASSWORD, role, team=team_obj)

    return make


@pytest.fixture
def api_client_as(app):
    """``api_client_as(user)`` -> a test client sending that user's Bearer token."""

    def client_for(user):
        _, plain = tokens.issue(user, "test")
        db.session.commit()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
        return client

    return client_for


@pytest.fixture
def web_client_as(app):
    """``web_client_as(user)`` -> a test client with a logged-in browser session."""

    def client_for(user):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return client

    return client_for


@pytest.fixture
def enable_plugins(app):
    """``enable_plugins("name", ...)`` enables installed plugins for this test."""
    manager = app.extensions["kehu_plugins"]

    def enable(*names):
        for name in names:
            manager.enable(name)

    return enable
