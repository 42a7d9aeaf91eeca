"""Discovers installed plugins, orders them, registers their hooks and gates them by state."""
import importlib
import importlib.util
import logging
from importlib.metadata import entry_points

import jsonschema
import pluggy
from flask import abort, request
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from sqlalchemy import func, select

import kehu
from kehu.extensions import db
from kehu.platform.audit import AuditLog
from kehu.platform.secrets import decrypt_secrets, encrypt_secrets, keep_masked, mask_secrets
from kehu.platform.session import announce
from kehu.plugins import hookspecs, signals
from kehu.plugins.builtin import BUILTIN_NAME, BuiltinPlugin
from kehu.plugins.models import PluginState
from kehu.plugins.ordering import dependency_order
from kehu.plugins.state import PluginStateCache

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "kehu.plugins"


class PluginError(Exception):
    """A plugin cannot be enabled, disabled or configured as asked; the message says why."""


class PluginManager:
    def __init__(self, state_ttl: float = 1.0):
        self.hooks = pluggy.PluginManager("kehu")
        self.hooks.add_hookspecs(hookspecs)
        self.installed: dict = {}          # name -> Plugin instance, in hook order
        self.load_errors: dict[str, str] = {}
        self.blueprint_owner: dict[str, str] = {}
        self.state = PluginStateCache(state_ttl)
        self._subset_callers: dict = {}

    # discovery ---------------------------------------------------------------------------
    def discover(self, extra_classes=()):
        """Load every ``kehu.plugins`` entry point (plus ``extra_classes``) and register hooks."""
        found = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                cls = ep.load()
            except Exception as exc:  # a broken third-party plugin must not stop the CRM
                self.load_errors[ep.name] = f"cannot import {ep.value}: {exc}"
                log.exception("plugin %s failed to import", ep.name)
                continue
            found[cls.name or ep.name] = cls
        for cls in extra_classes:
            found[cls.name] = cls
        for name, cls in sorted(found.items()):
            problem = self._core_version_problem(cls)
            if problem:
                self.load_errors[name] = problem
                del found[name]
        self._drop_missing_requirements(found)
        for name in dependency_order({n: tuple(c.requires) for n, c in found.items()}):
            self.installed[name] = found[name]()
            try:  # its tables exist for migrations and create_all; a broken plugin must not stop the CRM
                self._import_convention_module(name, "models")
            except Exception as exc:
                self.load_errors[name] = f"cannot import {self.package_of(name)}.models: {exc}"
                log.exception("plugin %s failed to import its models", name)
                del self.installed[name]
        # pluggy calls the last registered first: register backwards to call in our order,
        # core's built-in plugin last so that its contributions come first.
        for plugin in reversed(list(self.installed.values())):
            self.hooks.register(plugin, name=plugin.name)
        self.hooks.register(BuiltinPlugin(), name=BUILTIN_NAME)

    def _import_convention_module(self, name: str, module: str):
        """Import ``<plugin package>.<module>`` when the plugin has one (the fixed plugin shape)."""
        qualified = f"{self.package_of(name)}.{module}"
        try:
            found = importlib.util.find_spec(qualified)
        except ModuleNotFoundError:
            found = None
        return importlib.import_module(qualified) if found is not None else None

    def package_of(self, name: str) -> str:
        """The package holding the plugin's ``plugin.py`` (``kehu_plugins.sms``)."""
        return type(self.installed[name]).__module__.rpartition(".")[0]

    def task_modules(self) -> list[str]:
        """Each plugin's ``tasks.py`` (by convention) and whatever its ``task_modules()`` hook adds."""
        found = [f"{self.package_of(n)}.tasks" for n in self.installed if self._import_convention_module(n, "tasks")]
        found += [m for listed in self.hooks.hook.task_modules() for m in (listed or [])]
        return list(dict.fromkeys(found))

    @staticmethod
    def _core_version_problem(cls):
        try:
            if kehu.__version__ not in SpecifierSet(cls.requires_core):
                return f"needs kehu {cls.requires_core}, this is {kehu.__version__}"
        except InvalidSpecifier:
            return f"requires_core {cls.requires_core!r} is not a version specifier"
        return None

    def _drop_missing_requirements(self, found):
        changed = True
        while changed:
            changed = False
            for name, cls in sorted(found.items()):
                missing = [r for r in cls.requires if r not in found]
                if missing:
                    self.load_errors[name] = f"requires missing plugin(s): {', '.join(missing)}"
                    del found[name]
                    changed = True

    # hooks -------------------------------------------------------------------------------
    def hook(self, name: str):
        """The hook caller for ``name`` that skips disabled plugins."""
        self.state.refresh()
        disabled = frozenset(n for n in self.installed if n not in self.state.enabled)
        key = (name, disabled)
        if key not in self._subset_callers:
            remove = [self.installed[n] for n in disabled]
            self._subset_callers[key] = self.hooks.subset_hook_caller(name, remove_plugins=remove)
        return self._subset_callers[key]

    def is_enabled(self, name: str) -> bool:
        self.state.refresh()
        return name in self.state.enabled

    def settings_of(self, name: str) -> dict:
        self.state.refresh()
        return _with_defaults(self.get(name).settings_schema, self.state.settings.get(name, {}))

    def get(self, name: str):
        try:
            return self.installed[name]
        except KeyError:
            raise PluginError(f"no plugin named {name!r} is installed") from None

    def guard_request(self):
        """before_request: a disabled plugin's routes answer 404."""
        for bp_name in request.blueprints:
            owner = self.blueprint_owner.get(bp_name)
            if owner and not self.is_enabled(owner):
                abort(404)

    # state changes -----------------------------------------------------------------------
    def _row(self, name) -> PluginState:
        self.get(name)
        row = db.session.get(PluginState, name, with_for_update=True)
        if row is None:
            row = PluginState(name=name, enabled=False, settings={})
            db.session.add(row)
        next_generation = (db.session.scalar(select(func.max(PluginState.generation))) or 0) + 1
        row.generation = next_generation
        return row

    def enable(self, name: str) -> None:
        plugin = self.get(name)
        self.state.refresh(force=True)
        off = [r for r in plugin.requires if r not in self.state.enabled]
        if off:
            raise PluginError(f"enable {', '.join(off)} first: {name} requires it")
        from kehu.plugins.migrations import pending_migrations
        if pending_migrations(plugin):
            raise PluginError(f"the database tables of {name} are not up to date: run `kehu db upgrade`")
        row = self._row(name)
        row.settings = _stored(plugin, _validated(plugin, decrypt_secrets(row.settings)), row.settings)
        if not row.enabled:
            row.enabled = True
            announce(db.session, signals.plugin_enabled, plugin=name)
        db.session.commit()
        self.state.refresh(force=True)

    def disable(self, name: str) -> None:
        self.get(name)
        self.state.refresh(force=True)
        dependents = [p.name for p in self.installed.values()
                      if name in p.requires and p.name in self.state.enabled]
        if dependents:
            raise PluginError(f"disable {', '.join(dependents)} first: it requires {name}")
        row = self._row(name)
        if row.enabled:
            row.enabled = False
            announce(db.session, signals.plugin_disabled, plugin=name)
        db.session.commit()
        self.state.refresh(force=True)

    def save_settings(self, name: str, settings: dict) -> dict:
        """Validate ``settings`` against the plugin's schema and store them; returns them with defaults."""
        plugin = self.get(name)
        row = self._row(name)
        # Secrets are shown masked; an unchanged mask means "keep the stored value".
        merged = _validated(plugin, keep_masked(settings, decrypt_secrets(row.settings)))
        row.settings = _stored(plugin, merged, row.settings)
        announce(db.session, signals.plugin_settings_changed, plugin=name, settings=merged)
        db.session.commit()
        self.state.refresh(force=True)
        return self.settings_of(name)

    def encrypt_stored_secrets(self) -> int:
        """Encrypt secrets stored in the clear (before encryption at rest, or written by hand); run by
        ``kehu db upgrade``. Returns how many plugins' rows changed."""
        changed = 0
        for row in db.session.scalars(select(PluginState).where(PluginState.name.in_(list(self.installed)))):
            stored = _stored(self.installed[row.name], decrypt_secrets(row.settings), row.settings)
            if stored != (row.settings or {}):
                row.settings = stored
                changed += 1
        # audit entries written before: their secrets in the clear become the mask (the change stays told)
        for entry in db.session.scalars(select(AuditLog).where(AuditLog.entity == PluginState.__tablename__,
                                                              AuditLog.entity_id.in_(list(self.installed)))):
            schema = self.installed[entry.entity_id].settings_schema
            before_after = (entry.changes or {}).get("settings")
            if before_after:
                masked = [mask_secrets(schema, side) if isinstance(side, dict) else side for side in before_after]
                if masked != list(before_after):
                    entry.changes = {**entry.changes, "settings": masked}
        db.session.commit()
        return changed

    def describe(self, name: str) -> dict:
        """What admins see of a plugin; secret settings are masked."""
        plugin = self.get(name)
        settings = self.settings_of(name)
        return {
            "name": name, "title": str(plugin.title), "version": plugin.version,
            "requires": list(plugin.requires), "enabled": self.is_enabled(name),
            "settings_schema": plugin.settings_schema,
            "settings": mask_secrets(plugin.settings_schema, settings),
        }


def _stored(plugin, settings: dict, stored: dict | None) -> dict:
    """Settings as the database keeps them: secrets encrypted (kehu.platform.secrets)."""
    return encrypt_secrets(plugin.settings_schema, settings, stored)


def _with_defaults(schema: dict, settings: dict) -> dict:
    values = {k: p["default"] for k, p in schema.get("properties", {}).items() if "default" in p}
    values.update(settings)
    return values


def _validated(plugin, settings: dict) -> dict:
    validator_cls = jsonschema.validators.validator_for(plugin.settings_schema)
    validator = validator_cls(plugin.settings_schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(_with_defaults(plugin.settings_schema, settings)), key=str)
    if errors:
        raise SettingsInvalid(plugin.name, errors)
    return settings


class SettingsInvalid(PluginError):
    """Settings do not match the plugin's settings_schema; ``errors`` maps field to messages."""

    def __init__(self, plugin_name, validation_errors):
        self.errors = {}
        for error in validation_errors:
            field = ".".join(str(p) for p in error.absolute_path) or "_schema"
            self.errors.setdefault(field, []).append(error.message)
        super().__init__(f"invalid settings for {plugin_name}: {self.errors}")
