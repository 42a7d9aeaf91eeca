"""kehu_sdk: the one stable import path for plugin authors (kehu's plugins import nothing else of kehu).

The top level holds what nearly every plugin uses; topic modules hold the rest (``kehu_sdk.customers``,
``.interactions``, ``.signals``, ``.tasks``, ``.web``, ``.webhooks``, ``.db``, ``.migrations`` …),
``kehu_sdk.testing`` is the pytest plugin and ``kehu_sdk.client`` the REST API client; docs/plugins.md
lists them all. Names are deprecated (a ``KehuDeprecationWarning`` naming the replacement) for at
least one minor release before they are removed.
"""
import importlib

from kehu.platform.outbox import enqueue as enqueue_outbox, outbox_consumer
from kehu.platform.tasks import plugin_task as task
from kehu.plugins.base import Plugin
from kehu.plugins.hookspecs import hookimpl
from kehu.plugins.model_base import PluginModel
from kehu_sdk import signals
from kehu_sdk.blueprints import PluginApi, PluginBlueprint
from kehu_sdk.db import db
from kehu_sdk.errors import PluginError, SettingsInvalid, ValidationError
from kehu_sdk.plugins import is_enabled, settings_of
from kehu_sdk.schemas import PluginSchema
from kehu_sdk.versions import (API_VERSION, CORE_VERSION, CoreVersionError, KehuDeprecationWarning, core_satisfies,
                               deprecated, require_core, warn_deprecated)
from kehu_sdk.webhooks import WebhookReceiver

# Old name -> (module, new name). A moved name keeps working, with a warning, until its removal.
_MOVED: dict[str, tuple[str, str]] = {}


def __getattr__(name):
    if name in _MOVED:
        module, new_name = _MOVED[name]
        warn_deprecated(f"kehu_sdk.{name}", f"{module}.{new_name}")
        return getattr(importlib.import_module(module), new_name)
    raise AttributeError(f"module 'kehu_sdk' has no attribute {name!r}")


__all__ = [
    "API_VERSION", "CORE_VERSION", "CoreVersionError", "KehuDeprecationWarning", "Plugin", "PluginApi", "PluginBlueprint", "PluginSchema",
    "PluginError", "PluginModel", "SettingsInvalid", "ValidationError", "WebhookReceiver", "core_satisfies",
    "db", "deprecated", "enqueue_outbox", "hookimpl", "is_enabled", "outbox_consumer", "require_core",
    "settings_of", "signals", "task", "warn_deprecated",
]
