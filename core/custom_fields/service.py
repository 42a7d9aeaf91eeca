"""Writing custom field schemas: plugin packs, admins' own schemas, and which version is active.

One row per (key, version); exactly one version per key is active. A version is never edited:
a change adds version n+1 and makes it active, so each customer record keeps the version it
was validated with (``extra_schema_version``) and stays readable with that version.

Plugin packs (hook ``customer_field_schemas``) are stored by ``sync_plugin_schemas``, which runs
when a plugin is enabled (signal ``plugin_enabled``), at ``kehu db upgrade``, and lazily the first
time a process needs the schemas after the plugin state changed (a new plugin release whose pack
version went up is picked up then, even if nobody ran the upgrade command).
"""
import logging
import re

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kehu.custom_fields.models import CustomFieldSchema
from kehu.custom_fields.validation import schema_problems, validate_extra  # noqa: F401  checked by the customer service
from kehu.extensions import db
from kehu.plugins import signals

log = logging.getLogger(__name__)
KEY = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
ADMIN_ORIGIN = "admin"


def _concurrent_edit() -> str:
    return _("另一位管理员刚刚保存了这个字段模式，请刷新后重试")


class SchemaInvalid(Exception):
    """An admin's schema cannot be saved; ``errors`` maps each place to messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def _manager():
    return current_app.extensions["kehu_plugins"]


def contributions(plugin_names=None) -> dict[str, list[dict]]:
    """Packs each enabled plugin (or each of ``plugin_names``) contributes, by plugin name."""
    manager = _manager()
    found = {}
    for impl in manager.hooks.hook.customer_field_schemas.get_hookimpls():
        name = impl.plugin_name
        wanted = name in plugin_names if plugin_names is not None else manager.is_enabled(name)
        if wanted:
            found[name] = [p for p in (impl.function() or []) if _pack_ok(name, p)]
    return found


def _pack_ok(plugin_name: str, pack, check_schema=False) -> bool:
    """A broken pack is logged and skipped: one plugin's mistake must not stop customer forms.

    The schema itself is checked only before it is stored (the meta-schema check is not cheap).
    """
    problems = ("not a dict" if not isinstance(pack, dict)
                else "bad key" if not KEY.match(str(pack.get("key", "")))
                else "version is not a positive integer" if not (isinstance(pack.get("version"), int)
                                                                 and pack["version"] > 0)
                else "no title" if not pack.get("title")
                else "schema is not an object" if not isinstance(pack.get("schema"), dict)
                else schema_problems(pack["schema"]) if check_schema else None)
    if problems:
        log.error("plugin %s: custom field pack %r skipped: %s", plugin_name,
                  pack.get("key") if isinstance(pack, dict) else pack, problems)
    return not problems


def _store_missing(contributed: dict[str, list[dict]]) -> list[tuple[str, int]]:
    """Insert packs not stored yet, each as the new active version of its key; returns (key, version)."""
    added = []
    table = CustomFieldSchema.__table__
    for plugin_name, packs in contributed.items():
        origin = f"plugin:{plugin_name}"
        for pack in packs:
            try:
                with db.engine.begin() as conn:  # own transaction: never commits the caller's work
                    stored = conn.execute(select(func.max(table.c.version)).where(
                        table.c.key == pack["key"], table.c.origin == origin)).scalar()
                    if (stored is not None and stored >= pack["version"]) or not _pack_ok(
                            plugin_name, pack, check_schema=True):
                        continue
                    latest = conn.execute(select(func.max(table.c.version)).where(
                        table.c.key == pack["key"])).scalar() or 0
                    version = max(pack["version"], latest + 1)  # an admin may have taken the number
                    conn.execute(update(table).where(table.c.key == pack["key"]).values(is_active=False))
                    conn.execute(table.insert().values(
                        key=pack["key"], version=version, title=str(pack["title"])[:200],
                        schema=pack["schema"], origin=origin, is_active=True))
                added.append((pack["key"], version))
            except IntegrityError:  # another process stored it at the same moment
                log.info("custom field pack %s v%s stored concurrently", pack["key"], pack["version"])
    return added


def sync_plugin_schemas(plugin_names=None) -> list[tuple[str, int]]:
    """Store the packs of enabled plugins (or of ``plugin_names``) whose version is new; idempotent.

    Each new pack becomes the active version of its key. Returns the ``(key, version)`` rows added.
    Runs in its own transaction.
    """
    return _store_missing(contributions(plugin_names))


def _synced_generations() -> set:
    return current_app.extensions.setdefault("kehu_fields_synced", set())


def ensure_synced():
    manager = _manager()
    manager.state.refresh()
    generation = manager.state.generation
    if generation not in _synced_generations():
        sync_plugin_schemas()
        _synced_generations().add(generation)


def save_admin_schema(key: str, title: str, schema: dict, user, base_version: int | None = None) -> CustomFieldSchema:
    """Add version n+1 of ``key`` (n = 0 for a new key) as the active version; commits.

    ``base_version`` is the version the admin's editor started from (the web pages send it): when
    another version was stored since, the save is refused instead of silently undoing that one.
    Raises SchemaInvalid when ``schema`` is not a valid JSON Schema or breaks kehu's field rules.
    """
    errors = {}
    if not isinstance(key, str) or not KEY.match(key):
        errors["key"] = [_("键只能用小写字母、数字和下划线，并以字母开头（最多 80 个字符）")]
    if not isinstance(title, str) or not title.strip():
        errors["title"] = [_("请填写标题")]
    problems = schema_problems(schema)
    if problems:
        errors["schema"] = problems
    if errors:
        raise SchemaInvalid(errors)
    ensure_synced()
    latest = db.session.scalar(select(func.max(CustomFieldSchema.version)).where(CustomFieldSchema.key == key))
    if base_version is not None and base_version != latest:
        raise SchemaInvalid({"version": [_concurrent_edit()]})
    db.session.execute(update(CustomFieldSchema).where(CustomFieldSchema.key == key).values(is_active=False))
    row = CustomFieldSchema(key=key, version=(latest or 0) + 1, title=title.strip(), schema=schema,
                            origin=ADMIN_ORIGIN, is_active=True, created_by_id=getattr(user, "id", None))
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SchemaInvalid({"version": [_concurrent_edit()]}) from None
    return row


def _on_plugin_enabled(sender, plugin, **kwargs):
    if has_app_context():
        sync_plugin_schemas([plugin])
    elif sender is not None:
        with sender.app_context():
            sync_plugin_schemas([plugin])


signals.plugin_enabled.connect(_on_plugin_enabled, weak=False)
