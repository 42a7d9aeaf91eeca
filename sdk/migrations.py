"""Alembic support for plugin lineages: a plugin's migrations/env.py calls run_plugin_migrations()."""
from kehu.plugins.migration_env import run_plugin_migrations

__all__ = ["run_plugin_migrations"]
