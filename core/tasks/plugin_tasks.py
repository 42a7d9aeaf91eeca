"""The task decorator for plugin code (``kehu_sdk.task``)."""
import functools
import logging

from celery import shared_task
from flask import current_app

log = logging.getLogger(__name__)


def plugin_task(name: str, **options):
    """Declare a Celery task ``kehu.<plugin>.<fn>`` that does nothing while its plugin is disabled.

    Tasks take JSON arguments (ids, not ORM objects) and must be idempotent: with ``acks_late``
    a task interrupted by a dying worker runs again.
    """
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "kehu":
        raise ValueError(f"plugin task names are kehu.<plugin>.<function>, not {name!r}")
    plugin_name = parts[1]

    def decorator(fn):
        @shared_task(name=name, **options)
        @functools.wraps(fn)
        def run(*args, **kwargs):
            if not current_app.extensions["kehu_plugins"].is_enabled(plugin_name):
                log.info("skipping %s: plugin %s is disabled", name, plugin_name)
                return None
            return fn(*args, **kwargs)

        return run

    return decorator
