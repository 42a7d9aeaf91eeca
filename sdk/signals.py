"""Core signals (sent after commit) and a factory for plugin-defined ones."""
from kehu.signals import (customer_created, customer_deleted, customer_updated, customers_merged,
                          interaction_logged, plugin_disabled, plugin_enabled, plugin_settings_changed,
                          plugin_signal)

__all__ = ["customer_created", "customer_deleted", "customer_updated", "customers_merged",
           "interaction_logged", "plugin_disabled", "plugin_enabled", "plugin_settings_changed",
           "plugin_signal"]
