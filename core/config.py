"""Configuration from environment variables named ``KEHU_*``.

Defaults give the embedded mode: a SQLite file in the instance folder and Celery on
the ``sqla+sqlite`` broker in the same folder, so nothing but Python is needed.
"""
import json
import os
from datetime import timedelta
from pathlib import Path

from kehu.platform.time import CHINA_TZ_NAME

LOCALES = ("zh_Hans_CN", "en")  # Chinese first; the source language of every UI string


def _env(name, default=None):
    return os.environ.get(f"KEHU_{name}", default)


WEBHOOK_DEFAULTS = {
    # seconds between failed delivery attempts; one more attempt than entries, then "dead"
    "WEBHOOK_RETRY_SCHEDULE": [5, 300, 1800, 7200, 18000, 36000],
    "WEBHOOK_INBOUND_RETRY_SCHEDULE": [10, 60, 300, 1800, 7200],
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "WEBHOOK_MAX_BODY_BYTES": 1024 * 1024,
    # a "received" event still unprocessed after this long is sent to its task again
    "WEBHOOK_INBOUND_REDISPATCH_SECONDS": 300,
}


def _json_env(name, default):
    value = _env(name)
    return default if value is None else json.loads(value)


def _bool(value):
    return str(value).lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config dict: defaults, then ``KEHU_*`` env vars, then overrides."""
    instance = Path(instance_path)
    database_url = _env("DATABASE_URL", f"sqlite:///{instance / 'kehu.sqlite'}")
    broker_url = _env("BROKER_URL", f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}")
    config = {
        "SECRET_KEY": _env("SECRET_KEY"),
        # A separate key for PII so that rotating the session key does not lose phone numbers.
        "KEHU_PII_KEY": _env("PII_KEY"),
        # or the file that holds it (made on first start when missing): outside the data folder in production
        "KEHU_PII_KEY_FILE": _env("PII_KEY_FILE"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CELERY": {
            "broker_url": broker_url,
            "result_backend": _env("RESULT_BACKEND", None),
            "task_always_eager": _bool(_env("TASKS_EAGER", "0")),
            "task_eager_propagates": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": CHINA_TZ_NAME,
        },
        "BABEL_DEFAULT_LOCALE": _env("LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": CHINA_TZ_NAME,
        "PLUGIN_STATE_TTL": float(_env("PLUGIN_STATE_TTL", "1.0")),
        # an import whose worker died is sent again when its progress stopped this long; checked this often
        "KEHU_IMPORT_STALL_SECONDS": float(_env("IMPORT_STALL_SECONDS", "120")),
        "KEHU_IMPORT_SWEEP_SECONDS": float(_env("IMPORT_SWEEP_SECONDS", "30")),
        "KEHU_IMPORT_KEEP_DAYS": float(_env("IMPORT_KEEP_DAYS", "30")),  # uploaded files, then deleted
        "API_TITLE": "kehu API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        # no badge from validator.swagger.io: intranet installs must not call out
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(_env("RATELIMIT_ENABLED", "1")),
        "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on a 429
        # per user, over the customer and interaction searches and lists together (kehu.platform.rate_limits)
        "KEHU_SEARCH_RATE_LIMIT": _env("SEARCH_RATE_LIMIT", "120 per minute;3000 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(_env("REMEMBER_DAYS", "30"))),
        # a session without remember-me ends after this long without a request
        "KEHU_SESSION_IDLE_HOURS": float(_env("SESSION_IDLE_HOURS", "12")),
        # "auto": cookies are Secure when the request came over HTTPS (behind a proxy: KEHU_TRUSTED_PROXIES);
        # "always" / "never" force it
        "KEHU_SECURE_COOKIES": _env("SECURE_COOKIES", "auto"),
        # how many reverse proxies (nginx) stand in front: their X-Forwarded-For/-Proto/-Host are trusted
        "KEHU_TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        # backups (kehu.backups): the daily one runs only when the folder and the key file are both set
        "KEHU_BACKUP_DIR": _env("BACKUP_DIR"),
        "KEHU_BACKUP_KEY_FILE": _env("BACKUP_KEY_FILE"),
        "KEHU_BACKUP_KEEP": int(_env("BACKUP_KEEP", "7")),
        "KEHU_BACKUP_AT": _env("BACKUP_AT", "03:00"),  # China time, HH:MM
        "KEHU_SITE_NAME": _env("SITE_NAME"),  # names backup files; the host name when unset
        "KEHU_PG_BIN_DIR": _env("PG_BIN_DIR"),  # where pg_dump/pg_restore are, when not found by themselves
        # export files (customers' data): outside the web root, 0700; in scale mode a folder that the web
        # processes and the workers share
        "KEHU_EXPORT_DIR": _env("EXPORT_DIR", str(instance / "exports")),
        "KEHU_EXPORT_TTL_HOURS": float(_env("EXPORT_TTL_HOURS", "24")),  # a file is deleted this long after it was made
        # exports of up to this many customers are made in the request; larger ones by the worker
        "KEHU_EXPORT_INLINE_ROWS": int(_env("EXPORT_INLINE_ROWS", "5000")),
    }
    config.update({name: _json_env(name, default) for name, default in WEBHOOK_DEFAULTS.items()})
    config.update(overrides or {})
    # Who subscribes to webhooks is run-time state like plugin state, cached as long (seconds; 0 in tests).
    config.setdefault("WEBHOOK_SUBSCRIPTION_TTL", config["PLUGIN_STATE_TTL"])
    return config
