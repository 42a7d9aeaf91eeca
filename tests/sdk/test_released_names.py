"""kehu_sdk's public names of the last release all still import, from the module they were in.

A name that moves keeps working through a deprecation shim (``kehu_sdk._MOVED``) for at least one
minor release; this list is the stable surface as released before core was laid out by domain.
"""
import importlib
import warnings

import pytest

RELEASED = {
    "kehu_sdk": ["API_VERSION", "CORE_VERSION", "CoreVersionError", "KehuDeprecationWarning", "Plugin", "PluginBlueprint", "PluginError", "PluginModel", "PluginSchema", "SettingsInvalid", "ValidationError", "WebhookReceiver", "core_satisfies", "db", "deprecated", "enqueue_outbox", "hookimpl", "is_enabled", "outbox_consumer", "require_core", "settings_of", "signals", "task", "warn_deprecated"],
    "kehu_sdk.blueprints": ["PluginBlueprint", "RESERVED_NAMES", "check_plugin_name"],
    "kehu_sdk.client": ["ENDPOINTS", "Endpoint", "KehuApiError", "KehuClient", "Page"],
    "kehu_sdk.customers": ["Contact", "Customer", "CustomerFilter", "CustomerInvalid", "FilterInvalid", "InvalidPhone", "Tag", "available_facts", "blind_index", "create_customer", "criteria", "customer_select", "delete_customer", "filter_from_args", "filter_to_args", "normalize_phone", "update_customer", "visible_customer"],
    "kehu_sdk.db": ["UTCDateTime", "db", "utcnow"],
    "kehu_sdk.errors": ["CoreVersionError", "PluginError", "SettingsInvalid", "ValidationError"],
    "kehu_sdk.interactions": ["Interaction", "log_interaction"],
    "kehu_sdk.migrations": ["run_plugin_migrations"],
    "kehu_sdk.plugins": ["is_enabled", "settings_of"],
    "kehu_sdk.schemas": ["PluginSchema"],
    "kehu_sdk.signals": ["CORE_SIGNALS", "Signal", "customer_created", "customer_deleted", "customer_updated", "customers_merged", "interaction_logged", "plugin_disabled", "plugin_enabled", "plugin_settings_changed", "plugin_signal"],
    "kehu_sdk.tasks": ["outbox_consumer", "task"],
    "kehu_sdk.users": ["User", "get_user"],
    "kehu_sdk.versions": ["API_VERSION", "CORE_VERSION", "CoreVersionError", "KehuDeprecationWarning", "core_satisfies", "deprecated", "require_core", "warn_deprecated"],
    "kehu_sdk.web": ["csrf", "current_user", "login_required", "problem", "require_permission"],
    "kehu_sdk.webhooks": ["WebhookReceiver", "publish_event"],
}


@pytest.mark.parametrize("module_name", sorted(RELEASED))
def test_every_released_name_still_imports(module_name):
    module = importlib.import_module(module_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a moved name may warn; it must still be there
        missing = [name for name in RELEASED[module_name] if not hasattr(module, name)]
    assert missing == []
    assert set(RELEASED[module_name]) <= set(module.__all__)
