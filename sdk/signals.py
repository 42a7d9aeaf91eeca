"""Core signals (sent after commit, with the app as sender) and the factory for plugin-defined ones.

Connect from your plugin's ``__init__`` with ``self.connect(signal, receiver)``: the receiver then
runs only while the plugin is enabled, and only for this app. Define your own with
``plugin_signal("<plugin>_<past_tense_fact>", doc="Called when …")``.
"""
from blinker import NamedSignal as Signal

from kehu.plugins.signals import (customer_created, customer_deleted, customer_updated, customers_merged,
                                  interaction_logged, plugin_disabled, plugin_enabled, plugin_settings_changed,
                                  plugin_signal)

#: every core signal, by its Python name
CORE_SIGNALS = {
    "customer_created": customer_created,
    "customer_updated": customer_updated,
    "customer_deleted": customer_deleted,
    "customers_merged": customers_merged,
    "interaction_logged": interaction_logged,
    "plugin_enabled": plugin_enabled,
    "plugin_disabled": plugin_disabled,
    "plugin_settings_changed": plugin_settings_changed,
}

__all__ = ["CORE_SIGNALS", "Signal", "customer_created", "customer_deleted", "customer_updated",
           "customers_merged", "interaction_logged", "plugin_disabled", "plugin_enabled",
           "plugin_settings_changed", "plugin_signal"]
