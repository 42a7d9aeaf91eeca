"""The base class every plugin subclasses (exported to plugin authors as ``kehu_sdk.Plugin``)."""
import functools
import inspect
from pathlib import Path

from flask import current_app, has_app_context


class Plugin:
    """A kehu plugin. Subclass it in ``plugins/<name>/plugin.py`` and add ``@hookimpl`` methods."""

    name: str = ""
    title: str = ""
    version: str = "0.0.0"
    requires: tuple[str, ...] = ()
    requires_core: str = ">=0.1"
    settings_schema: dict = {"type": "object", "properties": {}, "additionalProperties": False}

    @property
    def manager(self):
        return current_app.extensions["kehu_plugins"]

    @property
    def enabled(self) -> bool:
        return has_app_context() and self.manager.is_enabled(self.name)

    @property
    def settings(self) -> dict:
        """Current settings with the schema's defaults filled in."""
        return self.manager.settings_of(self.name)

    @property
    def migrations_dir(self) -> Path | None:
        folder = Path(inspect.getfile(type(self))).with_name("migrations")
        return folder if (folder / "env.py").exists() else None

    def connect(self, signal, receiver=None):
        """Connect ``receiver`` to a blinker signal; it runs only while this plugin is enabled.

        Usable as a decorator. Receivers are bound per app (signals are sent with the app
        as sender), so several apps in one process do not see each other's events.
        """
        if receiver is None:
            return functools.partial(self.connect, signal)
        self.__dict__.setdefault("_receivers", []).append((signal, receiver))
        return receiver

    def bind_signals(self, app) -> None:
        for signal, receiver in self.__dict__.get("_receivers", []):
            def guarded(sender, _receiver=receiver, **kwargs):
                if self.enabled:
                    return _receiver(sender, **kwargs)
                return None

            signal.connect(guarded, sender=app, weak=False)

    def __repr__(self):
        return f"<Plugin {self.name} {self.version}>"
