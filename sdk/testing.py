"""pytest plugin (entry point ``pytest11: kehu``): fixtures for testing kehu and its plugins.

Fixtures (all documented in docs/plugins.md): ``kehu_app`` (session: migrated app on an isolated
database, every installed plugin's migrations applied, Celery tasks eager), ``app`` (per test: app
context, chosen plugins enabled, tables emptied afterwards), ``kehu_enabled_plugins`` (what ``app``
enables: the ``@pytest.mark.kehu_plugins("name", ...)`` arguments, or override the fixture),
``make_user(role, team=None)``, ``api_client_as(user)`` (Bearer token), ``web_client_as(user)``
(browser session), ``client_as_role(role, team=None, api=False)`` (client for a fresh user of that
role, who is ``client.user``), ``enable_plugins(*names)``, ``disable_plugins(*names)``,
``save_plugin_settings(name, settings)``, ``call_hook(name, **kwargs)``, ``kehu_plugin_classes``
(session: extra plugin classes that are not installed), and the factories ``make_customer``,
``make_contact``, ``make_interaction``, ``make_tag``. Every test-client request starts with an
empty ``g`` (no loaded user, no cached locale), so nothing of one request leaks into the next.
Set KEHU_TEST_DATABASE_URL to run the same tests on PostgreSQL: each test session makes
its own database there and drops it at the end.
"""
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from flask import g, request_started, request_tearing_down
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kehu.accounts import sessions, tokens
from kehu.accounts.service import create_user, ensure_default_roles, ensure_team
from kehu.app import create_app
from kehu.customers.service import add_contact, create_customer
from kehu.extensions import db
from kehu.interactions.service import log_interaction
from kehu.plugins import migrations as plugin_migrations
from kehu.tags.service import create_tag

TEST_PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    config.addinivalue_line("markers", "kehu_plugins(*names): enable these installed plugins (and the "
                                       "plugins they require) for the test; see kehu_enabled_plugins")


def throwaway_database(url: str, prefix: str = "kehu_test"):
    """Create a throw-away database on the server behind ``url``; returns (url, drop).

    Used by the fixtures below and by the benchmarks in bench/.
    """
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


REDIS_SERVER = os.environ.get("KEHU_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_LOCK_KEY = "kehu-integration-test-lock"


@contextlib.contextmanager
def empty_redis_database(numbers, server: str = REDIS_SERVER):
    """Claim the first empty Redis database among ``numbers``; yields ``(url, client)``, flushes it after.

    Skips the test when the redis client or server is missing. A database holding anything is never
    touched: it may be another test run's, or someone's data.
    """
    try:
        import redis
    except ImportError as exc:
        pytest.skip(f"the redis client is not installed (pip install -e '.[test]'): {exc}")
    try:
        redis.Redis.from_url(server, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {server}: {exc}")
    token = uuid.uuid4().hex
    for number in numbers:
        client = redis.Redis.from_url(f"{server}/{number}", socket_connect_timeout=2, socket_timeout=5)
        if client.dbsize() == 0 and client.set(REDIS_LOCK_KEY, token, nx=True, ex=900):
            break
        client.close()
    else:
        pytest.fail(f"no empty Redis database among {tuple(numbers)} at {server}")
    try:
        yield f"{server}/{number}", client
    finally:
        if client.get(REDIS_LOCK_KEY) == token.encode():
            client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def kehu_database_url(tmp_path_factory):
    server = os.environ.get("KEHU_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kehu.sqlite'}"
        return
    url, drop = throwaway_database(server)
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
    """Empty every table, roles too: a role a test created or changed must not reach the next test
    (the fixture then recreates the default roles with their default permissions)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def kehu_enabled_plugins(request):
    """Names of the plugins ``app`` enables: the ``kehu_plugins`` markers' arguments by default.

    Override it in a conftest (``return ["delivery"]``) to enable a plugin for every test there.
    """
    return [name for marker in request.node.iter_markers("kehu_plugins") for name in marker.args]


def _with_requirements(manager, names):
    """``names`` plus every plugin they require, in hook (dependency) order."""
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(manager.get(name).requires)
    return [name for name in manager.installed if name in wanted]


class _FreshRequestGlobals:
    """Each test-client request starts with an empty ``g``, as in a real server; the test's own
    ``g`` is put back when the request ends.

    The test holds one app context for its whole run and Flask reuses it for every request, so
    without this ``g`` — where flask-login keeps the current user and Flask-Babel the locale —
    would carry one request's login (or the test's locale) into the next request.
    """

    def __init__(self, app):
        self.app = app
        self.test_globals = g._get_current_object()
        self.saved = []

    def started(self, sender, **extra):
        if g._get_current_object() is self.test_globals:  # not a request with its own context
            self.saved.append(dict(vars(g)))
            vars(g).clear()

    def tearing_down(self, sender, **extra):
        if g._get_current_object() is self.test_globals and self.saved:
            vars(g).clear()
            vars(g).update(self.saved.pop())

    def __enter__(self):
        request_started.connect(self.started, self.app)
        request_tearing_down.connect(self.tearing_down, self.app)
        return self

    def __exit__(self, *exc):
        request_started.disconnect(self.started, self.app)
        request_tearing_down.disconnect(self.tearing_down, self.app)


@pytest.fixture
def app(kehu_app, kehu_enabled_plugins):
    """The test app inside an app context; every table is emptied after the test."""
    manager = kehu_app.extensions["kehu_plugins"]
    with kehu_app.app_context(), _FreshRequestGlobals(kehu_app):
        manager.state.refresh(force=True)
        for name in _with_requirements(manager, kehu_enabled_plugins):
            manager.enable(name)
        yield kehu_app
        db.session.remove()
        _truncate_all()
        ensure_default_roles()
        manager.state.refresh(force=True)


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
        with app.test_request_context():
            key = sessions.start(user, remember=False)  # a real server-side session, as signing in makes
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = key
            session["_fresh"] = True
        return client

    return client_for


@pytest.fixture
def client_as_role(make_user, web_client_as, api_client_as):
    """``client_as_role("sales", team=None, api=False)`` -> a client for a fresh user of that role.

    A browser session by default (unsafe API calls then need the CSRF token, as in a browser);
    ``api=True`` sends a Bearer token instead. The user is ``client.user``.
    """

    def client_for(role, team=None, api=False):
        user = make_user(role, team=team)
        client = (api_client_as if api else web_client_as)(user)
        client.user = user
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


@pytest.fixture
def disable_plugins(app):
    """``disable_plugins("name", ...)`` disables plugins; their routes answer 404 from then on."""
    manager = app.extensions["kehu_plugins"]

    def disable(*names):
        for name in names:
            manager.disable(name)

    return disable


@pytest.fixture
def save_plugin_settings(app):
    """``save_plugin_settings("name", {...})`` validates and stores settings as the admin form does.

    Returns them with defaults; raises ``kehu_sdk.SettingsInvalid`` when the schema refuses them.
    """
    return app.extensions["kehu_plugins"].save_settings


@pytest.fixture
def call_hook(app):
    """``call_hook("customer_panels", customer=c, user=u)`` -> what core gets: a list with one
    result per enabled plugin implementing the hook, in hook order (a single value for firstresult hooks)."""

    def call(name, **kwargs):
        return app.extensions["kehu_plugins"].hook(name)(**kwargs)

    return call


# factories (CKAN's tests/factories.py is the model): rows made through the same service functions
# as the API, so they are validated, audited and announced like real ones ---------------------------
@pytest.fixture
def make_customer(app, make_user):
    """``make_customer(owner=None, **fields)`` -> a saved customer with a unique name and mobile number.

    ``owner`` defaults to one admin made for the test; pass ``phone=None`` for a customer without one.
    """
    counter = iter(range(1, 10_000))
    default_owner = []

    def make(owner=None, **fields):
        if owner is None:
            if not default_owner:
                default_owner.append(make_user("admin", username="factory_owner"))
            owner = default_owner[0]
        number = next(counter)
        fields.setdefault("name", f"测试客户{number:04d}")
        fields.setdefault("phone", f"1390537{number:04d}")
        return create_customer(fields, owner)

    return make


@pytest.fixture
def make_contact(app):
    """``make_contact(customer, **fields)`` -> a saved contact of ``customer``."""
    counter = iter(range(1, 10_000))

    def make(customer, **fields):
        number = next(counter)
        fields.setdefault("name", f"联系人{number:04d}")
        return add_contact(customer, fields)

    return make


@pytest.fixture
def make_interaction(app):
    """``make_interaction(customer, user=None, kind="call", **fields)`` -> a saved timeline entry.

    Done by default (``occurred_at`` now); ``status="planned", due_at=...`` makes a follow-up.
    """

    def make(customer, user=None, kind="call", **fields):
        interaction = log_interaction(customer.id, kind, user_id=user.id if user else None, **fields)
        db.session.commit()
        return interaction

    return make


@pytest.fixture
def make_tag(app):
    """``make_tag(name=None, color=None)`` -> a saved tag."""
    counter = iter(range(1, 10_000))

    def make(name=None, color=None):
        return create_tag({"name": name or f"标签{next(counter)}", "color": color})

    return make


# real worker processes (the tests that kill a worker mid-task) ---------------------------------------
def wait_for(predicate, timeout, what, diagnostics=lambda: ""):
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{diagnostics()}")
        time.sleep(0.2)


class KehuWorker:
    """A `kehu worker` (with its beat) in its own session, configured by ``env``, its output in ``log_path``."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker"], env=env,
                                      cwd=env["KEHU_INSTANCE_PATH"], stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, sig=signal.SIGKILL):
        """``sig`` to the whole process group (the worker and its pool and beat), then wait for it."""
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=20)
        self._log.close()

    def tail(self, lines=40):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
