"""Run-time plugin state for plugin code: settings and the enabled flag of any installed plugin."""
from flask import current_app


def _manager():
    return current_app.extensions["kehu_plugins"]


def settings_of(plugin_name: str) -> dict:
    """Current settings of ``plugin_name`` with its schema's defaults filled in (secrets in clear).

    Inside the plugin itself ``self.settings`` is the same. Raises ``PluginError`` for an unknown name.
    """
    return _manager().settings_of(plugin_name)


def is_enabled(plugin_name: str) -> bool:
    """True while ``plugin_name`` is enabled (state is re-read within ``KEHU_PLUGIN_STATE_TTL``)."""
    return _manager().is_enabled(plugin_name)


__all__ = ["is_enabled", "settings_of"]
