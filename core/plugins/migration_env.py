"""The Alembic ``env.py`` body shared by every plugin lineage.

A plugin's ``migrations/env.py`` is two lines::

    from kehu_sdk.migrations import run_plugin_migrations
    run_plugin_migrations()
"""
from alembic import context
from flask import current_app

from kehu.extensions import db
from kehu.plugins.migrations import version_table


def run_plugin_migrations() -> None:
    plugin_name = context.config.attributes["kehu_plugin"]

    def own_tables_only(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", "")
        return bool(table_name) and table_name.startswith(f"{plugin_name}_")

    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table=version_table(plugin_name),
            include_object=own_tables_only,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    current_app.logger.debug("migrated plugin %s", plugin_name)
