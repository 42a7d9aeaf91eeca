"""Signed inbound webhooks for plugin code (Standard Webhooks: webhook-id/-timestamp/-signature)."""
from dataclasses import dataclass
from typing import Callable

from kehu.webhooks.events import publish_event  # emit a plugin's own event_types() to subscribed endpoints


@dataclass(frozen=True)
class WebhookReceiver:
    """What a plugin returns from its ``webhook_receivers()`` hook, one per source.

    ``source`` is the URL segment of ``/webhooks/<source>``. ``secrets`` returns the signing secrets
    currently accepted (several while a key is rotated). ``handle`` runs later in a Celery task with
    ``{"webhook_id", "type", "payload", "received_at"}``; it must be idempotent.
    """

    source: str
    secrets: Callable[[], list[str]]
    handle: Callable[[dict], None]


__all__ = ["WebhookReceiver", "publish_event"]
