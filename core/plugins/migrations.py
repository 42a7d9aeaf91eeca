"""Per-plugin Alembic lineages: ``plugins/<name>/migrations`` with table ``alembic_version_<name>``."""
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kehu.extensions import db


def version_table(plugin_name: str) -> str:
    return f"alembic_version_{plugin_name}"


def alembic_config(plugin) -> Config:
    config = Config()
    config.set_main_option("script_location", str(plugin.migrations_dir))
    config.attributes["kehu_plugin"] = plugin.name
    return config


def current_heads(plugin) -> set[str]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": version_table(plugin.name)})
        return set(context.get_current_heads())


def pending_migrations(plugin) -> bool:
    """True while the plugin's tables are not at the head of its lineage."""
    if plugin.migrations_dir is None:
        return False
    heads = set(ScriptDirectory.from_config(alembic_config(plugin)).get_heads())
    return heads != current_heads(plugin)


def upgrade(plugin, revision: str = "head") -> None:
    if plugin.migrations_dir is not None:
        command.upgrade(alembic_config(plugin), revision)


def downgrade(plugin, revision: str) -> None:
    if plugin.migrations_dir is not None:
        command.downgrade(alembic_config(plugin), revision)


def revision(plugin, message: str, autogenerate: bool = True) -> None:
    """Write a new migration script for the plugin's own tables."""
    command.revision(alembic_config(plugin), message=message, autogenerate=autogenerate)
