"""Signed webhooks (Standard Webhooks): inbound at /webhooks/<source>, outbound to subscribed endpoints.

See docs/webhooks.md. ``init_webhooks(app)`` is called by the app factory.
"""
import json
import os

WEBHOOK_DEFAULTS = {
    # seconds between failed delivery attempts; one more attempt than entries, then "dead"
    "WEBHOOK_RETRY_SCHEDULE": [5, 300, 1800, 7200, 18000, 36000],
    "WEBHOOK_INBOUND_RETRY_SCHEDULE": [10, 60, 300, 1800, 7200],
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "WEBHOOK_MAX_BODY_BYTES": 1024 * 1024,
    # a "received" event still unprocessed after this long is sent to its task again
    "WEBHOOK_INBOUND_REDISPATCH_SECONDS": 300,
}


def _from_env(name, default):
    value = os.environ.get(f"KEHU_{name}")
    return default if value is None else json.loads(value)


def init_webhooks(app) -> None:
    from kehu.extensions import csrf
    from kehu.webhooks import events  # noqa: F401  registers the flush listener
    from kehu.webhooks.api import blp
    from kehu.webhooks.inbound import check_unique_sources, inbound
    from kehu.webhooks.views import pages

    for name, default in WEBHOOK_DEFAULTS.items():
        app.config.setdefault(name, _from_env(name, default))
    # Who subscribes is run-time state like plugin state, cached as long (seconds; 0 in tests).
    app.config.setdefault("WEBHOOK_SUBSCRIPTION_TTL", app.config["PLUGIN_STATE_TTL"])
    app.extensions["kehu_webhook_subscriptions"] = events.SubscriptionCache(app.config["WEBHOOK_SUBSCRIPTION_TTL"])
    check_unique_sources(app.extensions["kehu_plugins"])
    csrf.exempt(inbound)  # the signature authenticates these requests; there is no session
    app.register_blueprint(inbound)
    csrf.exempt(blp)  # checked in authenticate_api_request, for cookie sessions only
    app.extensions["kehu_api"].register_blueprint(blp, url_prefix="/api/v1/webhooks")
    app.register_blueprint(pages)
