"""The application factory: every domain's models, blueprints and events registered explicitly.

Plugins are loaded here, never at import time.
"""
import logging
import os
import secrets
from pathlib import Path

import click

from flask import Flask, has_request_context, request
from flask_login import current_user
from flask_smorest import Blueprint as SmorestBlueprint
from werkzeug.exceptions import HTTPException

import kehu.accounts.api
import kehu.accounts.events
import kehu.accounts.models
import kehu.accounts.views
import kehu.admin.api
import kehu.admin.views
import kehu.custom_fields.api
import kehu.custom_fields.models
import kehu.custom_fields.views
import kehu.customers.api
import kehu.customers.events
import kehu.customers.models
import kehu.customers.views
import kehu.dashboard.views
import kehu.exports.api
import kehu.exports.events
import kehu.exports.models
import kehu.exports.views
import kehu.imports.api
import kehu.imports.models
import kehu.imports.views
import kehu.interactions.api
import kehu.interactions.events
import kehu.interactions.models
import kehu.interactions.views
import kehu.platform.audit
import kehu.platform.outbox
import kehu.plugins.models
import kehu.tags.api
import kehu.tags.models
import kehu.webhooks.api
import kehu.webhooks.events
import kehu.webhooks.inbound
import kehu.webhooks.models
import kehu.webhooks.views
from kehu import accounts, admin, custom_fields, customers, dashboard, exports, imports, interactions, tags, webhooks
from kehu.config import LOCALES, load_config
from kehu.extensions import babel, csrf, db, limiter, login_manager, migrate
from kehu.platform.api import API_PREFIX, init_api
from kehu.platform.http import add_security_headers, wrap_wsgi
from kehu.platform.json_provider import KehuJSONProvider, check_api_body
from kehu.platform.problems import from_http_exception, internal_error, wants_problem
from kehu.platform.rate_limits import limit_searches
from kehu.platform.tasks import init_celery
from kehu.plugins.manager import PluginManager
from kehu.web import register_web

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

# Each domain's parts, in the order their routes and API tags appear.
API_BLUEPRINTS = (customers.api.blp, interactions.api.blp, tags.api.blp, admin.api.blp, accounts.api.blp,
                  custom_fields.api.blp, webhooks.api.blp, imports.api.blp, exports.api.blp)
PAGE_BLUEPRINTS = (accounts.views.pages, dashboard.views.pages, customers.views.pages, interactions.views.pages,
                   custom_fields.views.pages, admin.views.pages, webhooks.views.pages, imports.views.pages,
                   exports.views.pages)
# answered without a session: the signature authenticates them
SIGNED_BLUEPRINTS = (webhooks.inbound.inbound,)
DOMAIN_EVENTS = (accounts.events, customers.events, interactions.events, exports.events)


def _instance_secret(app, key: str, filename: str) -> Path | None:
    """Generate a secret once when none is configured (embedded mode): in ``<key>_FILE`` when that is
    set, else in the instance folder. Returns the file it came from, also kept as ``<key>_PATH`` (None:
    given directly); ``<key>_GENERATED`` says this start made it (a restore replaces such a key freely)."""
    app.config[f"{key}_PATH"], app.config[f"{key}_GENERATED"] = None, False
    if app.config.get(key):
        return None
    path = Path(app.config.get(f"{key}_FILE") or Path(app.instance_path) / filename)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        path.write_text(secrets.token_urlsafe(48))
        app.config[f"{key}_GENERATED"] = True
    app.config[key] = path.read_text().strip()
    app.config[f"{key}_PATH"] = path
    return path


def _create_private(path: Path) -> None:
    """``path`` exists and only its owner can read it (0600), whoever made it first."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database or broker URL (``sqlite:///…``, ``sqla+sqlite:///…``)."""
    for scheme in ("sqlite:///", "sqla+sqlite:///"):
        if url and url.startswith(scheme) and url[len(scheme):] not in ("", ":memory:"):
            return Path(url[len(scheme):].split("?", 1)[0])
    return None


def _private_files(app, pii_key_file: Path | None) -> None:
    """Database and broker files are 0600 (customers' data and queued work); and a warning when the
    PII key sits beside the database: one copy of the folder then holds the ciphertext and its key."""
    database = _sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    for path in (database, _sqlite_file(app.config["CELERY"].get("broker_url") or "")):
        if path is not None and path.parent.is_dir():
            _create_private(path)
    beside = pii_key_file is not None and database is not None and pii_key_file.resolve().parent == database.resolve().parent
    app.config["KEHU_PII_KEY_BESIDE_DATABASE"] = (pii_key_file, database) if beside else None
    if beside and click.get_current_context(silent=True) is None:  # a WSGI server; `kehu run`/`worker` warn themselves
        warn_key_layout(app)


def warn_key_layout(app) -> None:
    """The warning of a long-running start (web, worker) when the PII key sits beside the database; one-shot
    commands (db upgrade, demo, users) stay quiet, or `make run` would say it four times."""
    if app.config.get("KEHU_PII_KEY_BESIDE_DATABASE"):
        pii_key_file, database = app.config["KEHU_PII_KEY_BESIDE_DATABASE"]
        log.warning("the PII key %s sits beside the database %s: a copy or backup of that folder holds both the "
                    "encrypted phone numbers and secrets and the key to read them. Keep the key elsewhere "
                    "(KEHU_PII_KEY_FILE or KEHU_PII_KEY; docs/security.md).", pii_key_file, database)


def _select_locale():
    if not has_request_context():
        return None  # CLI and tasks: the default locale
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    chosen = request.cookies.get("kehu_locale")
    if chosen in LOCALES:
        return chosen
    best = request.accept_languages.best_match(["zh", "en"])
    return {"zh": "zh_Hans_CN", "en": "en"}.get(best)  # None: KEHU_LOCALE (BABEL_DEFAULT_LOCALE)


def create_app(config: dict | None = None, instance_path: str | None = None, plugin_classes=()) -> Flask:
    # Flask refuses a relative instance path; KEHU_INSTANCE_PATH=instance is a natural thing to type.
    instance_path = os.path.abspath(instance_path or os.environ.get("KEHU_INSTANCE_PATH") or "instance")
    app = Flask("kehu", instance_path=instance_path, static_folder=str(HERE / "web" / "static"),
                template_folder=str(HERE / "web" / "templates"))
    app.json = KehuJSONProvider(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    _instance_secret(app, "SECRET_KEY", "secret_key")
    _private_files(app, _instance_secret(app, "KEHU_PII_KEY", "pii_key"))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(HERE / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(HERE / "translations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    for events in DOMAIN_EVENTS:
        events.register()

    manager = PluginManager(state_ttl=app.config["PLUGIN_STATE_TTL"])
    app.extensions["kehu_plugins"] = manager
    manager.discover(extra_classes=plugin_classes)
    for plugin in manager.installed.values():
        plugin.bind_signals(app)

    webhooks.events.register(app)
    webhooks.inbound.check_unique_sources(manager)

    api = init_api(app)
    app.before_request(check_api_body)
    app.before_request(accounts.views.authenticate_api_request)
    app.before_request(accounts.views.require_password_change)
    for blp in API_BLUEPRINTS:
        register_api_blueprint(api, blp)
    _register_plugin_blueprints(app, api, manager)
    for pages in PAGE_BLUEPRINTS:
        app.register_blueprint(pages)
    for blueprint in SIGNED_BLUEPRINTS:  # in the OpenAPI at their own path, without a Bearer token
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    register_web(app)
    limit_searches(app, limiter)
    app.after_request(add_security_headers)
    wrap_wsgi(app)

    celery = init_celery(app, manager.task_modules())
    for entries in manager.hooks.hook.periodic_tasks():
        celery.conf.beat_schedule.update(entries or {})  # a disabled plugin's tasks skip themselves
    for commands in manager.hooks.hook.register_commands():
        for command in commands or []:
            app.cli.add_command(command)
    manager.hooks.hook.configure.call_historic(kwargs={"app": app})
    _register_error_handlers(app)
    return app


def register_api_blueprint(api, blp) -> None:
    """Mount a flask-smorest blueprint under /api/v1 (core domains and plugins alike), into the OpenAPI.

    CSRF is checked in ``kehu.accounts.views.authenticate_api_request``, for cookie sessions only.
    """
    csrf.exempt(blp)
    prefix = blp.url_prefix or ""
    api.register_blueprint(blp, url_prefix=prefix if prefix.startswith(API_PREFIX) else f"{API_PREFIX}{prefix}")


def _register_plugin_blueprints(app, api, manager):
    """Every installed plugin's blueprints (a disabled plugin's answer 404): smorest ones into the API."""
    for impl in manager.hooks.hook.register_blueprints.get_hookimpls():
        for blueprint in impl.function() or []:
            if isinstance(blueprint, SmorestBlueprint):
                register_api_blueprint(api, blueprint)
            else:
                app.register_blueprint(blueprint)
            manager.blueprint_owner[blueprint.name] = impl.plugin_name
    app.before_request(manager.guard_request)


def _register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        if wants_problem():
            return from_http_exception(error)
        return error

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_problem():
            return internal_error(error)
        return "服务器内部错误 / Internal Server Error", 500
