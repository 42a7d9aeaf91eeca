"""Run-time plugin state for plugin code: settings and the enabled flag of any installed plugin."""
from flask import current_app

from kehu.platform.secrets import SECRET_MASK, is_secret, keep_masked, mask_secrets


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


def masked_settings_of(plugin_name: str) -> dict:
    """``settings_of`` as people may see it: every set secret (``format: password`` or ``writeOnly``)
    shows as ``SECRET_MASK``. The same rule as the admin pages and ``GET /api/v1/plugins``."""
    manager = _manager()
    return mask_secrets(manager.get(plugin_name).settings_schema, manager.settings_of(plugin_name))


__all__ = ["SECRET_MASK", "is_enabled", "is_secret", "keep_masked", "mask_secrets", "masked_settings_of",
           "settings_of"]
