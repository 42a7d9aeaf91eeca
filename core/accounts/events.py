"""What accounts does when something happens elsewhere: a plugin enabled gives the default roles the
permissions it says their jobs need (once; admins edit roles freely afterwards)."""
from kehu.plugins import signals


def _plugin_enabled(sender, **extra):
    from kehu.accounts.service import grant_plugin_defaults
    grant_plugin_defaults()


def register() -> None:
    signals.plugin_enabled.connect(_plugin_enabled, weak=False)
