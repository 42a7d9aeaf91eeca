"""kehu_sdk: the one stable import path for plugin authors.

Everything a plugin needs is re-exported here; names are deprecated before removal.
"""
from kehu import __version__ as CORE_VERSION
from kehu.hookspecs import hookimpl
from kehu.outbox import enqueue as enqueue_outbox
from kehu.plugins.base import Plugin
from kehu.plugins.model_base import PluginModel
from kehu.tasks.outbox_relay import outbox_consumer
from kehu.tasks.plugin_tasks import plugin_task as task

API_VERSION = "v1"

__all__ = ["API_VERSION", "CORE_VERSION", "Plugin", "PluginModel", "enqueue_outbox", "hookimpl",
           "outbox_consumer", "task"]
