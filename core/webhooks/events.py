"""Domain events for outbound webhooks: which exist, who subscribes, and writing them to the outbox.

``publish_event`` runs inside the transaction making the change (change_tracking calls it during
flush), so an event is sent exactly when its change commits. It writes nothing while no enabled
endpoint subscribes to the type; that check reads a per-app cache, so ordinary writes pay nothing
for webhooks nobody uses.
"""
import threading
import time
import uuid
from datetime import datetime, timezone

from flask import current_app, has_app_context
from sqlalchemy import event, insert, inspect, select

from kehu.platform import events as domain_events
from kehu.platform.outbox import OutboxMessage, kick_relay
from kehu.platform.session import KehuSession, after_commit
from kehu.plugins.models import PluginState
from kehu.webhooks.models import WebhookEndpoint

FAN_OUT_TASK = "kehu.webhooks.fan_out"

def known_event_types() -> dict:
    """Event types of core and the enabled plugins (hook ``event_types``): {type: description}."""
    types = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("event_types")():
        types.update(contributed or {})
    return types


class SubscriptionCache:
    """The event types some enabled endpoint subscribes to, re-read at most every ``ttl`` seconds
    and at once after this process changed an endpoint."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._types: frozenset[str] | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self):
        with self._lock:
            self._types = None

    def types(self, connection) -> frozenset[str]:
        with self._lock:
            if self._types is not None and time.monotonic() - self._read_at < self.ttl:
                return self._types
        rows = connection.execute(select(WebhookEndpoint.event_types).where(WebhookEndpoint.enabled)).scalars()
        types = frozenset(t for listed in rows for t in (listed or []))
        with self._lock:
            self._types, self._read_at = types, time.monotonic()
        return types


def _cache() -> SubscriptionCache | None:
    if not has_app_context():
        return None
    return current_app.extensions.get("kehu_webhook_subscriptions")


def publish_event(session, event_type: str, data: dict) -> str | None:
    """Queue ``{"type", "timestamp", "data"}`` for the endpoints subscribing to ``event_type``,
    in the session's transaction. Returns the event id (the webhook-id), or None when nobody
    subscribes. ``data`` must be JSON."""
    cache = _cache()
    if cache is None:
        return None
    connection = session.connection()
    if event_type not in cache.types(connection):
        return None
    now = datetime.now(timezone.utc)
    event_id = str(uuid.uuid4())
    message = {"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    connection.execute(insert(OutboxMessage.__table__), [{
        "id": event_id, "task": FAN_OUT_TASK, "payload": message, "created_at": now, "attempts": 0}])
    after_commit(session, kick_relay)
    return event_id


@event.listens_for(KehuSession, "after_flush")
def _watch_endpoints_and_plugins(session, flush_context):
    """Endpoint changes refresh this process's cache; plugin switches become events."""
    cache = _cache()
    if cache is None:
        return
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, WebhookEndpoint) for obj in changed):
        cache.invalidate()
    for obj in changed:
        if isinstance(obj, PluginState):
            history = inspect(obj).attrs.enabled.history
            if history.has_changes() and bool(history.deleted and history.deleted[0]) != bool(obj.enabled):
                publish_event(session, "plugin.enabled" if obj.enabled else "plugin.disabled", {"plugin": obj.name})


def register(app) -> None:
    """Per app: the subscription cache; once: deliver every published domain event to subscribers."""
    app.extensions["kehu_webhook_subscriptions"] = SubscriptionCache(app.config["WEBHOOK_SUBSCRIPTION_TTL"])
    domain_events.subscribe(publish_event)
